"""Scores computed from per-case outcomes. Pure functions, no I/O.

Trust figures (issue 12, "right or silent"). A case is *graded* when it has
`answer_contains` (answerable) or `abstain: true` (the knowledge cannot answer it).

- answered: the turn went the answer route and handed nothing off (see `eval.runner.answered`).
- right: answered, answerable, and the reply contains an expected string. An answered
  `abstain` case is never right: whatever it said, the knowledge did not hold the answer.
- coverage: answered / graded. answered_precision: right / answered graded cases.
- false_answer_rate: answered / `abstain` cases; decline_rate = 1 - false_answer_rate.
- Calibration reads `confidence` as "the probability that the bot's best answer is right",
  whether it was sent or held back below the threshold, over graded cases that went the
  answer route (elsewhere the turn's confidence is the intent classifier's, a different
  scale). A declined case is graded by its held-back answer (`withheld_correct`): one the
  bot declined at 0.45 that would have been right counts as right at 0.45; with no answer to
  hold back (no candidate could answer) it counts as not right. Any answer to an `abstain`
  case is not right. So the curve below shows what every threshold would give.
- ece: expected calibration error over 10 equal-width confidence bins,
  sum over bins of (cases in bin / cases) * |mean confidence - share right|.
- risk–coverage: sort those cases by confidence, highest first; for every threshold t (each
  distinct confidence) coverage = share with confidence >= t, risk = share of them not right.
  aurc is the area under that step curve (the mean selective risk; lower is better).
"""

from __future__ import annotations

import re
import unicodedata
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
    abstained: bool  # the answer route declined or was unsure and handed off
    answered: bool = False  # the answer route replied and handed nothing off
    route: str = "answer"
    product: str | None = None
    safety_gold: bool | None = None
    safety_pred: bool = False  # the turn escalated with reason "safety"
    confidence: float
    latency_ms: float
    judge_correct: bool | None = None  # the LLM judge's verdict (eval --judge); None = not judged
    judge_reason: str | None = None
    disclosed: bool | None = None  # order datasets: a reply showed another shopper's order
    withheld_correct: bool | None = None  # a declined case: would the held-back answer have been right
    cited: str | None = None  # an answered case: the knowledge file its reply cites first (which kind of knowledge answered)

    @property
    def failed(self) -> bool:
        return (
            self.answer_correct is False
            or (self.intent_gold is not None and self.intent_gold != self.intent_pred)
            or (self.handoff_gold is not None and self.handoff_gold != self.handoff_pred)
            or (self.abstain_gold is True and self.answered)
            or (self.safety_gold is True and not self.safety_pred)
        )

    @property
    def graded(self) -> bool:
        return self.abstain_gold is True or self.answer_correct is not None

    @property
    def right(self) -> bool:
        return self.answered and self.abstain_gold is not True and self.answer_correct is True

    @property
    def best_right(self) -> bool:
        """The bot's best answer is right: the one sent, or the one it held back."""
        if self.answered or self.abstain_gold is True:
            return self.right
        return bool(self.withheld_correct)


