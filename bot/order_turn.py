"""The order stage of a turn (issue 14): read the shopper's own order, and act on it.

Two halves, like the rest of the turn:

* ``read_order_turn`` runs before the write transaction (the order source may be an
  HTTP call): is this an order question, whose order, may this shopper see it, and
  what is the next step;
* ``apply_order_turn`` runs inside the turn's transaction: it remembers what the
  conversation unlocked or waits for, records confirmed actions once, offers the
  late-delivery remedy through the recovery engine, and logs metric events.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import order_answers as text
from bot.events import record_event
from bot.models import RECOVERY_OFFERED, Conversation, Order
from bot.order_access import MAX_FAILED_CHECKS, MAX_MISSES, may_see, passes_check, verified_shopper
from bot.order_answers import ACTIONS, Abnormal, Topic
from bot.order_models import OrderAction, OrderConversation, OrderSettings
from bot.order_source import OrderSource, SourceUnavailable, source_for
from bot.orders import OrderRecord
from bot.recovery import RecoveryOffer, RecoveryPolicy, make_offer
from bot.replies import QUICK_ACCEPT, QUICK_DECLINE, QUICK_HUMAN, offer_text
from xiaoer.db import session_scope, utcnow

Step = Literal[
    "answer", "ask_number", "not_found", "ask_phone", "phone_mismatch", "no_check", "pick", "no_orders",
    "source_down", "too_many", "ask_address", "restate", "confirmed", "refused", "blocked",
]
# Steps that show the order's details (counted as lookups in the metrics).
SHOWS_ORDER = ("answer", "restate", "confirmed", "blocked", "ask_address")

_PERSONAL = re.compile(r"我|俺|\bmy\b|\bi\b|\bi'|\bme\b|\bmine\b", re.IGNORECASE)
_GENERAL = re.compile(r"一般|通常|平时|你们|贵店|\busually\b|\bnormally\b|\btypically\b|\bdo you\b|\byour shop\b", re.IGNORECASE)
_HOW_TO = re.compile(r"怎么|如何|怎样|\bhow (do|can|should) i\b|\bhow to\b", re.IGNORECASE)
_HOW_LONG = re.compile(r"几天|多久|多长时间|几个工作日|\bhow long\b|\bhow many days\b", re.IGNORECASE)
_ORDER_WORD = re.compile(r"订单|单号|快递|物流|包裹|\border\b|\bparcel\b|\bpackage\b|\btracking\b", re.IGNORECASE)
PICK_LIMIT = 5


@dataclass
class OrderTurn:
    step: Step
    topic: Topic | None = None
    order: OrderRecord | None = None
    order_id: str | None = None  # the number asked about (also when not found)
    candidates: list[OrderRecord] = field(default_factory=list)
    shopper_id: str | None = None  # verified this turn
    address: str | None = None
    abnormal: Abnormal | None = None
    unlock: bool = False  # the phone check passed for ``order``
    missed: bool = False  # an order number that was not found (or not the shopper's)
    failed_check: bool = False
    sent: bool = False  # a confirmed action the merchant's order system accepted
    source: OrderSource | None = field(default=None, repr=False)


@dataclass
class OrderOutcome:
    reply: str
    quick: list[tuple[str, str | None]] = field(default_factory=list)  # (label, action)
    offer: RecoveryOffer | None = None
    escalate: str | None = None  # an escalation reason for the turn to open a ticket with


@dataclass
class _Flow:
    """The conversation's order state as the read half sees it."""

    shopper_id: str | None = None
    unlocked: list[str] = field(default_factory=list)
    awaiting: str | None = None
    pending: dict = field(default_factory=dict)
    failed_checks: int = 0
    misses: int = 0
    focus: str | None = None  # the conversation's order (conversations.order_id)


@dataclass
class OrderReads:
    """What the order step reads from SQL: the merchant's order settings and the
    conversation's order flow (the turn reads them in its first session)."""

    settings: OrderSettings | None
    flow: _Flow
    # The merchant has orders to look up: an order system connected, or orders imported. A
    # shop with neither gets no order step: asking for an order number it can never find
    # ends in "没有找到订单", so the message is answered like any other question instead.
    has_orders: bool = True


