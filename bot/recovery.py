"""Order recovery (挽单): one polite offer, chosen by the merchant's policy, before a refund.

Offers are money, so only this module makes them (DESIGN.md):

* the offer *kind* comes from the policy row for the refund reason;
* the *amount* comes from the policy and the merchant's order record, then is cut to the
  per-order cap and to what is left of the day's budget;
* the shopper's text is only ever matched against fixed reason and yes/no patterns, and
  no number in it, in an uploaded document or in an LLM's output is read as an amount.

One offer per conversation (the ``offers.conversation_id`` column is unique), and a
decline always continues to the refund steps: the offer never blocks a refund.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.events import record_event
from bot.models import Conversation, Order, RecoveryOfferRow, RecoveryPolicyRow
from knowledge.models import Merchant
from xiaoer.db import utcnow

RefundReason = Literal["wrong_size", "quality", "late_delivery", "changed_mind", "other"]
REFUND_REASONS: tuple[str, ...] = ("wrong_size", "quality", "late_delivery", "changed_mind", "other")
OfferKind = Literal["size_exchange", "replacement", "partial_compensation", "coupon", "expedited_reshipping", "none"]
# Kinds whose amount is money handed to the shopper (and so counts against the caps).
MONETARY_KINDS = frozenset({"partial_compensation", "coupon"})

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent / "data" / "recovery_default.yaml"


class OfferRule(BaseModel):
    kind: OfferKind
    amount: float = Field(default=0.0, ge=0, description="Fixed amount; the fallback for percent rules without an order value.")
    percent: float | None = Field(default=None, gt=0, le=100, description="Share of the order value.")


class RecoveryPolicy(BaseModel):
    currency: str = Field(default="CNY", min_length=1, max_length=8)
    per_order_cap: float = Field(ge=0)
    daily_budget: float = Field(ge=0)
    high_value_threshold: float | None = Field(default=None, ge=0)
    queue_timeout_minutes: float = Field(default=10, gt=0)
    reasons: dict[RefundReason, OfferRule]
    refund_steps: dict[Literal["zh", "en"], str]
    # Shop-neutral wording: the category picks a preset (bot/data/category_presets.yaml);
    # labels and greeting topics given here override it.
    category: str = Field(default="general", max_length=32)
    reason_labels: dict[RefundReason, dict[Literal["zh", "en"], str]] = Field(default_factory=dict)
    topics: dict[Literal["zh", "en"], str] = Field(default_factory=dict)
    # The widget's suggestion chips under its greeting (GET /v1/merchants/{m}/greeting).
    suggestions: dict[Literal["zh", "en"], list[str]] = Field(default_factory=dict)
    # How sure the bot must be to answer (else it hands off); None: the deployment's default
    # (XIAOER_ANSWER_THRESHOLD, 0.7). Higher is more cautious: fewer answers, fewer wrong ones.
    answer_threshold: float | None = Field(default=None, ge=0.3, le=0.95)

    def reason_label(self, reason: RefundReason, lang: str) -> str:
        return (self.reason_labels.get(reason) or category_preset(self.category)["reason_labels"][reason])[lang]

    def greeting_topics(self, lang: str) -> str:
        return (self.topics or category_preset(self.category)["topics"])[lang]

    def greeting_suggestions(self, lang: str) -> list[str]:
        return (self.suggestions.get(lang) or category_preset(self.category)["suggestions"][lang])[:6]

    @model_validator(mode="after")
    def _complete(self) -> RecoveryPolicy:
        missing = [r for r in REFUND_REASONS if r not in self.reasons]
        if missing:
            raise ValueError(f"reasons must cover every refund reason; missing: {', '.join(missing)}")
        if not all(self.refund_steps.get(lang, "").strip() for lang in ("zh", "en")):
            raise ValueError("refund_steps needs non-empty 'zh' and 'en' texts")
        return self


@lru_cache(maxsize=1)
def _presets() -> dict:
    return yaml.safe_load((Path(__file__).with_name("data") / "category_presets.yaml").read_text(encoding="utf-8"))


def category_names() -> dict[str, dict[str, str]]:
    """Every preset category's name in zh and en (the dashboard's category choice)."""
    return {category: preset["name"] for category, preset in _presets().items()}


def category_preset(category: str) -> dict:
    """The category's wording over the general one (unknown categories read as general)."""
    presets = _presets()
    general = presets["general"]
    own = presets.get(category, {})
    return {"topics": own.get("topics", general["topics"]),
            "suggestions": own.get("suggestions", general["suggestions"]),
            "reason_labels": {**general["reason_labels"], **own.get("reason_labels", {})}}


class RecoveryOffer(BaseModel):
    """What the shopper is shown; the row in ``offers`` is the record."""

    id: int
    reason: RefundReason
    kind: OfferKind
    amount: float
    currency: str
    status: Literal["offered", "accepted", "declined"]


class PolicyError(ValueError):
    pass


# ----------------------------------------------------------------------------- policy storage


