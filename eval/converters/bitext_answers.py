"""Bitext answers -> FAQ knowledge base + paraphrase cases (retrieval / answer accuracy).

Source: ``bitext_answers/bitext_customer_support_sample_v0_6480.csv`` (columns
``context,role,instruction,intent,entity_type,entity_value,start_offset,end_offset,
category,tags,response``), 27 intents, one agent ``response`` per row.

knowledge/faq.csv
    One canonical ``question,answer`` per Bitext intent (27 rows). The answer is that
    intent's response (in this early 6,480-row version every row of an intent carries the
    same response; ``{{Placeholder}}`` tokens, where a version has them, are kept). The
    question is the first row of the intent, in file order, that passes the strictest of
    these filters that any row passes:

    1. Bitext tags without Z (typos), Q (colloquial), W (offensive), K (keyword-only),
       no entity (order/invoice number, person name, ...), no digits, at least 4 words;
    2. tags without Z, Q, W, no entity and no digits;
    3. no digits;
    4. any row.

    The FAQ does not depend on the seed.

cases.jsonl
    Other rows of the same intents (the canonical row is never a case), sampled evenly
    per Bitext intent when ``--limit`` is below the row count (default 540 = 20 per
    intent). Each case expects that intent's FAQ answer::

        {"id", "message": instruction, "lang": "en", "intent": <xiaoer label, only when
         mappable>, "answer_contains": [<distinctive substring>], "source": "faq.csv"}

    The substring is 30-60 characters of the canonical answer, cut at word boundaries,
    free of placeholders and found in no other FAQ answer (case-insensitive), earliest
    such window first. ``handoff`` is not set: this set scores answers, and a bot that
    hands off a ``contact_human_agent`` request instead of answering is a design choice,
    not a retrieval error.

Intent mapping: eval.converters.BITEXT_TO_XIAOER (shared/datasets/README.md). Unmapped
intents (accounts, newsletter, review, payment_issue, change_order) stay in as cases
without an ``intent`` key: their answers still measure retrieval.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from eval.converters import (
    BITEXT_TO_XIAOER,
    Conversion,
    csv_text,
    label_counts,
    licence_of,
    render_readme,
    require,
    squash,
    stratified_sample,
)

NAME = "bitext_answers"
SOURCE = "bitext_answers/bitext_customer_support_sample_v0_6480.csv"
FAQ_FILE = "faq.csv"
DEFAULT_LIMIT: int | None = 540

_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class FaqEntry:
    intent: str
    question: str
    answer: str
    row: int  # 0-based data row in the source CSV
    key: str  # distinctive substring of the answer


def load_rows(shared: Path) -> pd.DataFrame:
    (path,) = require(shared, SOURCE)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in ("instruction", "intent", "response", "tags"):
        if col not in frame.columns:
            raise ValueError(f"{path}: expected column {col!r}, found {', '.join(frame.columns)}")
    frame["row"] = range(len(frame))
    return frame


def _canonical_row(group: pd.DataFrame) -> pd.Series:
    tags = group["tags"].fillna("")
    text = group["instruction"]
    no_digit = ~text.str.contains(_DIGIT)
    no_entity = group["entity_value"].fillna("").str.strip() == "" if "entity_value" in group else no_digit
    words = text.str.split().str.len()
    levels = [
        ~tags.str.contains("[ZQWK]") & no_digit & no_entity & (words >= 4),
        ~tags.str.contains("[ZQW]") & no_digit & no_entity,
        no_digit,
        pd.Series(True, index=group.index),
    ]
    for mask in levels:
        hit = group[mask & (text.str.strip() != "")]
        if len(hit):
            return hit.iloc[0]
    return group.iloc[0]


def distinctive_substring(answer: str, others: list[str], *, lo: int = 30, hi: int = 60) -> str:
    """30-60 characters of ``answer`` (word-aligned, no placeholders) not found in ``others``."""
    folded_others = [o.casefold() for o in others]
    best_fallback = ""
    for segment in _PLACEHOLDER.split(answer):
        segment = squash(segment)
        starts = [0] + [m.end() for m in re.finditer(r"\s+", segment)]
        for start in starts:
            tail = segment[start:]
            ends = [m.start() for m in re.finditer(r"\s", tail)] + [len(tail)]
            windows = [tail[:e].rstrip(" ,;:") for e in ends]
            windows = [w for w in windows if lo <= len(w) <= hi]
            for window in sorted(windows, key=len, reverse=True):
                if not any(window.casefold() in o for o in folded_others):
                    return window
            if windows and not best_fallback:
                best_fallback = windows[0]
    # No unique window: the longest placeholder-free piece we have (still scorable).
    return best_fallback or squash(_PLACEHOLDER.split(answer)[0])[:60]


def build_faq(shared: Path) -> tuple[list[FaqEntry], pd.DataFrame]:
    """The 27 canonical FAQ entries (sorted by intent) and the source rows."""
    frame = load_rows(shared)
    picked = []
    for intent, group in sorted(frame.groupby("intent", sort=True), key=lambda kv: kv[0]):
        if not intent.strip():
            continue
        row = _canonical_row(group)
        # If responses vary within an intent (later Bitext versions), the canonical row's
        # response is the FAQ answer; cases are then restricted to rows sharing it.
        picked.append((intent, squash(row["instruction"]), row["response"].strip(), int(row["row"])))
    answers = [a for _, _, a, _ in picked]
    entries = []
    for i, (intent, question, answer, row) in enumerate(picked):
        others = answers[:i] + answers[i + 1 :]
        entries.append(FaqEntry(intent, question, answer, row, distinctive_substring(answer, others)))
    return entries, frame


def faq_csv(entries: list[FaqEntry]) -> str:
    return csv_text(["question", "answer"], ((e.question, e.answer) for e in entries))


def convert(shared: Path, *, limit: int | None = DEFAULT_LIMIT, seed: int = 13) -> Conversion:
    entries, frame = build_faq(shared)
    by_intent = {e.intent: e for e in entries}
    canonical_rows = {e.row for e in entries}

    pool = []
    varying = Counter()
    for rec in frame.itertuples(index=False):
        entry = by_intent.get(rec.intent)
        if entry is None or rec.row in canonical_rows:
            continue
        if rec.response.strip() != entry.answer:
            varying[rec.intent] += 1
            continue
        message = squash(rec.instruction)
        if not message or message.casefold() == entry.question.casefold():
            continue
        pool.append((rec.row, rec.intent, message))

    rng = random.Random(seed)
    sample = stratified_sample(pool, key=lambda r: r[1], n=limit, rng=rng)
    cases = []
    for row, intent, message in sample:
        case = {"id": f"bitext-ans-{row:04d}", "message": message, "lang": "en"}
        if intent in BITEXT_TO_XIAOER:
            case["intent"] = BITEXT_TO_XIAOER[intent]
        case["answer_contains"] = [by_intent[intent].key]
        case["source"] = FAQ_FILE
        cases.append(case)

    faq_table = "\n".join(
        f"| {e.intent} | {BITEXT_TO_XIAOER.get(e.intent, '(not scored)')} | {e.question} | `{e.key}` |" for e in entries
    )
    mapping = (
        "Bitext intent -> xiaoer label (shared/datasets/README.md); the case expects the intent's FAQ answer:\n\n"
        "| Bitext intent | xiaoer intent | FAQ question | answer_contains |\n|---|---|---|---|\n" + faq_table
    )
    caveats = [
        "The cases are rows of Bitext's *training* split (this file is the same 6,480 utterances as "
        "bitext_intent's train split). Intent scores here are contaminated if the classifier was tuned on "
        "that split; use bitext_intent (validation split) for intent accuracy.",
        "Bitext utterances are template-generated with deliberate typos, colloquialisms and offensive "
        "variants (tags Z, Q, W); the messages are kept verbatim.",
        "Answers are generic (\"visit the 'Returns and Refunds' page\"), and several intents share phrases "
        "(get_refund / check_refund_policy / track_refund all mention 'Returns and Refunds'; check_invoice / "
        "get_invoice / track_order all mention 'Order History'), so the answer substring is chosen to be "
        "unique, but retrieval confusions between those siblings are expected and are real errors.",
        "faq.csv is the only knowledge file, so the eval's file-level `source` recall is trivially 1 here; "
        "answer_contains (which FAQ entry was used) is the real retrieval signal.",
        "Cases without an intent key come from Bitext intents outside xiaoer's eight labels (accounts, "
        "newsletter, review, payment_issue, change_order): they score answer accuracy only.",
    ]
    if varying:
        caveats.append(
            "Rows whose response differs from the canonical one were dropped: "
            + ", ".join(f"{k}: {v}" for k, v in sorted(varying.items()))
        )
    readme = render_readme(
        title="bitext_answers — FAQ retrieval on Bitext paraphrases",
        summary=(
            "knowledge/faq.csv holds one canonical question/answer per Bitext intent (27 rows); every case is "
            "another phrasing of one of those intents and must be answered with that intent's FAQ answer."
        ),
        sources=[SOURCE],
        licence=licence_of(shared, "bitext_answers"),
        attribution="Bitext customer-support LLM chatbot training dataset (bitext/customer-support-llm-chatbot-training-dataset).",
        counts=[
            ("source rows", len(frame)),
            ("FAQ entries (knowledge/faq.csv)", len(entries)),
            ("candidate case rows (non-canonical)", len(pool)),
            ("cases written", len(cases)),
            ("cases per xiaoer intent", label_counts(cases, "intent")),
            ("Bitext intents with cases", len({r[1] for r in sample})),
        ],
        mapping=mapping,
        fields='`id`, `message`, `lang` ("en"), `intent` (only when mappable), `answer_contains` (one string), `source` ("faq.csv").',
        caveats=caveats,
        limit=limit,
        seed=seed,
        name=NAME,
    )
    return Conversion(
        name=NAME,
        cases=cases,
        knowledge={FAQ_FILE: faq_csv(entries)},
        readme=readme,
        stats={"source_rows": len(frame), "faq_entries": len(entries)},
    )
