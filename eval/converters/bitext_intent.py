"""Bitext intent detection (validation split) -> intent + handoff cases.

Source: ``bitext_intent/Bitext_Sample_Customer_Service_Validation_Dataset.csv`` (810
utterances, 27 intents; columns ``utterance,intent,entity_type,entity_value,start_offset,
end_offset,category,tags``). The training split is never read: it is for tuning.

Intent mapping (shared/datasets/README.md, eval.converters.BITEXT_TO_XIAOER):

=========== ==============================================================================
refund      get_refund, cancel_order
aftersale   check_refund_policy, track_refund, check_cancellation_fee, check_invoice,
            get_invoice
logistics   track_order, delivery_period, delivery_options, change_shipping_address,
            set_up_shipping_address
presale     place_order, check_payment_methods
human       contact_human_agent, contact_customer_service
complaint   complaint
(dropped)   create/delete/edit/switch_account, recover_password, registration_problems,
            newsletter_subscription, review, payment_issue, change_order
=========== ==============================================================================

Cases: ``{"id", "message", "lang": "en", "intent", "handoff"}`` with ``handoff`` true
exactly for the ``human`` label; no ``answer_contains``. ``--limit`` samples evenly per
Bitext intent (default: every mapped row).

knowledge/faq.csv: the Bitext FAQ built by :mod:`eval.converters.bitext_answers`, so the
turn pipeline has a knowledge base to answer from.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd

from eval.converters import (
    BITEXT_TO_XIAOER,
    Conversion,
    label_counts,
    licence_of,
    render_readme,
    require,
    squash,
    stratified_sample,
)
from eval.converters.bitext_answers import FAQ_FILE, build_faq, faq_csv
from eval.converters.bitext_answers import SOURCE as FAQ_SOURCE

NAME = "bitext_intent"
SOURCE = "bitext_intent/Bitext_Sample_Customer_Service_Validation_Dataset.csv"
DEFAULT_LIMIT: int | None = None

MAPPING_TABLE = """| xiaoer | Bitext intents |
|---|---|
| refund | get_refund, cancel_order |
| aftersale | check_refund_policy, track_refund, check_cancellation_fee, check_invoice, get_invoice |
| logistics | track_order, delivery_period, delivery_options, change_shipping_address, set_up_shipping_address |
| presale | place_order, check_payment_methods |
| human | contact_human_agent, contact_customer_service |
| complaint | complaint |
| (rows dropped) | create_account, delete_account, edit_account, switch_account, recover_password, registration_problems, newsletter_subscription, review, payment_issue, change_order |

`handoff` is true for the `human` label only (complaints are false: Bitext complaints are calm requests to file one)."""


def convert(shared: Path, *, limit: int | None = DEFAULT_LIMIT, seed: int = 13) -> Conversion:
    (path,) = require(shared, SOURCE)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    pool = []
    dropped: dict[str, int] = {}
    for row, (utterance, intent) in enumerate(zip(frame["utterance"], frame["intent"])):
        label = BITEXT_TO_XIAOER.get(intent)
        message = squash(utterance)
        if label is None or not message:
            dropped[intent] = dropped.get(intent, 0) + 1
            continue
        pool.append((row, intent, label, message))

    sample = stratified_sample(pool, key=lambda r: r[1], n=limit, rng=random.Random(seed))
    cases = [
        {
            "id": f"bitext-val-{row:04d}",
            "message": message,
            "lang": "en",
            "intent": label,
            "handoff": label == "human",
        }
        for row, _intent, label, message in sample
    ]
    entries, _ = build_faq(shared)

    readme = render_readme(
        title="bitext_intent — intent and handoff on Bitext's validation split",
        summary=(
            "Single-turn English customer-service utterances labelled with xiaoer's intents; scores intent "
            "accuracy/F1, refund precision/recall and handoff. knowledge/faq.csv is the 27-entry Bitext FAQ "
            "(see the bitext_answers converter) so replies have something to draw on."
        ),
        sources=[SOURCE, f"{FAQ_SOURCE} (knowledge/faq.csv only)"],
        licence=licence_of(shared, "bitext_intent"),
        attribution="Bitext customer-support intent detection dataset (bitext/customer-support-intent-detection-training-dataset).",
        counts=[
            ("source rows (validation)", len(frame)),
            ("rows with a mapped intent", len(pool)),
            ("rows dropped (not scored)", sum(dropped.values())),
            ("cases written", len(cases)),
            ("cases per intent", label_counts(cases, "intent")),
            ("handoff=true", sum(c["handoff"] for c in cases)),
            ("FAQ entries (knowledge/faq.csv)", len(entries)),
        ],
        mapping=MAPPING_TABLE,
        fields='`id` (bitext-val-<0-based source row>), `message`, `lang` ("en"), `intent`, `handoff`.',
        caveats=[
            "Template-generated utterances: of the 528 mapped validation rows, 95 carry Bitext's typo tag Z "
            "('havew a question', 'cancel roder', 'cancelo purchase'), 23 the offensive tag W and 51 are keyword "
            "fragments (tag K, 'cancel order', 'track refund'). Kept verbatim.",
            "Template leakage: 54 of the 528 are identical to a *training* utterance once numbers are masked (3 "
            "exactly identical, case-insensitive), so a model tuned on the training split is slightly flattered here.",
            "refund vs aftersale is noisy at the source: track_refund (aftersale) contains requests such as "
            "'I expect a refund of 1200 dollars', while get_refund (refund) contains 'reimburse 160 dollars'.",
            "contact_customer_service -> human with handoff=true follows the shared mapping, but many of its rows "
            "only ask for opening hours or a contact channel ('need to see what hours i can reach customer service').",
            "cancel_order -> refund follows the shared mapping; complaint rows are calm requests to file a claim "
            "('help me to file a customer reclamation') and are handoff=false.",
            "Lexical substitutions give odd English: place_order rows say 'earn a few of your product'; "
            "check_cancellation_fee uses telecom wording ('early termination penalty', 'withdrawal charge').",
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
        stats={"source_rows": len(frame), "mapped_rows": len(pool)},
    )
