"""SQL tables for conversations: every message, the order data offers are priced from,
the offers themselves, each merchant's recovery policy and the metric event log.

Conversations survive a restart because nothing about them lives only in memory.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xiaoer.db import Base, utcnow

# Who may speak for the shop in a conversation (DESIGN.md, "Conversation ownership").
OWNER_BOT = "bot"
OWNER_QUEUED = "queued"
OWNER_HUMAN = "human"
OWNER_CLOSED = "closed"

# Where a refund conversation is in the recovery flow.
RECOVERY_NONE = "none"
RECOVERY_ASKED_REASON = "asked_reason"
RECOVERY_OFFERED = "offered"
RECOVERY_DONE = "done"


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    owner: Mapped[str] = mapped_column(String(8), default=OWNER_BOT)
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recovery_stage: Mapped[str] = mapped_column(String(16), default=RECOVERY_NONE)
    refund_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Consecutive bot answers below the "sure" line; two in a row escalate.
    low_confidence_streak: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # What the agent console shows about the shopper: the page they wrote from (the latest)
    # and their identity once the merchant's page signed it (bot/order_access.py).
    page_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    shopper_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # Typing indicators (a few seconds' worth): in SQL so every host sees them.
    shopper_typing_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    agent_typing_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (Index("ix_conversations_merchant_shopper", "merchant_id", "shopper_id"),)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    merchant_id: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(8))  # shopper | bot | agent | system
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(16), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    agent_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    data: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # citations, offer, handoff
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Shopper messages only: when the shop (bot or agent) first replied.
    responded_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Order(Base):
    """A merchant's order, as far as the bot needs it: offers and the high-value rule
    are priced from here, never from what a shopper types."""

    __tablename__ = "orders"

    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    amount: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(32), default="paid")
    items: Mapped[list | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Logistics (issue 14): all optional, so files with only order_id/amount keep working.
    shopper_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    phone_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)  # the anonymous check; never the number
    paid_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    promised_ship_by: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    promised_delivery_by: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    carrier: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tracking_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    events: Mapped[list | None] = mapped_column(JSON, nullable=True)  # [{time, location, description}], newest last
    refund: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # {status, amount, updated_at}
    address: Mapped[str | None] = mapped_column(Text, nullable=True)  # shown masked only

    __table_args__ = (Index("ix_orders_merchant_shopper", "merchant_id", "shopper_id"),)


class RecoveryOfferRow(Base):
    """One offer made by the policy engine. ``conversation_id`` is unique: the database
    itself refuses a second offer in a conversation."""

    __tablename__ = "offers"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(String(64), index=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), unique=True)
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    amount: Mapped[float] = mapped_column(Float, default=0.0)
    currency: Mapped[str] = mapped_column(String(8), default="CNY")
    status: Mapped[str] = mapped_column(String(16), default="offered")  # offered | accepted | declined
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class RecoveryPolicyRow(Base):
    __tablename__ = "recovery_policies"

    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True)
    policy: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class MetricEvent(Base):
    """Append-only log of what happened; every figure on the dashboard is computed from
    these rows after the fact, never on the turn's hot path."""

    __tablename__ = "metric_events"
    __table_args__ = (Index("ix_events_merchant_time", "merchant_id", "created_at"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"))
    conversation_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    agent_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    data: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