def read_order_state(session: Session, conversation_id: str | None, settings: OrderSettings | None,
                     merchant_id: str | None = None) -> OrderReads:
    """``settings``: the merchant's order settings (bot/shop.py reads them with the rest)."""
    has_orders = merchant_id is None or bool(settings is not None and settings.source_url) or session.scalar(
        select(Order.order_id).where(Order.merchant_id == merchant_id).limit(1)) is not None
    return OrderReads(settings, _read_flow(session, conversation_id), has_orders)


def read_order_turn(
    merchant_id: str,
    conversation_id: str | None,
    message: str,
    intent: str,
    *,
    shopper_id: str | None = None,
    shopper_hmac: str | None = None,
    order_id: str | None = None,
    now: datetime | None = None,
    reads: OrderReads | None = None,
) -> OrderTurn | None:
    """The order step for this message, or None when it is not about the shopper's order.
    ``reads``: read_order_state's, when the caller read it already."""
    if reads is None:
        with session_scope() as session:
            reads = read_order_state(session, conversation_id, session.get(OrderSettings, merchant_id), merchant_id)
    if not reads.has_orders:
        return None
    settings, flow = reads.settings, reads.flow
    shopper = verified_shopper(settings.identity_secret if settings else None, shopper_id, shopper_hmac)
    source = source_for(merchant_id, settings.source_url if settings else None, settings.source_secret if settings else None)
    try:
        turn = _next_step(source, flow, shopper, message, intent, order_id or flow.focus, now or utcnow())
    except SourceUnavailable:
        turn = OrderTurn("source_down", topic=text.detect_topic(message))
    if turn is not None:
        turn.source = source
    if turn is not None and shopper and shopper != flow.shopper_id:
        turn.shopper_id = shopper
    return turn


def send_confirmed_action(merchant_id: str, turn: OrderTurn) -> None:
    """Pass a confirmed action to the merchant's order system (an HTTP call with a
    connector), once the turn is routed to it and before the write transaction."""
    if turn.step != "confirmed" or turn.source is None:
        return
    kind, payload = _ACTION_KINDS[turn.topic], _payload(turn)
    turn.sent = turn.source.send_action(turn.order.order_id, kind, payload, _action_key(merchant_id, turn.order.order_id, kind, payload))


def _read_flow(session: Session, conversation_id: str | None) -> _Flow:
    if not conversation_id:
        return _Flow()
    row = session.get(OrderConversation, conversation_id)
    conversation = session.get(Conversation, conversation_id)  # the turn has it loaded already
    focus = conversation.order_id if conversation is not None else None
    if row is None:
        return _Flow(focus=focus)
    return _Flow(row.shopper_id, list(row.unlocked or []), row.awaiting, dict(row.pending or {}), row.failed_checks, row.misses, focus)


