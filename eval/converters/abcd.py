"""ABCD (Action-Based Conversations Dataset) -> policy KB + opening-utterance intent cases.

Sources in ``abcd/``: ``guidelines.json`` (agent guidelines: 10 flows -> subflows ->
``actions`` [{type, button, text, subtext}] and ``instructions``), ``kb.json`` (subflow ->
required action sequence), ``ontology.json`` (flow -> subflow keys, slot values) and
``abcd_sample.json`` (sample dialogues: ``convo_id``, ``scenario`` {flow, subflow, ...},
``original`` [[speaker, text], ...], ``delexed``).

If the full corpus ``abcd/abcd_v1.1.json[.gz]`` (``{"train", "dev", "test"}``) is placed
beside the sample, its ``dev`` split is used instead of the 3-dialogue sample.

knowledge/policies.md
    One ``## {flow}`` section per flow (with its description) and one
    ``### {subflow} ({subflow key})`` section per subflow: the instructions, each agent
    action with its sub-points, and the kb.json action sequence. Return/refund policy
    (membership-dependent return windows, refund methods), shipping, order and
    subscription procedures live here.

cases.jsonl
    For each dialogue whose subflow maps onto xiaoer's labels, the customer's first
    substantive utterance (pure greetings such as "HEY HO!" are skipped)::

        {"id": "abcd-<convo_id>", "message", "lang": "en", "intent"}

    ``handoff`` is not set: ABCD agents always act on the account, so whether a bot
    should hand these off depends on its back-end, not on the text.

Subflow -> xiaoer mapping (numeric suffixes like ``timing_4`` are stripped first):

=========================  ===========  ==========================================
flow / subflow             xiaoer       note
=========================  ===========  ==========================================
product_defect/
  refund_initiate          refund       ask for a refund
  refund_update            refund       add an item to an existing refund
  refund_status            aftersale    = Bitext track_refund
  return_stain|color|size  refund       return for a refund (ABCD has no exchanges)
order_issue/
  manage_cancel            refund       cancel an accidental item = cancel_order
  status_delivery_time     logistics
  manage_upgrade           logistics    overnight shipping
  manage_downgrade         logistics    slower, cheaper shipping
shipping_issue/
  status                   logistics    = track_order
  manage                   logistics    change address / order in transit
  missing                  logistics    item not arrived
manage_account/
  manage_change_address    logistics    = set_up_shipping_address
  status_shipping_question logistics    free international shipping? = delivery_options
storewide_query/
  pricing|membership|timing presale     store FAQ before buying
single_item_query/
  boots|shirt|jeans|jacket presale      product FAQ
purchase_dispute/
  out_of_stock_general     presale
  out_of_stock_one_item    presale
  promo_code_invalid       presale      coupon at checkout
  promo_code_out_of_date   presale
(dropped)                               shipping_issue/cost (fee waiver or refund:
                                        ambiguous), storewide_query/policy (mixes
                                        refund policy with subscriptions),
                                        order_issue status_mystery_fee,
                                        status_payment_method, status_quantity,
                                        manage_create; purchase_dispute bad_price_*,
                                        mistimed_billing_*; all of account_access,
                                        subscription_inquiry, troubleshoot_site and
                                        the rest of manage_account
=========================  ===========  ==========================================
"""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path
from typing import Any

from eval.converters import Conversion, label_counts, licence_of, render_readme, require, squash, stratified_sample

NAME = "abcd"
FOLDER = "abcd"
KNOWLEDGE_FILE = "policies.md"
DEFAULT_LIMIT: int | None = None
FULL_CORPUS = ("abcd_v1.1.json.gz", "abcd_v1.1.json")
FULL_SPLIT = "dev"

