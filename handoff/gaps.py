"""Knowledge gaps: the questions the bot could not answer, grouped by meaning, so a
merchant sees "23 shoppers asked about cash on delivery" rather than 23 log lines.

Source: ``unanswered`` events (``data.question``, ``data.reason``, value = confidence) of
one merchant whose ``created_at`` falls in ``[since, until)``, less those of phrasings the
merchant's knowledge has answered since (``closed_gaps``, knowledge/loop.py closes them).

Grouping: questions that are the same after Unicode NFKC, whitespace collapsing and
casefolding are one phrasing (so they always share a group). Phrasings are embedded once
and clustered greedily in the order they were first asked: each joins the group it is
most similar to, if that similarity is at least ``threshold``, or starts a new group. A
group keeps one centroid per language (the count-weighted mean of its members' vectors
in that language, re-normalised); a phrasing's similarity to the group is its cosine to
the same-language centroid, or to the other language's centroid plus
``CROSS_LINGUAL_MARGIN`` (see there why), whichever is higher. The representative
question of a group is the phrasing closest to its overall count-weighted centroid.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from pydantic import BaseModel

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.metrics import EventRecord, load_events
from handoff.models import ClosedGap
from xiaoer.lang import detect_language
from xiaoer.privacy import mask_pii

MAX_EXAMPLES = 5

# Added to a cosine between a Chinese and an English text before it meets the threshold,
# per embedder name. USE v3 puts a question and its translation further apart than two
# same-language paraphrases: on the 54 parallel zh/en questions of the demo FAQ,
# translations have median cosine 0.64 and only 9 % reach 0.75, while distinct questions
# across languages reach 0.65 in 0.14 % of pairs. Clustering those 108 questions (5
# shuffles), pair precision / recall is 0.50 / 0.10 with no margin, 0.64 / 0.45 with 0.10
# and 0.59 / 0.59 with 0.15; on 8 hand-written 4-question zh+en groups plus 3 unrelated
# questions, 1.00 / 0.19, 1.00 / 0.44 and 0.80 / 0.55 (0.15 merges "installments" with
# "cash on delivery"). Other embedders (MiniLM is English-only) get no margin.
CROSS_LINGUAL_MARGIN: dict[str, float] = {"use3": 0.10}


class KnowledgeGap(BaseModel):
    question: str  # the representative phrasing
    count: int  # unanswered events in the group
    examples: list[str]  # up to 5 distinct phrasings, most asked first
    reasons: list[str]  # distinct reasons seen, most frequent first
    last_seen: datetime


@dataclass
class _Phrasing:
    text: str  # as first asked, stripped
    count: int = 0
    last_seen: datetime = datetime.min
    reasons: Counter = field(default_factory=Counter)


def question_key(text: str) -> str:
    """What makes two questions "identical": NFKC, collapsed whitespace, casefolded."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _phrasings(events: Iterable[EventRecord]) -> list[_Phrasing]:
    by_key: dict[str, _Phrasing] = {}
    for e in sorted(events, key=lambda e: e.created_at):
        if e.kind != "unanswered":
            continue
        text = str(e.get("question") or "").strip()
        if not text:
            continue
        p = by_key.setdefault(question_key(text), _Phrasing(text=text))
        p.count += 1
        p.last_seen = max(p.last_seen, e.created_at)
        p.reasons[str(e.get("reason") or "unknown")] += 1
    return list(by_key.values())  # in the order first asked


def _cluster(
    vectors: np.ndarray, weights: np.ndarray, langs: list[str], threshold: float, margin: float
) -> list[list[int]]:
    """Greedy leader clustering on count-weighted centroids kept per language (rows of
    ``vectors`` are L2-normalised). A phrasing's similarity to a group is the best of its
    cosine to the group's same-language centroid and its cosine to another language's
    centroid plus ``margin``."""
    codes = sorted(set(langs))
    lang_index = [codes.index(lang) for lang in langs]
    n, dim = vectors.shape
    sums = np.zeros((n, len(codes), dim))
    centroids = np.zeros((n, len(codes), dim))
    present = np.zeros((n, len(codes)), dtype=bool)
    bonus = np.full((len(codes), len(codes)), margin) - np.eye(len(codes)) * margin  # margin off the diagonal
    groups: list[list[int]] = []
    for i, v in enumerate(vectors):
        li, k = lang_index[i], len(groups)
        target = k
        if k:
            sims = np.where(present[:k], centroids[:k] @ v + bonus[li], -np.inf).max(axis=1)
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                target = best
        if target == k:
            groups.append([])
        groups[target].append(i)
        sums[target, li] += weights[i] * v
        centroids[target, li] = sums[target, li] / max(float(np.linalg.norm(sums[target, li])), 1e-12)
        present[target, li] = True
    return groups