def _next_step(
    source: OrderSource, flow: _Flow, verified: str | None, message: str, intent: str, hinted: str | None, now: datetime
) -> OrderTurn | None:
    shopper = verified or flow.shopper_id
    topic = text.detect_topic(message)
    numbers = text.order_numbers(message)
    pending = flow.pending

    # --- an answer to the question the bot asked last turn
    if flow.awaiting == "confirm" and pending.get("order_id") and not numbers:
        yes = text.read_confirmation(message)
        if yes is not None and topic in (None, pending.get("topic")):
            order = source.order(pending["order_id"])
            if order is not None and may_see(order, shopper, flow.unlocked):
                blocked = text.action_blocked(order, pending["topic"], "zh")
                if yes and blocked is not None:  # the order moved on since the restatement
                    return OrderTurn("blocked", topic=pending["topic"], order=order)
                return OrderTurn("confirmed" if yes else "refused", topic=pending["topic"], order=order, address=pending.get("address"))
    if flow.awaiting in ("address", "confirm") and pending.get("order_id") and text.read_confirmation(message) is False:
        order = source.order(pending["order_id"])
        if order is not None and may_see(order, shopper, flow.unlocked):
            return OrderTurn("refused", topic=pending.get("topic"), order=order)
    if flow.awaiting == "address" and pending.get("order_id") and topic in (None, "address"):  # addresses hold numbers
        order = source.order(pending["order_id"])
        if order is not None and may_see(order, shopper, flow.unlocked) and len(message.strip()) >= 6:
            blocked = text.action_blocked(order, "address", "zh")
            if blocked is not None:
                return OrderTurn("blocked", topic="address", order=order)
            return OrderTurn("restate", topic="address", order=order, address=message.strip())
    if flow.awaiting == "check" and pending.get("order_id") and not numbers:
        digits = text.phone_digits(message)
        if digits is not None:
            order = source.order(pending["order_id"])
            if order is None:
                return OrderTurn("not_found", order_id=pending["order_id"])
            if flow.failed_checks >= MAX_FAILED_CHECKS:
                return OrderTurn("too_many")
            if not passes_check(order, digits):
                if flow.failed_checks + 1 >= MAX_FAILED_CHECKS:
                    return OrderTurn("too_many", failed_check=True)
                return OrderTurn("phone_mismatch", order_id=order.order_id, failed_check=True)
            turn = _about(order, pending.get("topic") or "status", now)
            turn.unlock = True
            return turn
    if flow.awaiting == "pick" and pending.get("candidates"):
        picked = next((n for n in numbers if n in pending["candidates"]), None)
        if picked is not None:
            order = source.order(picked)
            if order is not None and may_see(order, shopper, flow.unlocked):
                return _about(order, topic or pending.get("topic") or "status", now)

    if flow.awaiting == "number" and len(numbers) == 1:  # the order number the bot asked for
        return _by_number(source, numbers[0], shopper, flow, topic or pending.get("topic") or "status", now)

    # --- a new question about an order
    if not _is_order_question(topic, numbers, shopper, hinted, flow, message, intent):
        return None
    topic = topic or "status"
    if numbers:
        return _by_number(source, numbers[0], shopper, flow, topic, now)
    if hinted:
        order = source.order(hinted)
        if order is not None and may_see(order, shopper, flow.unlocked):
            return _about(order, topic, now)
        if order is not None and shopper is None:
            return _by_number(source, hinted, shopper, flow, topic, now)
    if shopper is None:
        return OrderTurn("ask_number", topic=topic)
    orders = source.orders_of(shopper)
    if not orders:
        return OrderTurn("no_orders", topic=topic)
    relevant = [o for o in orders if _relevant(o, topic)]
    if not relevant and topic == "refund":
        return None  # "退款多久到账" with no refund under way: the refund policy, from knowledge
    relevant = relevant or orders
    if len(relevant) == 1:
        return _about(relevant[0], topic, now)
    return OrderTurn("pick", topic=topic, candidates=relevant[:PICK_LIMIT])


def _is_order_question(topic, numbers, shopper, hinted, flow: _Flow, message: str, intent: str) -> bool:
    if numbers:
        if topic is not None:
            return True
        if intent in ("refund", "exchange", "complaint", "human"):
            return False  # "我要退款，订单QS1001": the recovery flow, not a status answer
        return intent in ("logistics", "aftersale") or bool(_ORDER_WORD.search(message))
    if topic is None:
        return False
    if _GENERAL.search(message) and not _PERSONAL.search(message):
        return False  # "你们一般几天发货": a shipping-policy question for the knowledge base
    if shopper or hinted or flow.unlocked:
        return True
    # Anonymous, no number: only a question plainly about the shopper's own order ("how do
    # I track my order?" is a how-to for the knowledge base).
    # "退款几天到账 我付款用的银行卡" asks how long a refund takes: the policy answers it, as it
    # would without the 我; a shopper known to have a refund under way hears its status above.
    return (topic in ("where", "refund", "cancel", "address", "urge") and bool(_PERSONAL.search(message)) and not _HOW_TO.search(message)
            and not (topic == "refund" and _HOW_LONG.search(message)))


def _relevant(order: OrderRecord, topic: Topic) -> bool:
    """Orders a question could be about: "where is it" is not about a cancelled order."""
    if topic == "refund":
        return order.refund is not None or order.status in ("refunding", "refunded")
    if topic in ("where", "arrive"):
        return order.status in ("shipped", "paid")
    if topic in ("ship", "urge", "cancel", "address"):
        return order.status in ("paid", "unpaid") or (topic == "ship" and order.status == "shipped")
    return True


def _by_number(source: OrderSource, number: str, shopper: str | None, flow: _Flow, topic: Topic, now: datetime) -> OrderTurn:
    if flow.misses >= MAX_MISSES or flow.failed_checks >= MAX_FAILED_CHECKS:
        return OrderTurn("too_many")
    order = source.order(number)
    if order is None:
        return OrderTurn("not_found", topic=topic, order_id=number, missed=True)
    if may_see(order, shopper, flow.unlocked):
        return _about(order, topic, now)
    if shopper is not None:  # a signed-in shopper asking about someone else's order
        return OrderTurn("not_found", topic=topic, order_id=number, missed=True)
    if not order.phone_last4:
        return OrderTurn("no_check", topic=topic, order_id=number)
    return OrderTurn("ask_phone", topic=topic, order_id=number)