@lru_cache(maxsize=1)
def default_policy() -> RecoveryPolicy:
    return parse_policy(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


def parse_policy(text: str | dict) -> RecoveryPolicy:
    """A policy from YAML/JSON text (JSON is YAML) or a dict, with a readable error."""
    try:
        data = yaml.safe_load(text) if isinstance(text, str) else text
    except yaml.YAMLError as exc:
        raise PolicyError(f"the policy is not valid YAML/JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyError("the policy must be a mapping with per_order_cap, daily_budget, reasons and refund_steps")
    try:
        return RecoveryPolicy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(f"invalid recovery policy: {validation_problems(exc, 'policy')}") from None


def validation_problems(exc: ValidationError, root: str) -> str:
    """Every problem pydantic found, as 'field.path: message; ...' (``root`` for the whole)."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or root}: {e['msg']}" for e in exc.errors())


def load_policy(session: Session, merchant_id: str) -> RecoveryPolicy:
    return policy_of(session.get(RecoveryPolicyRow, merchant_id))


def policy_of(row: RecoveryPolicyRow | None) -> RecoveryPolicy:
    return RecoveryPolicy.model_validate(row.policy) if row else default_policy()


def save_policy(session: Session, merchant_id: str, policy: RecoveryPolicy) -> None:
    row = session.get(RecoveryPolicyRow, merchant_id)
    if row is None:
        session.add(RecoveryPolicyRow(merchant_id=merchant_id, policy=policy.model_dump(mode="json")))
    else:
        row.policy = policy.model_dump(mode="json")


# ----------------------------------------------------------------------------- reading the shopper

def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Checked in this order: the first that matches wins (a "too small and broken" item is a
# quality problem before a size one, since compensation covers both).
_REASON_PATTERNS: tuple[tuple[RefundReason, re.Pattern[str]], ...] = (
    ("quality", _rx(
        r"质量|坏了|坏的|破了|破损|破洞|有洞|开线|开胶|脱线|起球|掉色|褪色|瑕疵|次品|残次|做工|污渍|脏了|异味|"
        r"发错|错发|少发|漏发|不能用|用不了|故障|臭|变质|发霉|不新鲜|死了|充不进|充不上|开不了机|不开机|没反应|漏水|漏油|漏液|"
        r"(指针|针|表|灯|屏|轮|开关|按键|按钮|电机|马达)\S{0,2}(不动|不转|不亮|不走|失灵|不准|卡住|卡死)|失灵|"
        r"broken|damaged|defect|faulty|poor quality|bad quality|torn|ripped|\bhole\b|stain|doesn'?t work|stopped working|wrong item"
    )),
    ("wrong_size", _rx(
        r"尺码|码数|码子|大了|小了|偏大|偏小|太大|太小|不合身|穿不上|穿不下|太紧|太松|太长|太短|不合适|"
        r"\bsize\b|too (small|big|large|tight|loose|long|short)|doesn'?t fit|does not fit|didn'?t fit|wrong fit"
    )),
    ("late_delivery", _rx(
        r"太慢|还没到|没收到|还没收到|迟迟|物流慢|发货慢|不发货|超时|延迟|延误|等太久|等了.*天|几天了|"
        r"\blate\b|delay|hasn'?t arrived|has not arrived|not arrived|never arrived|still waiting|taking (too|so) long|slow (delivery|shipping)"
    )),
    ("changed_mind", _rx(
        r"不想要|不要了|不需要了|不需要|改主意|不喜欢|买错|拍错|多拍|买多了|用不上|冲动|"
        r"changed? my mind|don'?t want|do not want|don'?t need|no longer need|by mistake|don'?t like|do not like|ordered wrong"
    )),
)

# Quick replies and the numbered prompt map straight to a reason.
_REASON_CHOICES = {
    "1": "wrong_size", "2": "quality", "3": "late_delivery", "4": "changed_mind", "5": "other",
    "其他": "other", "其他原因": "other", "other": "other",
}

_DECLINE = _rx(
    r"不用|不要|不需要|算了|不了|拒绝|还是退|直接退|就要退|坚持退|只要退|不接受|"
    r"^\s*no\b|\bnope\b|decline|no,? thanks|just (refund|return)|still want (a |my )?(refund|money)|not interested|i'?ll pass"
)
_ACCEPT = _rx(
    r"^\s*(好|好的|好吧|可以|行|行吧|嗯|嗯嗯|要|接受|同意|没问题|那就这样|换吧|那换)|接受|可以的|"
    r"^\s*(ok|okay|yes|yep|yeah|sure|deal|fine)\b|\baccept\b|sounds good|that works|i'?ll take it"
)


def detect_reason(text: str) -> RefundReason | None:
    stripped = text.strip().rstrip("。.!！").casefold()
    if stripped in _REASON_CHOICES:
        return _REASON_CHOICES[stripped]  # type: ignore[return-value]
    for reason, pattern in _REASON_PATTERNS:
        if pattern.search(text):
            return reason
    return None


def read_offer_response(text: str) -> Literal["accept", "decline"] | None:
    """Accept or decline, from one reply. A decline cue wins over an accept cue ("好的，不用了"),
    because a misread decline only costs a retry while a misread accept would block a refund."""
    if _DECLINE.search(text):
        return "decline"
    if _ACCEPT.search(text):
        return "accept"
    return None


# ----------------------------------------------------------------------------- the engine


def get_order(session: Session, merchant_id: str, order_id: str | None) -> Order | None:
    if not order_id:
        return None
    return session.get(Order, (merchant_id, order_id))


def _day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def budget_used_today(session: Session, merchant_id: str, now: datetime | None = None) -> float:
    """Money in offers made today that are pending or accepted (a decline frees its share)."""
    start = _day_start(now or utcnow())
    total = session.scalar(
        select(func.coalesce(func.sum(RecoveryOfferRow.amount), 0.0)).where(
            RecoveryOfferRow.merchant_id == merchant_id,
            RecoveryOfferRow.created_at >= start,
            RecoveryOfferRow.created_at < start + timedelta(days=1),
            RecoveryOfferRow.status.in_(("offered", "accepted")),
            RecoveryOfferRow.kind.in_(tuple(MONETARY_KINDS)),
        )
    )
    return float(total or 0.0)


def price_offer(policy: RecoveryPolicy, reason: RefundReason, order_amount: float | None, budget_left: float) -> tuple[OfferKind, float] | None:
    """The offer for a reason, or None when the policy makes none or the caps leave nothing."""
    rule = policy.reasons[reason]
    if rule.kind == "none":
        return None
    if rule.kind not in MONETARY_KINDS:
        return rule.kind, 0.0
    amount = rule.amount
    if rule.percent is not None and order_amount is not None:
        amount = order_amount * rule.percent / 100.0
    amount = min(amount, policy.per_order_cap, max(budget_left, 0.0))
    if order_amount is not None:
        amount = min(amount, order_amount)  # never compensate more than was paid
    amount = math.floor(amount * 100) / 100  # round down: a cap is never exceeded by rounding
    if amount <= 0:
        return None
    return rule.kind, amount


def make_offer(
    session: Session,
    *,
    merchant_id: str,
    conversation_id: str,
    reason: RefundReason,
    order_id: str | None,
) -> RecoveryOffer | None:
    """Create the conversation's one offer, or return None (no rule, caps spent, or an offer
    already exists). Call it in its own transaction: the first statement locks the
    merchant's row so concurrent offers cannot overspend the day's budget."""
    session.execute(update(Merchant).where(Merchant.id == merchant_id).values(kb_version=Merchant.kb_version))
    if session.scalar(select(RecoveryOfferRow.id).where(RecoveryOfferRow.conversation_id == conversation_id)):
        return None
    policy = load_policy(session, merchant_id)
    order = get_order(session, merchant_id, order_id)
    left = policy.daily_budget - budget_used_today(session, merchant_id)
    priced = price_offer(policy, reason, order.amount if order else None, left)
    if priced is None:
        return None
    kind, amount = priced
    row = RecoveryOfferRow(
        merchant_id=merchant_id,
        conversation_id=conversation_id,
        order_id=order_id,
        reason=reason,
        kind=kind,
        amount=amount,
        currency=policy.currency,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # a concurrent turn made this conversation's offer first
        return None
    record_event(
        session, merchant_id, "offer_made", conversation_id=conversation_id, value=amount,
        data={"offer_id": row.id, "kind": kind, "reason": reason},
    )
    return to_offer(row)


def decide_offer(session: Session, offer_id: int, decision: Literal["accept", "decline"]) -> RecoveryOffer | None:
    """Accept or decline a pending offer once; later calls return the decided offer unchanged."""
    row = session.get(RecoveryOfferRow, offer_id)
    if row is None:
        return None
    if row.status != "offered":
        return to_offer(row)
    row.status = "accepted" if decision == "accept" else "declined"
    row.decided_at = utcnow()
    if decision == "accept":
        # The order may have been named after the offer was made: the conversation's counts too.
        conversation = session.get(Conversation, row.conversation_id)
        order = get_order(session, row.merchant_id, row.order_id or (conversation.order_id if conversation else None))
        # The value kept is unknown without the order: null, not a misleading ¥0.
        saved = None
        if order is not None:
            saved = round(max(order.amount - (row.amount if row.kind == "partial_compensation" else 0.0), 0.0), 2)
        record_event(
            session, row.merchant_id, "offer_accepted", conversation_id=row.conversation_id, value=row.amount,
            data={"offer_id": row.id, "kind": row.kind, "saved": saved},
        )
    else:
        record_event(
            session, row.merchant_id, "offer_declined", conversation_id=row.conversation_id, value=row.amount,
            data={"offer_id": row.id, "kind": row.kind},
        )
    return to_offer(row)


def conversation_offer(session: Session, conversation_id: str) -> RecoveryOffer | None:
    row = session.scalar(select(RecoveryOfferRow).where(RecoveryOfferRow.conversation_id == conversation_id))
    return to_offer(row) if row else None


def to_offer(row: RecoveryOfferRow) -> RecoveryOffer:
    return RecoveryOffer(
        id=row.id, reason=row.reason, kind=row.kind, amount=row.amount, currency=row.currency, status=row.status
    )
