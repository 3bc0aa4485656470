"""CLINC150 (test split) -> fallback / abstention check.

Source: ``clinc150/data_full.json`` (keys ``train, val, test, oos_train, oos_val,
oos_test``; each a list of ``[text, intent]``). Only ``test`` and ``oos_test`` are read.

Cases:

* out-of-scope queries (``oos_test``) -> ``"abstain": true, "handoff": true``, no intent:
  the bot should not claim an answer and should fall back to a person.
* in-scope queries from the CLINC intents a shop assistant should handle itself ->
  ``"abstain": false, "handoff": false`` plus the intent below.

=================== ==========  ==================================================
CLINC intent        xiaoer      why
=================== ==========  ==================================================
order_status        logistics   "where is my package" = Bitext track_order
greeting            chitchat    small talk the bot answers itself
goodbye             chitchat
thank_you           chitchat
are_you_a_bot       chitchat
what_can_i_ask_you  chitchat
what_is_your_name   chitchat
who_do_you_work_for chitchat
=================== ==========  ==================================================

The other 142 in-scope CLINC intents (weather, translation, banking, travel, ...) are
*not* used: for a shop bot they are out of scope too, so labelling them abstain: false
would reward answering them, and labelling them abstain: true would contradict CLINC's
own labels. ``order`` ("alexa, buy a new television") and ``cancel`` ("stop what you're
doing") are voice-assistant commands, not shop requests, and are left out as well.

Sampling: ``--limit N`` (default 480) gives ``ceil(N/2)`` out-of-scope queries (a seeded
sample of the 1,000) and the rest in-scope, spread evenly over the intents above (30 test
queries each, so at most 240 in-scope).

knowledge/faq.csv: a copy of the Bitext FAQ (eval.converters.bitext_answers).
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

from eval.converters import Conversion, label_counts, licence_of, render_readme, require, squash, stratified_sample
from eval.converters.bitext_answers import FAQ_FILE, build_faq, faq_csv
from eval.converters.bitext_answers import SOURCE as FAQ_SOURCE

NAME = "clinc150"
SOURCE = "clinc150/data_full.json"
DEFAULT_LIMIT: int | None = 480

IN_SCOPE: dict[str, str] = {
    "order_status": "logistics",
    "greeting": "chitchat",
    "goodbye": "chitchat",
    "thank_you": "chitchat",
    "are_you_a_bot": "chitchat",
    "what_can_i_ask_you": "chitchat",
    "what_is_your_name": "chitchat",
    "who_do_you_work_for": "chitchat",
}


def convert(shared: Path, *, limit: int | None = DEFAULT_LIMIT, seed: int = 13) -> Conversion:
    (path,) = require(shared, SOURCE)
    data = json.loads(path.read_text(encoding="utf-8"))
    for key in ("test", "oos_test"):
        if key not in data:
            raise ValueError(f"{path}: no {key!r} split; is this CLINC150 data_full.json?")
    oos = [(i, squash(t)) for i, (t, _label) in enumerate(data["oos_test"]) if squash(t)]
    inscope = [(i, squash(t), label) for i, (t, label) in enumerate(data["test"]) if label in IN_SCOPE and squash(t)]

    rng = random.Random(seed)
    if limit is None:
        oos_pick, in_pick = oos, inscope
    else:
        n_oos = min(len(oos), math.ceil(limit / 2))
        oos_pick = sorted(rng.sample(oos, n_oos))
        in_pick = stratified_sample(inscope, key=lambda r: r[2], n=max(0, limit - n_oos), rng=rng)

    cases = []
    for i, text in oos_pick:
        cases.append({"id": f"clinc-oos-{i:04d}", "message": text, "lang": "en", "handoff": True, "abstain": True})
    for i, text, label in in_pick:
        cases.append(
            {
                "id": f"clinc-test-{i:04d}",
                "message": text,
                "lang": "en",
                "intent": IN_SCOPE[label],
                "handoff": False,
                "abstain": False,
                "category": label,  # provenance only; not scored
            }
        )
    entries, _ = build_faq(shared)

    table = "\n".join(f"| {k} | {v} | abstain: false, handoff: false |" for k, v in IN_SCOPE.items())
    readme = render_readme(
        title="clinc150 — out-of-scope fallback (abstention) check",
        summary=(
            "CLINC150's out-of-scope test queries (\"how many prime numbers are there between 0 and 100\") must not "
            "get a confident answer from the shop KB: abstain: true, handoff: true. In-scope queries the shop bot "
            "should handle itself (order status, small talk) are the controls: abstain: false."
        ),
        sources=[SOURCE, f"{FAQ_SOURCE} (knowledge/faq.csv only)"],
        licence=licence_of(shared, "clinc150"),
        attribution="CLINC150 / oos-eval (Larson et al., 2019), clinc/oos-eval.",
        counts=[
            ("oos_test rows available", len(oos)),
            ("in-scope test rows from the chosen intents", len(inscope)),
            ("cases written", len(cases)),
            ("abstain: true / false", f"{len(oos_pick)} / {len(in_pick)}"),
            ("cases per intent", label_counts(cases, "intent")),
        ],
        mapping=(
            "| CLINC intent | xiaoer intent | labels |\n|---|---|---|\n"
            "| oos (out of scope) | (none) | abstain: true, handoff: true |\n" + table + "\n\n"
            "All other in-scope CLINC intents are not used (see eval/converters/clinc150.py)."
        ),
        fields='`id` (clinc-oos-/clinc-test-<0-based index in the split>), `message`, `lang` ("en"), `intent` (in-scope only), `handoff`, `abstain`, `category` (provenance).',
        caveats=[
            "The eval counts a reply as an abstention only when the bot hands off for low confidence; an OOS query "
            "answered with some unrelated FAQ entry counts as a wrong non-abstention, which is the point.",
            "handoff: true on OOS follows the brief (fall back to a person). A shop might prefer a polite "
            "\"I can only help with orders\" without a handoff; read handoff recall here with that in mind.",
            "Some OOS queries are close to shopping ('what are the highest-rated android phones', 'it is white "
            "colour'), so a bot with a real catalogue could legitimately answer a few of them.",
            "CLINC chit-chat is phrased for a voice assistant ('are you okay', 'who is your boss'); greeting in CLINC "
            "is mostly 'how are you' small talk rather than 'hello'.",
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
        stats={"oos_available": len(oos)},
    )