def _about(order: OrderRecord, topic: Topic, now: datetime) -> OrderTurn:
    if topic in ACTIONS:
        if text.action_blocked(order, topic, "zh") is not None:
            return OrderTurn("blocked", topic=topic, order=order)
        return OrderTurn("ask_address" if topic == "address" else "restate", topic=topic, order=order)
    kind = text.abnormal(order, now) if topic in ("where", "ship", "arrive", "status") else None
    return OrderTurn("answer", topic=topic, order=order, abnormal=kind)


# ----------------------------------------------------------------------------- the write half


def apply_order_turn(
    session: Session, conversation: Conversation, turn: OrderTurn, lang: str, policy: RecoveryPolicy
) -> OrderOutcome:
    flow = session.get(OrderConversation, conversation.id)
    if flow is None:
        flow = OrderConversation(conversation_id=conversation.id, merchant_id=conversation.merchant_id, unlocked=[],
                                 failed_checks=0, misses=0)
        session.add(flow)
    if turn.shopper_id:
        flow.shopper_id = turn.shopper_id
    order = turn.order
    if order is not None:
        conversation.order_id = order.order_id  # the conversation's order: follow-ups, console, ticket
        if turn.unlock:
            flow.unlocked = [*(flow.unlocked or []), order.order_id]
    flow.misses += int(turn.missed)
    flow.failed_checks += int(turn.failed_check)
    flow.awaiting, flow.pending = None, None
    if turn.step in SHOWS_ORDER:
        record_event(session, conversation.merchant_id, "order_lookup", conversation_id=conversation.id,
                     data={"order_id": order.order_id, "topic": turn.topic, "step": turn.step})
    return _reply(session, conversation, flow, turn, lang, policy)


def _reply(session, conversation, flow: OrderConversation, turn: OrderTurn, lang: str, policy: RecoveryPolicy) -> OrderOutcome:
    step, order = turn.step, turn.order
    if step == "answer":
        reply = text.answer_text(order, turn.topic, lang)
        if turn.abnormal is None:
            return OrderOutcome(reply)
        return _abnormal(session, conversation, turn, reply, lang)
    if step == "blocked":
        return OrderOutcome(text.action_blocked(order, turn.topic, lang), quick=[(QUICK_HUMAN[lang], "human")])
    if step == "ask_address":
        flow.awaiting, flow.pending = "address", {"order_id": order.order_id, "topic": "address"}
        return OrderOutcome(text.ASK_ADDRESS[lang])
    if step == "restate":
        flow.awaiting = "confirm"
        flow.pending = {"order_id": order.order_id, "topic": turn.topic, "address": turn.address}
        quick = [(text.QUICK_CONFIRM[lang], None), (text.QUICK_REFUSE[lang], None)]
        return OrderOutcome(text.restate_action(order, turn.topic, lang, turn.address), quick=quick)
    if step == "confirmed":
        again = not _record_action(session, conversation, order, turn)
        return OrderOutcome(text.action_done(order, turn.topic, lang, again=again))
    if step == "refused":
        return OrderOutcome(text.ACTION_DROPPED[lang])
    if step == "pick":
        flow.awaiting = "pick"
        flow.pending = {"topic": turn.topic, "candidates": [o.order_id for o in turn.candidates]}
        quick = [(_pick_label(o, lang), None) for o in turn.candidates]
        return OrderOutcome(text.PICK_ORDER[lang].format(n=len(turn.candidates)), quick=quick)
    if step == "ask_phone":
        flow.awaiting, flow.pending = "check", {"order_id": turn.order_id, "topic": turn.topic}
        return OrderOutcome(text.ASK_PHONE[lang].format(order_id=turn.order_id))
    if step == "phone_mismatch":
        flow.awaiting, flow.pending = "check", {"order_id": turn.order_id, "topic": turn.topic}
        return OrderOutcome(text.PHONE_MISMATCH[lang])
    if step == "no_check":
        return OrderOutcome(text.NO_CHECK_POSSIBLE[lang].format(order_id=turn.order_id), quick=[(QUICK_HUMAN[lang], "human")])
    if step == "not_found":
        return OrderOutcome(text.NOT_FOUND[lang].format(order_id=turn.order_id))
    if step == "ask_number":
        flow.awaiting, flow.pending = "number", {"topic": turn.topic}
        return OrderOutcome(text.ASK_ORDER_NUMBER[lang])
    if step == "no_orders":
        return OrderOutcome(text.NO_ORDERS[lang])
    if step == "source_down":
        return OrderOutcome(text.SOURCE_DOWN[lang], escalate="order_source_down")
    if step == "too_many":
        return OrderOutcome(text.TOO_MANY_TRIES[lang], escalate="order_check_failed")
    raise ValueError(f"unknown order step {step}")


