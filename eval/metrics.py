"""Scores computed from per-case outcomes. Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel


class CaseOutcome(BaseModel):
    id: str
    message: str
    lang: str | None
    reply: str
    intent_gold: str | None
    intent_pred: str | None
    answer_expected: list[str] | None
    answer_correct: bool | None
    source: str | None
    source_rank: int | None  # 1-based rank of the first retrieved chunk from `source`; None = not in top k
    handoff_gold: bool | None
    handoff_pred: bool
    refund_gold: bool | None
    abstain_gold: bool | None
    abstained: bool
    confidence: float
    latency_ms: float
    judge_correct: bool | None = None  # the LLM judge's verdict (eval --judge); None = not judged
    judge_reason: str | None = None
    disclosed: bool | None = None  # order datasets: a reply showed another shopper's order

    @property
    def failed(self) -> bool:
        return (
            self.answer_correct is False
            or (self.intent_gold is not None and self.intent_gold != self.intent_pred)
            or (self.handoff_gold is not None and self.handoff_gold != self.handoff_pred)
        )


def answer_matches(reply: str, expected: Sequence[str]) -> bool:
    reply_folded = reply.casefold()
    return any(e.casefold() in reply_folded for e in expected if e)


def precision_recall(gold: Sequence[bool], pred: Sequence[bool]) -> tuple[float | None, float | None]:
    tp = sum(g and p for g, p in zip(gold, pred))
    fp = sum((not g) and p for g, p in zip(gold, pred))
    fn = sum(g and (not p) for g, p in zip(gold, pred))
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    return precision, recall


def per_label_f1(gold: Sequence[str], pred: Sequence[str | None], labels: Sequence[str]) -> dict[str, dict[str, float]]:
    out = {}
    for label in labels:
        p, r = precision_recall([g == label for g in gold], [q == label for q in pred])
        support = sum(g == label for g in gold)
        p0, r0 = p or 0.0, r or 0.0
        f1 = 2 * p0 * r0 / (p0 + r0) if p0 + r0 else 0.0
        out[label] = {"precision": p0, "recall": r0, "f1": f1, "support": support}
    return out


def confusion(gold: Sequence[str], pred: Sequence[str | None], labels: Sequence[str]) -> list[list[int]]:
    columns = list(labels) + ["(none)"]
    index = {label: i for i, label in enumerate(columns)}
    matrix = [[0] * len(columns) for _ in labels]
    for g, p in zip(gold, pred):
        if g in index and g != "(none)":
            matrix[index[g]][index.get(p or "(none)", len(columns) - 1)] += 1
    return matrix


def judge_summary(outcomes: list[CaseOutcome]) -> dict:
    """Only when the judge ran: its accuracy, how often it agrees with `answer_contains`,
    and the cases it could not grade."""
    asked = [o for o in outcomes if o.judge_reason is not None]
    if not asked:
        return {}
    judged = [o for o in asked if o.judge_correct is not None]
    both = [o for o in judged if o.answer_correct is not None]
    return {
        "judge_accuracy": round(sum(o.judge_correct for o in judged) / len(judged), 4) if judged else None,
        "judge_agreement": round(sum(o.judge_correct == o.answer_correct for o in both) / len(both), 4) if both else None,
        "judge_errors": len(asked) - len(judged),
    }


def summarise(outcomes: list[CaseOutcome], labels: Sequence[str]) -> dict:
    def rate(values: list[bool]) -> float | None:
        return round(sum(values) / len(values), 4) if values else None

    answered = [o for o in outcomes if o.answer_correct is not None]
    sourced = [o for o in outcomes if o.source]
    ranks = [o.source_rank for o in sourced]
    with_intent = [o for o in outcomes if o.intent_gold is not None]
    gold_i = [o.intent_gold for o in with_intent]
    pred_i = [o.intent_pred for o in with_intent]
    present = [label for label in labels if label in gold_i]
    f1s = per_label_f1(gold_i, pred_i, present)
    refund_cases = [o for o in outcomes if o.refund_gold is not None]
    refund_p, refund_r = precision_recall([o.refund_gold for o in refund_cases], [o.intent_pred == "refund" for o in refund_cases])
    handoff_cases = [o for o in outcomes if o.handoff_gold is not None]
    handoff_p, handoff_r = precision_recall([o.handoff_gold for o in handoff_cases], [o.handoff_pred for o in handoff_cases])
    abstain_cases = [o for o in outcomes if o.abstain_gold is not None]
    latencies = np.array([o.latency_ms for o in outcomes]) if outcomes else np.array([0.0])

    def r4(x: float | None) -> float | None:
        return None if x is None else round(float(x), 4)

    return {
        "cases": len(outcomes),
        "answer_accuracy": rate([o.answer_correct for o in answered]),
        "answer_cases": len(answered),
        **judge_summary(outcomes),
        "retrieval_recall_at_1": rate([r is not None and r <= 1 for r in ranks]),
        "retrieval_recall_at_5": rate([r is not None and r <= 5 for r in ranks]),
        "mrr": r4(sum(1.0 / r for r in ranks if r) / len(ranks)) if ranks else None,
        "intent_accuracy": rate([g == p for g, p in zip(gold_i, pred_i)]),
        "intent_macro_f1": r4(sum(v["f1"] for v in f1s.values()) / len(f1s)) if f1s else None,
        "intent_per_label": {k: {m: r4(v[m]) if m != "support" else v[m] for m in v} for k, v in f1s.items()},
        "intent_labels": present,
        "intent_confusion": confusion(gold_i, pred_i, present) if present else [],
        "refund_precision": r4(refund_p),
        "refund_recall": r4(refund_r),
        "handoff_precision": r4(handoff_p),
        "handoff_recall": r4(handoff_r),
        "abstention_rate": rate([o.abstained for o in outcomes]),
        "abstain_accuracy": rate([o.abstained == o.abstain_gold for o in abstain_cases]),
        "latency_ms_p50": r4(np.percentile(latencies, 50)),
        "latency_ms_p95": r4(np.percentile(latencies, 95)),
    }
