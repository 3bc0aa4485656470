"""Run a dataset through the real turn pipeline on a throw-away merchant."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from bot.order_access import shopper_fields
from bot.turn import REFUND_ROUTES, ShopAssistant, TurnRequest, TurnResult
from eval.dataset import INTENT_LABELS, Case, Dataset
from eval.judge import LLMJudge
from eval.metrics import CaseOutcome, answer_matches, summarise
from eval.orders import disclosed, load_orders, order_summary, seed_orders
from retrieval.retriever import RetrieverMode

ProgressFn = Callable[[int, int], None]


@dataclass
class EvalRun:
    dataset: str
    retriever: str
    summary: dict
    outcomes: list[CaseOutcome]


def run_eval(
    dataset: Dataset,
    *,
    mode: RetrieverMode = "hybrid",
    assistant: ShopAssistant | None = None,
    progress: ProgressFn | None = None,
    judge: LLMJudge | None = None,
    threshold: float | None = None,
) -> EvalRun:
    """``judge``: also have an LLM grade every case with `answer_contains`; ``threshold``:
    the shop's answer threshold, set in its policy as a merchant would."""
    assistant = assistant or ShopAssistant()
    merchant = f"eval-{uuid.uuid4().hex[:12]}"
    shop_name = dataset.shop.name if dataset.shop and dataset.shop.name else dataset.name
    assistant.knowledge.ensure_merchant(merchant, f"eval {shop_name}")
    own = {"category": dataset.shop.category} if dataset.shop and dataset.shop.category else {}
    if dataset.shop and dataset.shop.currency:
        own["currency"] = dataset.shop.currency
    if threshold is not None:
        own["answer_threshold"] = threshold
    if own:
        # The shop's category picks its wording (refund reasons, greeting) as a merchant's would.
        from bot.recovery import default_policy, save_policy
        from xiaoer.db import session_scope

        with session_scope() as session:
            save_policy(session, merchant, default_policy().model_copy(update=own))
    try:
        if dataset.knowledge_files:
            assistant.knowledge.ingest_paths(merchant, dataset.knowledge_files)
        orders = load_orders(dataset.root)
        secret = seed_orders(merchant, orders) if orders else None
        outcomes = []
        for i, case in enumerate(dataset.cases, start=1):
            outcome = run_case(assistant, merchant, case, mode, secret=secret, orders=orders)
            if judge is not None and case.answer_contains:
                verdict = judge.grade(outcome.message, case.answer_contains, outcome.reply)
                outcome.judge_correct = verdict.correct if verdict else None
                outcome.judge_reason = verdict.reason if verdict else "(no verdict)"
            outcomes.append(outcome)
            if progress:
                progress(i, len(dataset.cases))
    finally:
        assistant.knowledge.delete_merchant(merchant)
    summary = {
        "shop": dataset.shop.model_dump(exclude_none=True) if dataset.shop else None,
        **summarise(outcomes, INTENT_LABELS),
    }
    if orders:
        summary.update(order_summary(outcomes))
    return EvalRun(dataset=dataset.name, retriever=mode, summary=summary, outcomes=outcomes)


def answered(result: TurnResult) -> bool:
    """The shopper got an answer: the turn went the answer route and handed nothing off, or a
    refund-flow reply carried the merchant's own answer (cited) beside the offer or the
    question for a reason. A low-confidence decline, an answer followed by a handoff, an
    escalation, small talk and a refund-flow reply without knowledge are not answers."""
    if result.handoff is not None:
        return False
    return result.route == "answer" or (result.route in REFUND_ROUTES and bool(result.citations))


def run_case(
    assistant: ShopAssistant, merchant: str, case: Case, mode: RetrieverMode, *, secret: str | None = None, orders=()
) -> CaseOutcome:
    *earlier, last = case.messages
    conversation = None
    who = shopper_fields(secret, case.shopper_id, case.order_id)
    seen = []
    for message in earlier:
        request = TurnRequest(merchant_id=merchant, message=message, conversation_id=conversation, product=case.product, **who)
        turn = assistant.handle(request, mode=mode)
        conversation = turn.conversation_id
        seen.append(turn.reply)
    started = time.perf_counter()
    request = TurnRequest(merchant_id=merchant, message=last, conversation_id=conversation, product=case.product, **who)
    result = assistant.handle(request, mode=mode)
    latency_ms = (time.perf_counter() - started) * 1000

    source_rank = None
    if case.source:
        evidence, _ = assistant.evidence(merchant, last, mode=mode)
        source_rank = next((rank for rank, ev in enumerate(evidence, start=1) if ev.document == case.source), None)
    handoff_reason = (result.handoff or {}).get("reason")
    return CaseOutcome(
        id=case.id,
        message=last,
        lang=case.lang,
        reply=result.reply,
        intent_gold=case.intent,
        intent_pred=result.intent,
        answer_expected=case.answer_contains,
        answer_correct=answer_matches(result.reply, case.answer_contains) if case.answer_contains else None,
        source=case.source,
        source_rank=source_rank,
        handoff_gold=case.handoff,
        handoff_pred=result.handoff is not None,
        refund_gold=case.gold_refund,
        abstain_gold=case.abstain,
        abstained=result.route == "answer" and result.handoff is not None,
        answered=answered(result),
        route=result.route,
        product=case.product,
        safety_gold=case.safety,
        safety_pred=handoff_reason == "safety",
        confidence=result.confidence,
        latency_ms=latency_ms,
        disclosed=disclosed([*seen, result.reply], case.messages, case.shopper_id, orders) if orders else None,
        withheld_correct=answer_matches(result.withheld, case.answer_contains) if result.withheld and case.answer_contains else None,
        cited=result.citations[0].document if answered(result) and result.citations else None,
    )
