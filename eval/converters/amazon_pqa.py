"""Amazon ePQA (dev) -> pre-sale product-question answering over product facts.

Source: ``amazon_pqa/ePQA_dev.csv`` (9,770 rows = 977 questions x ~10 candidates, 888
products; columns ``qid,question,ASIN,candidate,source,qa_pair_id,title,label,answer``;
label 2 = the candidate fully answers the question, 1 = partly, 0 = irrelevant).

knowledge/products.md
    One ``## {title} ({ASIN})`` section per sampled product listing every distinct
    candidate sentence of that product (all of its questions, all labels) as its own
    paragraph, in source order. Whitespace inside a candidate is collapsed to single
    spaces; nothing else is changed.

cases.jsonl
    Questions with at least one usable label-2 candidate (not blank, 12-600 characters:
    shorter ones like "yes" are not distinctive, longer ones get re-split by the ingester)::

        {"id": "epqa-<qid>", "message": question, "lang": "en", "intent": "presale",
         "answer_contains": [...], "source": "products.md"}

    ``answer_contains`` lists the label-2 candidates of that question (up to 3, source
    order), each trimmed to its first ~60 characters at a word boundary (for community
    answers, "<answer> Question: <other question>", only the answer part is used). The eval accepts
    a reply that contains *any* of them, and each is verbatim in products.md.

Sampling: ``--limit N`` (default 150) questions, a seeded sample of the answerable ones;
the knowledge file covers exactly their products (~1 product per question: ePQA has ~1.1
questions per product), so the KB stays modest.

Label mapping: every case is ``presale`` (product facts before purchase).
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd

from eval.converters import Conversion, label_counts, licence_of, render_readme, require, squash, trim_words

NAME = "amazon_pqa"
SOURCE = "amazon_pqa/ePQA_dev.csv"
KNOWLEDGE_FILE = "products.md"
DEFAULT_LIMIT: int | None = 150
MIN_ANSWER_CHARS = 12
MAX_ANSWER_CHARS = 600  # knowledge.parsers.MAX_CHUNK_CHARS: longer paragraphs get re-split
MAX_ALTERNATIVES = 3
_CQA_SPLIT = " Question: "


def answer_part(candidate: str) -> str:
    """A community-QA candidate is "<answer> Question: <the question it answered>": keep the answer."""
    head = candidate.split(_CQA_SPLIT, 1)[0].strip()
    return head if len(head) >= MIN_ANSWER_CHARS else candidate


def _heading_text(text: str) -> str:
    return squash(text).replace("#", "").strip() or "(untitled product)"


def convert(shared: Path, *, limit: int | None = DEFAULT_LIMIT, seed: int = 13) -> Conversion:
    (path,) = require(shared, SOURCE)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    needed = {"qid", "question", "ASIN", "candidate", "title", "label", "qa_pair_id"}
    if not needed <= set(frame.columns):
        raise ValueError(f"{path}: expected columns {sorted(needed)}, found {list(frame.columns)}")
    frame["row"] = range(len(frame))
    frame["candidate_n"] = frame["candidate"].map(squash)
    frame["label_n"] = pd.to_numeric(frame["label"], errors="coerce").fillna(-1).astype(int)

    questions = {}
    for qid, group in frame.groupby("qid", sort=False):
        group = group.sort_values("row")
        good = [
            c
            for c in group.loc[group["label_n"] == 2, "candidate_n"]
            if MIN_ANSWER_CHARS <= len(c) <= MAX_ANSWER_CHARS
        ]
        alternatives = list(dict.fromkeys(trim_words(answer_part(c)) for c in good))[:MAX_ALTERNATIVES]
        question = squash(group["question"].iloc[0])
        if alternatives and question:
            questions[qid] = (int(group["row"].iloc[0]), question, group["ASIN"].iloc[0], alternatives)
    answerable = sorted(questions, key=lambda q: questions[q][0])

    rng = random.Random(seed)
    chosen = answerable if limit is None or limit >= len(answerable) else rng.sample(answerable, limit)
    chosen = sorted(chosen, key=lambda q: questions[q][0])
    asins = list(dict.fromkeys(questions[q][2] for q in chosen))

    sections = []
    for asin in asins:
        rows = frame[frame["ASIN"] == asin].sort_values("row")
        title = _heading_text(rows["title"].iloc[0])
        candidates = [c for c in dict.fromkeys(rows["candidate_n"]) if c]
        body = "\n\n".join(f"- {c}" for c in candidates)
        sections.append(f"## {title} ({asin})\n\n{body}\n")
    markdown = "# Product facts (Amazon ePQA dev)\n\n" + "\n".join(sections)

    cases = [
        {
            "id": f"epqa-{qid}",
            "message": questions[qid][1],
            "lang": "en",
            "intent": "presale",
            "answer_contains": questions[qid][3],
            "source": KNOWLEDGE_FILE,
        }
        for qid in chosen
    ]
    all_q = frame["qid"].nunique()
    readme = render_readme(
        title="amazon_pqa — pre-sale product questions over product facts (ePQA dev)",
        summary=(
            "Shopper questions about a specific product; knowledge/products.md lists that product's candidate "
            "facts (attributes, bullets, description, reviews, community Q&A). A reply is correct if it contains "
            "one of the facts annotators judged to fully answer the question (label 2)."
        ),
        sources=[SOURCE],
        licence=licence_of(shared, "amazon_pqa"),
        attribution="Amazon ePQA (amazon-science/contextual-product-qa).",
        counts=[
            ("source rows", len(frame)),
            ("questions in source", all_q),
            ("answerable questions (>=1 usable label-2 candidate)", len(answerable)),
            ("cases written", len(cases)),
            ("products in knowledge/products.md", len(asins)),
            ("candidate paragraphs in products.md", markdown.count("\n- ")),
            ("cases per intent", label_counts(cases, "intent")),
        ],
        mapping="All cases: `intent: presale`. ePQA labels: 2 -> used as answer_contains; 1 and 0 -> only knowledge text.",
        fields='`id` (epqa-<qid>), `message`, `lang` ("en"), `intent` ("presale"), `answer_contains` (1-3 alternatives, any may match), `source` ("products.md").',
        caveats=[
            "Questions are product-specific but often do not name the product ('will this fit my model?'); the "
            "eval sends the bare question, so retrieval has to find the product from the question alone. Expect "
            "low scores for questions that only make sense on a product page.",
            "Candidates are noisy: reviews, attribute dumps ('number_of_items: { value:1 }') and community answers "
            "that carry another question after 'Question:'. Labels come from crowd annotation and some label-2 "
            "candidates answer only loosely.",
            "answer_contains is a 60-character prefix; an answerer that paraphrases instead of quoting fails even "
            "when right, so this measures extractive accuracy.",
            "The ingester packs consecutive paragraphs of a section into chunks of up to 600 characters, so a "
            "reply that quotes a whole chunk can contain the right fact next to others: answer accuracy is "
            "lenient for verbose answerers. With a single knowledge file, `source` retrieval recall is trivially 1.",
            "Questions and candidates are lower-cased in the source; there is no price/stock data, so this "
            "exercises markdown passages, not the catalog parser.",
        ],
        limit=limit,
        seed=seed,
        name=NAME,
    )
    return Conversion(
        name=NAME,
        cases=cases,
        knowledge={KNOWLEDGE_FILE: markdown},
        readme=readme,
        stats={"products": len(asins), "answerable": len(answerable)},
    )
