"""What one chat turn costs in this process: CPU milliseconds and SQL statements.

    python bench/turn_cost.py [--turns 300] [--stack] [--show 25]

Ingests the demo shop into a throw-away XIAOER_HOME (``xiaoer demo --no-serve``; with
``--stack`` into Postgres + a Chroma server started by xiaoer.localstack, no xiaoer
hosts), builds one ShopAssistant and sends TURNS turns through ``ShopAssistant.handle``
one after another, with bench/load.py's mix: conversations of 3-5 distinct messages from
demo_zh and demo_en, alternating. A SQLAlchemy ``before_cursor_execute`` listener counts
the statements. Prints CPU ms a turn (this process's user + system time, so Chroma's
in-process threads count; on the stack the servers' own CPU does not), wall ms, SQL
statements a turn, per language, and the most frequent statements. Asserts nothing.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from load import load_messages  # noqa: E402  (bench/load.py)


def conversations(turns: int, seed: int) -> list[tuple[str, list[str]]]:
    """(language, messages) per conversation, as bench/load.py's sessions send them."""
    messages, rng, out, n = load_messages(), random.Random(seed), [], 0
    while n < turns:
        lang = "zh" if len(out) % 2 == 0 else "en"
        picked = rng.sample(messages[lang], rng.randint(3, 5))[: turns - n]
        out.append((lang, picked))
        n += len(picked)
    return out


def _shape(statement: str) -> str:
    """A statement without its literal lists, for counting by kind."""
    statement = re.sub(r"\s+", " ", statement)
    statement = re.sub(r"\((?:\?|%\([^)]*\)s|__\[POSTCOMPILE_\w+\])(?:, ?(?:\?|%\([^)]*\)s))*\)", "(…)", statement)
    return statement[:150]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stack", action="store_true", help="Postgres + a Chroma server instead of SQLite + embedded Chroma.")
    parser.add_argument("--show", type=int, default=25, help="How many statement kinds to list.")
    args = parser.parse_args()

    os.environ["XIAOER_HOME"] = tempfile.mkdtemp(prefix="xiaoer-turn-cost-")
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL", "CHROMA_HOST", "XIAOER_REDIS_URL"):
        os.environ.pop(var, None)
    stack = None
    if args.stack:
        from xiaoer.localstack import Stack

        stack = Stack(hosts=0).start()
        for var in ("DATABASE_URL", "CHROMA_HOST", "CHROMA_PORT", "XIAOER_REDIS_URL", "ANONYMIZED_TELEMETRY"):
            os.environ[var] = stack.env[var]
    try:
        subprocess.run([sys.executable, "-m", "xiaoer.cli", "demo", "--no-serve"], check=True, capture_output=True,
                       cwd=REPO, env=os.environ)
        measure(args)
    finally:
        if stack is not None:
            stack.stop()


def measure(args) -> None:
    from sqlalchemy import event

    from bot.turn import ShopAssistant, TurnRequest
    from xiaoer.db import get_engine

    assistant = ShopAssistant()
    for message in ("几天发货？", "How long does delivery take?"):  # models and indexes load on the first turn
        assistant.handle(TurnRequest(merchant_id="demo", message=message))

    statements: collections.Counter = collections.Counter()
    current = [0]

    def count(_conn, _cursor, statement, *_rest) -> None:
        statements[_shape(statement)] += 1
        current[0] += 1

    event.listen(get_engine(), "before_cursor_execute", count)
    per_lang: dict[str, list[tuple[float, float, int]]] = collections.defaultdict(list)
    plan = conversations(args.turns, args.seed)
    for lang, messages in plan:
        conversation = None
        for message in messages:
            current[0] = 0
            cpu, wall = time.process_time(), time.perf_counter()
            result = assistant.handle(TurnRequest(merchant_id="demo", message=message, conversation_id=conversation))
            per_lang[lang].append(((time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000, current[0]))
            conversation = result.conversation_id
    event.remove(get_engine(), "before_cursor_execute", count)

    every = [t for rows in per_lang.values() for t in rows]
    print(f"{len(every)} turns in {len(plan)} conversations ({'Postgres + Chroma server' if args.stack else 'SQLite + embedded Chroma'})")
    for label, rows in (("all", every), *sorted(per_lang.items())):
        cpu = sorted(r[0] for r in rows)
        print(f"  {label:<3}: CPU {sum(cpu) / len(rows):.1f} ms a turn (p50 {cpu[len(cpu) // 2]:.1f}, "
              f"p90 {cpu[int(len(cpu) * 0.9)]:.1f}), wall {sum(r[1] for r in rows) / len(rows):.1f} ms, "
              f"SQL {sum(r[2] for r in rows) / len(rows):.1f} statements a turn")
    print(f"most frequent statements (count over {len(every)} turns):")
    for shape, n in statements.most_common(args.show):
        print(f"  {n / len(every):5.2f}/turn  {shape}")


if __name__ == "__main__":
    main()
