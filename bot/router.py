"""Which way a turn goes: one small, pure function over the conversation's state.

    owner is a person (queued/human) ─────────► silent
    pending offer + yes/no (or a refund ask) ──► offer_response
    asked for a refund reason + a reason ──────► recovery
    safety report (起火, 鼓包, 过敏, burn…) ───► escalate (safety, urgent)
    anger ≥ 0.8, or complaint + strong anger ──► escalate
    human intent (not asking service hours) ───► escalate (explicit_request)
    about the shopper's own order ─────────────► order (bot/order_turn.py decides the step)
    refund intent ─────────────────────────────► recovery (high value → escalate)
    a question the bot just answered, again ───► escalate (repeated_question)
    chitchat that is greeting/thanks/bye ──────► chitchat
    anything else ─────────────────────────────► answer (low confidence → escalate, after answering)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

from bot.focus import Focus
from bot.intents import Intent
from bot.models import OWNER_HUMAN, OWNER_QUEUED, RECOVERY_ASKED_REASON, RECOVERY_DONE
from bot.recovery import RecoveryOffer, RefundReason, detect_reason, read_offer_response
from bot.replies import is_acknowledgement, small_talk
from bot.safety import is_safety_report
from bot.sentiment import STRONG_NEGATIVE_LINE

RouteKind = Literal["silent", "offer_response", "recovery", "refund_steps", "ask_reason", "escalate", "chitchat", "answer", "order"]

# Asking *when* people are available ("客服几点下班?", "what hours is support open?") is
# answered from the knowledge base; asking for a person in any other words escalates,
# including "how do I reach an agent?" (in a chat, the way to reach one is this handoff).
_ASKS_HOURS = re.compile(r"几点|什么时候|上班|下班|营业时间|工作时间|\bhours?\b|what time|\bwhen\b|\bopen\b|\bclose\b", re.IGNORECASE)

# Tickets the bot opens itself because it could not answer (bot/turn.py), as against a
# shopper asking for a person, anger, safety or a high-value refund.
UNSURE_REASONS = ("low_confidence", "repeated_low_confidence")

# A message that asks something: a question mark, a question word or particle.
_ASKS = re.compile(r"[?？]|吗|呢|谁|什么|啥|多久|几|怎么|咋|哪|\b(what|how|when|where|which|who|can|could|do|does|is|are|will)\b",
                   re.IGNORECASE)
ANGER_ALONE_LINE = 0.8  # this angry escalates whatever the intent
CHITCHAT_MIN_CONFIDENCE = 0.5  # less sure than this: treat it as a question and retrieve


@dataclass
class ConversationState:
    """What the router needs to know about the conversation before this message."""

    owner: str = "bot"
    recovery_stage: str = "none"
    refund_reason: str | None = None
    pending_offer: RecoveryOffer | None = None
    order_amount: float | None = None
    high_value_threshold: float | None = None
    queue_expired: bool = False  # queued longer than the merchant's timeout: back to the bot
    queued_unsure: bool = False  # queued only because the bot could not answer (no person asked for yet)
    repeated: bool = False  # the message repeats a question the bot recently answered
    last_question: str | None = None  # the shopper's latest message that was more than small talk
    lang: str | None = None  # the conversation's language, for messages without letters ("👍")
    order_question: bool = False  # bot/order_turn.py read the message as about the shopper's order
    focus: Focus = field(default_factory=Focus)  # the product / question last discussed


@dataclass
class Route:
    kind: RouteKind
    reason: str | None = None  # escalation reason
    refund_reason: RefundReason | None = None
    decision: Literal["accept", "decline"] | None = None
    notes: list[str] = field(default_factory=list)


def route(
    state: ConversationState,
    intent: Intent,
    text: str,
    anger: float,
    *,
    action: Literal["accept_offer", "decline_offer"] | None = None,
    chosen_reason: RefundReason | None = None,
) -> Route:
    if state.owner in (OWNER_QUEUED, OWNER_HUMAN) and not state.queue_expired:
        if state.owner == OWNER_QUEUED and state.queued_unsure:
            # Waiting for a person only because the bot could not answer an earlier question:
            # until someone takes the conversation, a plain question still gets the bot's
            # answer when it is sure of it (bot/turn.py stays silent otherwise).
            plan = route(replace(state, owner="bot"), intent, text, anger, action=action, chosen_reason=chosen_reason)
            if plan.kind == "answer":
                return Route("answer", notes=["queued"])
        return Route("silent")

    if state.pending_offer is not None and state.pending_offer.status == "offered":
        decision = {"accept_offer": "accept", "decline_offer": "decline"}.get(action or "") or read_offer_response(text)
        if decision is None and intent.label == "refund":
            decision = "decline"  # asking for the refund again is a decline: never block it
        if decision is not None:
            return Route("offer_response", decision=decision)

    reason = chosen_reason or detect_reason(text)
    if state.recovery_stage == RECOVERY_ASKED_REASON:
        if reason is not None:
            return _refund(state, reason)
        if intent.label == "aftersale" and _ASKS.search(text):
            # Asked for a reason, the shopper asks the after-sale rule first ("卫生贴撕了还能退吗"):
            # the shop's answer; the refund goes on when a reason (or the request again) comes.
            return Route("answer")
        if intent.label in ("refund", "aftersale", "exchange", "complaint"):
            return _refund(state, "other")  # no reason given: go on with the refund anyway

    if intent.reason == "safety" or is_safety_report(text):
        return Route("escalate", reason="safety")  # burned, swollen, ill, injured: a person, now
    if anger >= ANGER_ALONE_LINE:
        return Route("escalate", reason="anger")
    if intent.label == "complaint" and anger >= STRONG_NEGATIVE_LINE:
        return Route("escalate", reason="angry_complaint")
    if intent.label == "human" and (intent.reason.startswith("rule") or not _ASKS_HOURS.search(text)):
        return Route("escalate", reason="explicit_request")  # asking *for* a person
    if state.order_question:
        return Route("order")
    if intent.label == "refund":
        if state.recovery_stage == RECOVERY_DONE or state.pending_offer is not None:
            return Route("refund_steps")
        if (
            state.order_amount is not None
            and state.high_value_threshold is not None
            and state.order_amount > state.high_value_threshold
        ):
            return Route("escalate", reason="high_value")
        reason = reason or state.refund_reason
        return _refund(state, reason) if reason else Route("ask_reason")
    if state.repeated and intent.label != "chitchat":
        return Route("escalate", reason="repeated_question")
    if is_acknowledgement(text):
        return Route("chitchat")  # "好的" / "ok": acknowledged, never answered from knowledge
    if intent.label == "chitchat" and intent.confidence >= CHITCHAT_MIN_CONFIDENCE and small_talk(text):
        return Route("chitchat")  # other "chitchat" is answered or, out of scope, handed off
    return Route("answer")


def _refund(state: ConversationState, reason: RefundReason) -> Route:
    if state.recovery_stage == RECOVERY_DONE or state.pending_offer is not None:
        return Route("refund_steps", refund_reason=reason)
    return Route("recovery", refund_reason=reason)
