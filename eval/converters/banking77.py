"""BANKING77 (test split) -> out-of-domain refund detection check.

Source: ``banking77/test.csv`` (3,080 rows, columns ``text,category``, 77 categories,
40 queries each). The train split is not read.

Label mapping:

======================== =========================================================
request_refund           ``"intent": "refund", "refund": true``
every other category     ``"refund": false`` (no ``intent`` key: BANKING77 has no
                         mapping onto xiaoer's other seven labels)
======================== =========================================================

Refund-adjacent categories are deliberately *negatives* and so act as hard negatives:
``Refund_not_showing_up`` ("my refund hasn't arrived" -- in xiaoer's taxonomy that is
refund *tracking*, i.e. aftersale, as Bitext's track_refund), ``reverted_card_payment?``,
``top_up_reverted``, ``cancel_transfer``, ``transaction_charged_twice``.

Sampling: with ``--limit N`` (default 320) the positives take ``min(40, max(1, N // 4))``
slots -- all 40 request_refund rows by default -- and the rest is a seeded sample spread
evenly over the 76 other categories. The eval scores refund precision/recall from the
``refund`` field.

knowledge/faq.csv: a copy of the Bitext FAQ (eval.converters.bitext_answers).
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pandas as pd

from eval.converters import Conversion, label_counts, licence_of, render_readme, require, squash, stratified_sample
from eval.converters.bitext_answers import FAQ_FILE, build_faq, faq_csv
from eval.converters.bitext_answers import SOURCE as FAQ_SOURCE

NAME = "banking77"
SOURCE = "banking77/test.csv"
DEFAULT_LIMIT: int | None = 320
POSITIVE = "request_refund"
HARD_NEGATIVES = (
    "Refund_not_showing_up",
    "reverted_card_payment?",
    "top_up_reverted",
    "cancel_transfer",
    "transaction_charged_twice",
)


def convert(shared: Path, *, limit: int | None = DEFAULT_LIMIT, seed: int = 13) -> Conversion:
    (path,) = require(shared, SOURCE)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = [(i, squash(t), c.strip()) for i, (t, c) in enumerate(zip(frame["text"], frame["category"])) if squash(t)]
    positives = [r for r in rows if r[2] == POSITIVE]
    negatives = [r for r in rows if r[2] != POSITIVE]
    if not positives:
        raise ValueError(f"{path}: no {POSITIVE!r} rows; is this BANKING77?")

    rng = random.Random(seed)
    if limit is None:
        pos, neg = positives, negatives
    else:
        n_pos = min(len(positives), max(1, limit // 4))
        pos = sorted(rng.sample(positives, n_pos))
        neg = stratified_sample(negatives, key=lambda r: r[2], n=max(0, limit - n_pos), rng=rng)

    cases = []
    for row, text, category in sorted(pos + neg):
        case = {"id": f"banking77-test-{row:04d}", "message": text, "lang": "en"}
        if category == POSITIVE:
            case["intent"] = "refund"
        case["refund"] = category == POSITIVE
        case["category"] = category  # provenance only; not scored
        cases.append(case)
    entries, _ = build_faq(shared)

    neg_categories = Counter(c["category"] for c in cases if not c["refund"])
    readme = render_readme(
        title="banking77 — out-of-domain refund check",
        summary=(
            "Banking-app queries: `request_refund` is a refund request (refund: true), every other category is "
            "not (refund: false). Measures refund precision/recall on out-of-domain wording; xiaoer should not "
            "fire `refund` on card, transfer or top-up chatter. `category` on each case is provenance only."
        ),
        sources=[SOURCE, f"{FAQ_SOURCE} (knowledge/faq.csv only)"],
        licence=licence_of(shared, "banking77"),
        attribution="BANKING77, PolyAI (Casanueva et al., 2020), PolyAI-LDN/task-specific-datasets.",
        counts=[
            ("source rows (test)", len(frame)),
            ("request_refund rows available", len(positives)),
            ("cases written", len(cases)),
            ("refund: true / false", f"{sum(c['refund'] for c in cases)} / {sum(not c['refund'] for c in cases)}"),
            ("negative categories covered", f"{len(neg_categories)} of {len({r[2] for r in negatives})}"),
            ("hard negatives included", {k: neg_categories[k] for k in HARD_NEGATIVES if neg_categories[k]}),
            ("cases per intent", label_counts(cases, "intent")),
        ],
        mapping=(
            "| BANKING77 category | case labels |\n|---|---|\n"
            "| request_refund | intent: refund, refund: true |\n"
            "| all 76 others (sampled evenly) | refund: false, no intent |\n\n"
            "Hard negatives among the others: " + ", ".join(HARD_NEGATIVES) + "."
        ),
        fields='`id` (banking77-test-<0-based source row>), `message`, `lang` ("en"), `intent` (positives only), `refund`, `category` (provenance).',
        caveats=[
            "`Refund_not_showing_up` (\"I'm still waiting for my refund\") is labelled refund: false because xiaoer files "
            "refund *tracking* under aftersale (Bitext track_refund). A reader who counts it as a refund intent "
            "should drop those cases rather than read them as false positives.",
            "request_refund itself is mixed: a few rows are about a wrong charge or an item not received "
            "(\"I wasn't charged the correct amount\"), which are closer to complaint or aftersale.",
            "Banking vocabulary (top-up, transfer, card, exchange rate) is out of domain for a shop bot; "
            "knowledge/faq.csv (the Bitext FAQ) is only there so replies have a KB.",
        ],
        limit=limit,
        seed=seed,
        name=NAME,
    )
    return Conversion(
        name=NAME,
        cases=cases,
        knowledge={FAQ_FILE: faq_csv(entries)},
        readme=readme,
        stats={"source_rows": len(frame)},
    )