def _most_first(items, key):
    return sorted(items, key=key, reverse=True)


def group_questions(
    events: Iterable[EventRecord], embedder, *, threshold: float = 0.75, limit: int = 10
) -> list[KnowledgeGap]:
    """Group ``unanswered`` events by question similarity (pure apart from ``embedder``).

    Sorted by count (descending), then last_seen (most recent first); at most ``limit``.
    """
    phrasings = _phrasings(events)
    if not phrasings:
        return []
    vectors = np.asarray(embedder.embed([p.text for p in phrasings]), dtype=np.float64)
    weights = np.array([p.count for p in phrasings], dtype=np.float64)
    gaps = []
    langs = [detect_language(p.text) for p in phrasings]
    margin = CROSS_LINGUAL_MARGIN.get(getattr(embedder, "name", ""), 0.0)
    for members in _cluster(vectors, weights, langs, threshold, margin):
        centroid = (weights[members, None] * vectors[members]).sum(axis=0)
        closeness = vectors[members] @ centroid
        representative = phrasings[members[max(range(len(members)), key=lambda j: (closeness[j], weights[members[j]]))]]
        group = _most_first((phrasings[i] for i in members), key=lambda p: (p.count, p.last_seen))
        reasons = sum((p.reasons for p in group), Counter())
        gaps.append(
            KnowledgeGap(
                question=representative.text,
                count=sum(p.count for p in group),
                examples=[p.text for p in group[:MAX_EXAMPLES]],
                reasons=[r for r, _ in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))],
                last_seen=max(p.last_seen for p in group),
            )
        )
    return _most_first(gaps, key=lambda g: (g.count, g.last_seen))[:limit]


def knowledge_gaps(
    merchant_id: str,
    embedder,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10,
    threshold: float = 0.75,
) -> list[KnowledgeGap]:
    """A merchant's top knowledge gaps from its ``unanswered`` events in ``[since, until)``.

    ``embedder`` is anything with ``embed(list[str]) -> L2-normalised vectors``
    (``retrieval.embedders.get_embedder()``); it is only called when there are questions.
    """
    from xiaoer.db import session_scope

    with session_scope() as session:
        events = open_gap_events(session, merchant_id, since=since, until=until)
    return group_questions(events, embedder, threshold=threshold, limit=limit)


def open_gap_events(
    session: Session, merchant_id: str, *, since: datetime | None = None, until: datetime | None = None
) -> list[EventRecord]:
    """``unanswered`` events in ``[since, until)`` whose phrasing is not closed (or went
    unanswered again after it was closed)."""
    closed = dict(
        session.execute(select(ClosedGap.question_key, ClosedGap.closed_at).where(ClosedGap.merchant_id == merchant_id)).all()
    )
    events = load_events(session, merchant_id, since=since, until=until, kinds=["unanswered"])
    return [e for e in events if e.created_at > closed.get(_closed_key(str(e.get("question") or "")), datetime.min)]


def _closed_key(question: str) -> str:
    """The key a closed phrasing is stored under: masked, so ``closed_gaps`` keeps no
    shopper's personal data, and the same before and after ``xiaoer purge`` masks events."""
    return question_key(mask_pii(question))


def open_gap_questions(session: Session, merchant_id: str, *, since: datetime | None = None) -> list[str]:
    """Each open phrasing once (as first asked), most recently asked first."""
    return [p.text for p in sorted(_phrasings(open_gap_events(session, merchant_id, since=since)), key=lambda p: p.last_seen, reverse=True)]


def close_gaps(session: Session, merchant_id: str, questions: Iterable[str], *, now: datetime | None = None) -> None:
    """Mark these phrasings answered as of ``now``."""
    from xiaoer.db import utcnow

    now = now or utcnow()
    for key in {_closed_key(q) for q in questions}:
        row = session.get(ClosedGap, (merchant_id, key))
        if row is None:
            session.add(ClosedGap(merchant_id=merchant_id, question_key=key, closed_at=now))
        else:
            row.closed_at = now
