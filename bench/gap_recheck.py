"""How well and how fast an upload closes the knowledge gaps it answers (knowledge/loop.py).

    python bench/gap_recheck.py

In a throw-away XIAOER_HOME, a shop gets the even rows of the demo Chinese FAQ and the
catalog. Gaps are the questions it then hands off: the odd FAQ rows' questions (which the
second upload will answer) and a few off-topic questions (which nothing answers), each
recorded as an ``unanswered`` event the way a turn records it. The odd rows are then
uploaded as a second document and ``recheck_gaps`` runs. Prints how many answerable gaps
closed, how many off-topic gaps closed (wrongly), and the seconds the re-check took per
gap. Asserts nothing.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import time
from pathlib import Path

os.environ["XIAOER_HOME"] = tempfile.mkdtemp(prefix="xiaoer-gap-bench-")
os.environ.pop("OPENAI_API_KEY", None)

from bot.events import record_event  # noqa: E402
from bot.turn import ShopAssistant  # noqa: E402
from knowledge.loop import learned_csv, recheck_gaps  # noqa: E402
from xiaoer.db import session_scope  # noqa: E402
from xiaoer.lang import detect_language  # noqa: E402

SHOP = Path(__file__).resolve().parents[1] / "xiaoer" / "demo_shop"
MERCHANT = "gapbench"
OFF_TOPIC = [
    "你们卖皮划艇吗？", "可以寄到南极科考站吗？", "你们接受团购定制队服吗？", "店里招聘兼职吗？", "你们老板是谁？",
    "有没有宠物用品？", "Do you ship to Mars?", "Do you sell electric guitars?", "Can I pay with seashells?",
    "Are you hiring?",
]


def main() -> None:
    rows = [(r[0], r[1]) for r in list(csv.reader(io.StringIO((SHOP / "faq_zh.csv").read_text(encoding="utf-8"))))[1:]]
    first, second = rows[0::2], rows[1::2]
    assistant = ShopAssistant()
    assistant.knowledge.ensure_merchant(MERCHANT)
    assistant.knowledge.ingest_files(
        MERCHANT, [("faq_first.csv", learned_csv(first)), ("catalog.json", (SHOP / "catalog.json").read_bytes())]
    )

    def handed_off(question: str) -> bool:
        return assistant.answer(MERCHANT, question, detect_language(question), use_llm=False).handoff

    answerable = [q for q, _ in second if handed_off(q)]
    off_topic = [q for q in OFF_TOPIC if handed_off(q)]
    with session_scope() as session:
        for q in answerable + off_topic:
            record_event(session, MERCHANT, "unanswered", data={"question": q, "reason": "low_confidence"})

    assistant.knowledge.ingest_files(MERCHANT, [("faq_second.csv", learned_csv(second))])
    start = time.perf_counter()
    closed = set(recheck_gaps(assistant, MERCHANT))
    seconds = time.perf_counter() - start

    gaps = len(answerable) + len(off_topic)
    print(f"FAQ rows: {len(first)} ingested first, {len(second)} uploaded second")
    print(f"answerable gaps closed: {len(closed & set(answerable))} / {len(answerable)} "
          f"({len(second) - len(answerable)} second-half questions were already answered before the upload)")
    print(f"off-topic gaps closed (wrongly): {len(closed & set(off_topic))} / {len(off_topic)}")
    print(f"re-check: {seconds:.2f} s for {gaps} gaps ({1000 * seconds / max(gaps, 1):.0f} ms per gap)")
    for q in sorted(set(answerable) - closed):
        print(f"  still open: {q}")


if __name__ == "__main__":
    main()