SUBFLOW_TO_XIAOER: dict[tuple[str, str], str] = {
    ("product_defect", "refund_initiate"): "refund",
    ("product_defect", "refund_update"): "refund",
    ("product_defect", "refund_status"): "aftersale",
    ("product_defect", "return_stain"): "refund",
    ("product_defect", "return_color"): "refund",
    ("product_defect", "return_size"): "refund",
    ("order_issue", "manage_cancel"): "refund",
    ("order_issue", "status_delivery_time"): "logistics",
    ("order_issue", "manage_upgrade"): "logistics",
    ("order_issue", "manage_downgrade"): "logistics",
    ("shipping_issue", "status"): "logistics",
    ("shipping_issue", "manage"): "logistics",
    ("shipping_issue", "missing"): "logistics",
    ("manage_account", "manage_change_address"): "logistics",
    ("manage_account", "status_shipping_question"): "logistics",
    ("storewide_query", "pricing"): "presale",
    ("storewide_query", "membership"): "presale",
    ("storewide_query", "timing"): "presale",
    ("single_item_query", "boots"): "presale",
    ("single_item_query", "shirt"): "presale",
    ("single_item_query", "jeans"): "presale",
    ("single_item_query", "jacket"): "presale",
    ("purchase_dispute", "out_of_stock_general"): "presale",
    ("purchase_dispute", "out_of_stock_one_item"): "presale",
    ("purchase_dispute", "promo_code_invalid"): "presale",
    ("purchase_dispute", "promo_code_out_of_date"): "presale",
}

_GREETING = re.compile(
    r"^(hi|hello|hey|hey ho|heya|hiya|howdy|yo|good (morning|afternoon|evening|day)|greetings|hi there|hello there)"
    r"( there)?[\s!.,~]*$",
    re.IGNORECASE,
)


def _flow_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def base_subflow(subflow: str) -> str:
    """``timing_4`` -> ``timing`` (ABCD numbers FAQ variants)."""
    return re.sub(r"_\d+$", "", subflow)


def first_substantive(turns: list[Any]) -> str | None:
    for turn in turns:
        if not isinstance(turn, (list, tuple)) or len(turn) < 2 or turn[0] != "customer":
            continue
        text = squash(turn[1])
        if text and not _GREETING.match(text):
            return text
    return None


def policies_markdown(guidelines: dict, kb: dict, ontology: dict) -> str:
    subflow_keys = ontology.get("intents", {}).get("subflows", {})
    out = [
        "# Customer-service policies and procedures (ABCD agent guidelines)",
        "",
        "Agent guidelines of the ABCD clothing store: how each kind of request is handled, including the "
        "return policy by membership level, refund methods, shipping changes and subscription billing.",
        "",
    ]
    for flow, spec in guidelines.items():
        flow_key = _flow_key(flow)
        out += [f"## {flow}", ""]
        if spec.get("description"):
            out += [f"{flow} covers {squash(spec['description'])}.", ""]
        keys = subflow_keys.get(flow_key, [])
        for position, (subflow, body) in enumerate(spec.get("subflows", {}).items()):
            key = keys[position] if position < len(keys) else _flow_key(subflow)
            out += [f"### {subflow} ({key})", ""]
            instructions = [squash(i) for i in body.get("instructions", []) if squash(i)]
            if instructions:
                out += ["\n".join(instructions), ""]
            for action in body.get("actions", []):
                text = squash(action.get("text", ""))
                button = squash(action.get("button", ""))
                if not text or text.lower() in {"x", "communication"}:
                    text = ""
                head = f"{button}: {text}" if button and button != "N/A" and text else (text or button)
                if not head or head == "N/A":
                    continue
                lines = [f"- {head}"]
                lines += [f"  - {squash(s)}" for s in action.get("subtext", []) if squash(s)]
                out += ["\n".join(lines), ""]
            if key in kb:
                out += ["Required agent actions, in order: " + ", ".join(kb[key]) + ".", ""]
    return "\n".join(out).rstrip() + "\n"


def _load_dialogues(shared: Path) -> tuple[list[dict], str]:
    for name in FULL_CORPUS:
        path = Path(shared) / FOLDER / name
        if path.is_file():
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as fh:
                data = json.load(fh)
            return list(data[FULL_SPLIT]), f"{FOLDER}/{name} ({FULL_SPLIT} split)"
    (path,) = require(shared, f"{FOLDER}/abcd_sample.json")
    return json.loads(path.read_text(encoding="utf-8")), f"{FOLDER}/abcd_sample.json"