def _pick_label(order: OrderRecord, lang: str) -> str:
    """A quick reply the shopper taps; it carries the order number, which is what is read back."""
    item = order.items[0] if order.items else text.status_name(order.status, lang)
    return f"{order.order_id} · {item}"


def _abnormal(session, conversation: Conversation, turn: OrderTurn, reply: str, lang: str) -> OrderOutcome:
    """Apologise, then the merchant's late-delivery remedy if its policy has one (the
    recovery engine prices it, within its caps), else a person."""
    record_event(session, conversation.merchant_id, "order_abnormal", conversation_id=conversation.id,
                 data={"order_id": turn.order.order_id, "kind": turn.abnormal})
    reply = f"{text.abnormal_apology(turn.abnormal, lang)}{'' if lang == 'zh' else ' '}{reply}"
    offer = make_offer(session, merchant_id=conversation.merchant_id, conversation_id=conversation.id,
                       reason="late_delivery", order_id=turn.order.order_id)
    if offer is None:
        return OrderOutcome(reply, escalate="abnormal_order")
    conversation.recovery_stage, conversation.refund_reason = RECOVERY_OFFERED, "late_delivery"
    quick = [(QUICK_ACCEPT[lang], "accept_offer"), (QUICK_DECLINE[lang], "decline_offer")]
    return OrderOutcome(f"{reply}\n{offer_text(offer, lang)}", quick=quick, offer=offer)


_ACTION_KINDS = {"cancel": "cancel", "address": "change_address", "urge": "urge"}


def _record_action(session: Session, conversation: Conversation, order: OrderRecord, turn: OrderTurn) -> bool:
    """Record the confirmed action; False when the same action on the order already was."""
    kind = _ACTION_KINDS[turn.topic]
    payload = _payload(turn)
    existing = session.scalar(select(OrderAction).where(
        OrderAction.merchant_id == conversation.merchant_id, OrderAction.order_id == order.order_id, OrderAction.kind == kind))
    if existing is not None:
        if payload and existing.payload != payload:  # a second, different address replaces the first
            existing.payload, existing.status = payload, "sent" if turn.sent else "recorded"
            return True
        return False
    try:
        with session.begin_nested():
            session.add(OrderAction(merchant_id=conversation.merchant_id, order_id=order.order_id,
                                    conversation_id=conversation.id, kind=kind, payload=payload,
                                    status="sent" if turn.sent else "recorded"))
    except IntegrityError:  # a concurrent confirmation recorded it first
        return False
    record_event(session, conversation.merchant_id, "order_action", conversation_id=conversation.id,
                 data={"order_id": order.order_id, "kind": kind})
    return True


def _payload(turn: OrderTurn) -> dict | None:
    return {"address": turn.address} if turn.address else None


def _action_key(merchant_id: str, order_id: str, kind: str, payload: dict | None) -> str:
    """The same action on the same order has the same key: the merchant's system can drop repeats."""
    raw = json.dumps([merchant_id, order_id, kind, payload], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def conversation_order(merchant_id: str, conversation_id: str) -> text.OrderCard | None:
    """The conversation's order for the agent console, or None (no order, or the source is down)."""
    with session_scope() as session:
        order_id = session.scalar(select(Conversation.order_id).where(Conversation.id == conversation_id))
        settings = session.get(OrderSettings, merchant_id)
    if not order_id:
        return None
    source = source_for(merchant_id, settings.source_url if settings else None, settings.source_secret if settings else None)
    try:
        order = source.order(order_id)
    except SourceUnavailable:
        return None
    return text.order_card(order, utcnow()) if order else None
