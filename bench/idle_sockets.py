"""What idle shopper sockets cost: N WebSockets open on existing conversations, nobody
writing. Prints the servers' CPU while idle and the p50 of sequential chat turns with the
sockets open against the same without them.

    python bench/idle_sockets.py --start [--sockets 1000]            # SQLite, one host: sockets poll SQL
    python bench/idle_sockets.py --stack [--hosts 2] [--sockets 1000]  # Postgres + Redis + Chroma: notices

Only 127.0.0.1 is contacted. Asserts nothing; ``--json OUT`` writes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import REPO, start_server, start_stack, stop_server, tree_cpu_seconds, tree_cpu_seconds_of  # noqa: E402

sys.path.insert(0, str(REPO))


def make_conversations(database_url: str, n: int) -> list[str]:
    os.environ["DATABASE_URL"] = database_url
    from bot.conversations import open_conversation
    from xiaoer.db import reset_engines, session_scope
    from xiaoer.schema import all_tables
    from xiaoer.settings import reset_settings

    all_tables()  # every mapped table known, for the foreign keys
    reset_settings()
    reset_engines()
    with session_scope() as session:
        return [open_conversation(session, "demo", None, lang="zh").id for _ in range(n)]


async def turn_p50(base: str, turns: int) -> float:
    latencies = []
    async with httpx.AsyncClient(timeout=60) as client:
        for i in range(turns):
            started = time.perf_counter()
            r = await client.post(f"{base}/v1/chat", json={"merchant_id": "demo", "message": f"几天发货？{i}"})
            r.raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
    return statistics.median(latencies)


async def measure(bases: list[str], conversations: list[str], cpu, idle_seconds: float, turns: int) -> dict:
    for base in bases:
        await turn_p50(base, 5)  # warm-up: the first turn in each host loads the embedder
    p50_without = await turn_p50(bases[0], turns)
    before = cpu()
    await asyncio.sleep(idle_seconds)
    idle_without = (cpu() - before) / idle_seconds
    sockets = []
    for i, conversation in enumerate(conversations):
        host = bases[i % len(bases)].replace("http://", "ws://")
        sockets.append(await websockets.connect(f"{host}/v1/ws/chat?merchant_id=demo&conversation_id={conversation}",
                                                max_queue=None))
    await asyncio.sleep(5)  # every socket past its first read
    before = cpu()
    await asyncio.sleep(idle_seconds)
    idle_cores = (cpu() - before) / idle_seconds
    p50_with = await turn_p50(bases[0], turns)
    for ws in sockets:
        await ws.close()
    return {"sockets": len(sockets), "idle_cores": round(idle_cores, 3), "idle_cores_without_sockets": round(idle_without, 3),
            "turn_p50_ms_without_sockets": round(p50_without, 1), "turn_p50_ms_with_sockets": round(p50_with, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--start", action="store_true", help="One host on SQLite (sockets poll SQL every 0.5 s).")
    where.add_argument("--stack", action="store_true", help="Postgres + Redis + Chroma server + --hosts hosts.")
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--idle", type=float, default=20.0, help="Seconds of idle CPU measured.")
    parser.add_argument("--turns", type=int, default=30, help="Sequential turns for each p50.")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    proc = stack = home = None
    try:
        if args.start:
            home = Path(tempfile.mkdtemp(prefix="xiaoer-idle-"))
            proc, base = start_server(home, 1)
            bases, database_url, mode = [base], f"sqlite:///{home / 'xiaoer.db'}", "SQLite, 1 host, polling"
            cpu = lambda: tree_cpu_seconds(proc.pid)  # noqa: E731
        else:
            stack = start_stack(args.hosts)
            bases, database_url = stack.bases, stack.postgres.url
            mode = f"Postgres + Redis + Chroma, {args.hosts} hosts, Redis notices"
            cpu = lambda: sum(tree_cpu_seconds(h.process.pid) for h in stack.hosts) + tree_cpu_seconds_of(stack)  # noqa: E731
        conversations = make_conversations(database_url, args.sockets)
        result = {"mode": mode, **asyncio.run(measure(bases, conversations, cpu, args.idle, args.turns))}
    finally:
        if proc is not None:
            stop_server(proc)
        if stack is not None:
            stack.stop()
        if home is not None:
            shutil.rmtree(home, ignore_errors=True)
    print(f"{result['sockets']} idle shopper sockets ({mode}, {os.cpu_count()} CPUs)")
    print(f"  server CPU while idle: {result['idle_cores']} cores with the sockets, "
          f"{result['idle_cores_without_sockets']} without" + (" (hosts + Postgres + Redis + Chroma)" if stack else ""))
    print(f"  sequential chat turn p50: {result['turn_p50_ms_without_sockets']} ms without the sockets, "
          f"{result['turn_p50_ms_with_sockets']} ms with them")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