def convert(shared: Path, *, limit: int | None = DEFAULT_LIMIT, seed: int = 13) -> Conversion:
    g_path, kb_path, o_path = require(
        shared, f"{FOLDER}/guidelines.json", f"{FOLDER}/kb.json", f"{FOLDER}/ontology.json"
    )
    guidelines = json.loads(g_path.read_text(encoding="utf-8"))
    kb = json.loads(kb_path.read_text(encoding="utf-8"))
    ontology = json.loads(o_path.read_text(encoding="utf-8"))
    dialogues, dialogue_source = _load_dialogues(shared)

    pool, dropped = [], {}
    for convo in dialogues:
        scenario = convo.get("scenario", {})
        flow, subflow = scenario.get("flow", ""), base_subflow(scenario.get("subflow", ""))
        label = SUBFLOW_TO_XIAOER.get((flow, subflow))
        message = first_substantive(convo.get("original", []))
        if label is None or message is None:
            key = f"{flow}/{subflow}" if label is None else f"{flow}/{subflow} (no customer text)"
            dropped[key] = dropped.get(key, 0) + 1
            continue
        pool.append((str(convo.get("convo_id")), flow, subflow, label, message))

    if limit is not None and limit < len(pool):
        pool = stratified_sample(pool, key=lambda r: r[2], n=limit, rng=random.Random(seed))

    cases = [
        {"id": f"abcd-{cid}", "message": message, "lang": "en", "intent": label, "category": f"{flow}/{subflow}"}
        for cid, flow, subflow, label, message in pool
    ]
    markdown = policies_markdown(guidelines, kb, ontology)

    rows = "\n".join(f"| {f}/{s} | {x} |" for (f, s), x in SUBFLOW_TO_XIAOER.items())
    licence = licence_of(shared, FOLDER)
    readme = render_readme(
        title="abcd — policy knowledge base and opening requests (ABCD)",
        summary=(
            "knowledge/policies.md turns ABCD's agent guidelines (return windows by membership level, refund methods, "
            "shipping and order changes, store FAQ topics) into Markdown; each case is a customer's opening request, "
            "labelled through the subflow mapping below."
        ),
        sources=[
            f"{FOLDER}/guidelines.json",
            f"{FOLDER}/kb.json",
            f"{FOLDER}/ontology.json",
            dialogue_source,
        ],
        licence=licence,
        attribution="ABCD, ASAPP Research (Chen et al., 2021), asappresearch/abcd; MIT licence text in shared/datasets/abcd/LICENSE.",
        counts=[
            ("dialogues read", len(dialogues)),
            ("dialogues mapped", len(pool)),
            ("dropped (unmapped subflow)", dropped),
            ("cases written", len(cases)),
            ("cases per intent", label_counts(cases, "intent")),
            ("flows / subflows in policies.md", f"{len(guidelines)} / {sum(len(v.get('subflows', {})) for v in guidelines.values())}"),
        ],
        mapping=(
            "| ABCD flow/subflow | xiaoer intent |\n|---|---|\n" + rows + "\n\n"
            "Everything else is dropped (see the module docstring of eval/converters/abcd.py for the reasons)."
        ),
        fields='`id` (abcd-<convo_id>), `message` (first non-greeting customer utterance), `lang` ("en"), `intent`, `category` (ABCD flow/subflow, provenance).',
        caveats=[
            "shared/datasets/abcd holds only abcd_sample.json (3 dialogues), so this set has a handful of cases: "
            "it is a smoke test and a policy KB, not a benchmark. Drop abcd_v1.1.json.gz (the full corpus) into "
            "the abcd folder and the converter uses its dev split instead.",
            "The guidelines are agent procedures ('click [Validate Purchase]'), not customer-facing answers, so no "
            "answer_contains is generated; policies.md is best used as extra after-sale knowledge.",
            "ABCD's 'return' flows are returns for a refund (labelled refund); a shop with exchanges would split "
            "return_size/return_color between refund and exchange.",
            "Customer openings are often only partial ('I need to return an item'); the subflow (stain / colour / "
            "size) is revealed later in the dialogue.",
        ],
        limit=limit,
        seed=seed,
        name=NAME,
    )
    return Conversion(name=NAME, cases=cases, knowledge={KNOWLEDGE_FILE: markdown}, readme=readme, stats={})