def _folded(text: str) -> str:
    """One spelling for the scorer: full-width forms as ASCII ("口袋：无" is "口袋:无"), no case,
    and no space beside a Chinese character ("3 个工作日" is "3个工作日")."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _SPACE_BY_HAN.sub("", text)


_SPACE_BY_HAN = re.compile(r"(?<=[\u4e00-\u9fff])\s+|\s+(?=[\u4e00-\u9fff])")


def answer_matches(reply: str, expected: Sequence[str]) -> bool:
    reply_folded = _folded(reply)
    return any(_folded(e) in reply_folded for e in expected if e)


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


def _rate(values: Sequence[bool]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _r4(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4)


def coverage(outcomes: Sequence[CaseOutcome]) -> float | None:
    return _rate([o.answered for o in outcomes if o.graded])


def answered_precision(outcomes: Sequence[CaseOutcome]) -> float | None:
    return _rate([o.right for o in outcomes if o.graded and o.answered])


def false_answer_rate(outcomes: Sequence[CaseOutcome]) -> float | None:
    return _rate([o.answered for o in outcomes if o.abstain_gold is True])


def calibration_pairs(outcomes: Sequence[CaseOutcome]) -> list[tuple[float, bool]]:
    """(confidence, best answer right) for the graded cases the answerer scored (route
    "answer"): the reply sent, or for a declined case the answer held back."""
    return [(min(max(float(o.confidence), 0.0), 1.0), o.best_right) for o in outcomes if o.graded and o.route == "answer"]


def risk_coverage(pairs: Sequence[tuple[float, bool]]) -> list[dict[str, float]]:
    """One point per distinct confidence, highest first: answer only cases at or above it."""
    points: list[dict[str, float]] = []
    answered = errors = 0
    ordered = sorted(pairs, key=lambda pair: -pair[0])
    for i, (confidence, right) in enumerate(ordered):
        answered += 1
        errors += not right
        if i + 1 < len(ordered) and ordered[i + 1][0] == confidence:
            continue  # ties pass or fail a threshold together
        points.append({"threshold": confidence, "coverage": answered / len(ordered), "risk": errors / answered})
    return points


def aurc(points: Sequence[dict[str, float]]) -> float | None:
    """Area under the risk–coverage step curve from `risk_coverage`."""
    if not points:
        return None
    area, previous = 0.0, 0.0
    for point in points:
        area += point["risk"] * (point["coverage"] - previous)
        previous = point["coverage"]
    return area


def reliability_bins(pairs: Sequence[tuple[float, bool]], bins: int = 10) -> list[dict]:
    """Equal-width confidence bins ([0, 0.1), …, [0.9, 1.0]): count, mean confidence, share right."""
    members: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for confidence, right in pairs:
        members[min(int(confidence * bins), bins - 1)].append((confidence, right))
    return [
        {
            "lower": i / bins,
            "upper": (i + 1) / bins,
            "count": len(group),
            "confidence": sum(c for c, _ in group) / len(group) if group else None,
            "accuracy": sum(r for _, r in group) / len(group) if group else None,
        }
        for i, group in enumerate(members)
    ]


def expected_calibration_error(pairs: Sequence[tuple[float, bool]], bins: int = 10) -> float | None:
    if not pairs:
        return None
    return sum(b["count"] * abs(b["confidence"] - b["accuracy"]) for b in reliability_bins(pairs, bins) if b["count"]) / len(pairs)


def accuracy_by_lang(outcomes: Sequence[CaseOutcome]) -> dict[str, float | None]:
    """Answer accuracy on answerable cases, per case language (`unknown` when unlabelled)."""
    langs = sorted({o.lang or "unknown" for o in outcomes if o.answer_correct is not None})
    return {
        lang: _rate([o.answer_correct for o in outcomes if o.answer_correct is not None and (o.lang or "unknown") == lang])
        for lang in langs
    }


def trust_summary(outcomes: Sequence[CaseOutcome]) -> dict:
    pairs = calibration_pairs(outcomes)
    curve = risk_coverage(pairs)
    false_answers = false_answer_rate(outcomes)
    safety_p = safety_r = None
    if any(o.safety_gold is not None for o in outcomes):  # a set that labels safety labels all its cases
        safety_p, safety_r = precision_recall([o.safety_gold is True for o in outcomes], [o.safety_pred for o in outcomes])

    return {
        "graded_cases": sum(o.graded for o in outcomes),
        "answered_cases": sum(o.graded and o.answered for o in outcomes),
        "coverage": coverage(outcomes),
        "answered_precision": answered_precision(outcomes),
        "abstain_cases": sum(o.abstain_gold is True for o in outcomes),
        "false_answer_rate": false_answers,
        "decline_rate": None if false_answers is None else round(1 - false_answers, 4),
        "calibration_cases": len(pairs),
        "ece": _r4(expected_calibration_error(pairs)),
        "aurc": _r4(aurc(curve)),
        "safety_cases": sum(o.safety_gold is True for o in outcomes),
        "safety_recall": _r4(safety_r),
        "safety_precision": _r4(safety_p),
        "risk_coverage": [{k: _r4(v) for k, v in point.items()} for point in curve],
        "reliability": [{k: v if k == "count" else _r4(v) for k, v in b.items()} for b in reliability_bins(pairs)],
    }


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
    answerable = [o for o in outcomes if o.answer_correct is not None]
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

    return {
        "cases": len(outcomes),
        "answer_accuracy": _rate([o.answer_correct for o in answerable]),
        "answer_cases": len(answerable),
        "answer_accuracy_by_lang": accuracy_by_lang(outcomes),
        **judge_summary(outcomes),
        "retrieval_recall_at_1": _rate([r is not None and r <= 1 for r in ranks]),
        "retrieval_recall_at_5": _rate([r is not None and r <= 5 for r in ranks]),
        "mrr": _r4(sum(1.0 / r for r in ranks if r) / len(ranks)) if ranks else None,
        "intent_accuracy": _rate([g == p for g, p in zip(gold_i, pred_i)]),
        "intent_macro_f1": _r4(sum(v["f1"] for v in f1s.values()) / len(f1s)) if f1s else None,
        "intent_per_label": {k: {m: _r4(v[m]) if m != "support" else v[m] for m in v} for k, v in f1s.items()},
        "intent_labels": present,
        "intent_confusion": confusion(gold_i, pred_i, present) if present else [],
        "refund_precision": _r4(refund_p),
        "refund_recall": _r4(refund_r),
        "handoff_precision": _r4(handoff_p),
        "handoff_recall": _r4(handoff_r),
        "abstention_rate": _rate([o.abstained for o in outcomes]),
        "abstain_accuracy": _rate([(not o.answered) == o.abstain_gold for o in abstain_cases]),
        **trust_summary(outcomes),
        "latency_ms_p50": _r4(np.percentile(latencies, 50)),
        "latency_ms_p95": _r4(np.percentile(latencies, 95)),
    }
