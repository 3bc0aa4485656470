"""SQL tables for order conversations (issue 14): each merchant's identity secret and
order source, what a conversation has unlocked or is waiting for, and the actions
shoppers confirmed. The ``orders`` table itself is in bot/models.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xiaoer.db import Base, utcnow


class OrderSettings(Base):
    """Per merchant: the secret its pages sign shopper ids with, and where orders come from
    (the built-in table when ``source_url`` is empty, else the merchant's HTTP API)."""

    __tablename__ = "order_settings"

    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True)
    identity_secret: Mapped[str] = mapped_column(String(128))
    source_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_secret: Mapped[str | None] = mapped_column(String(128), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class OrderConversation(Base):
    """A conversation's order state: the verified shopper, the orders an anonymous shopper
    unlocked with the phone check, and the one question the bot is waiting on."""

    __tablename__ = "order_conversations"

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(64), index=True)
    shopper_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    unlocked: Mapped[list] = mapped_column(JSON, default=list)
    # number | check (phone digits) | pick (which order) | address (the new one) | confirm (an action)
    awaiting: Mapped[str | None] = mapped_column(String(16), nullable=True)
    pending: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # {order_id, topic, action, address, candidates}
    failed_checks: Mapped[int] = mapped_column(Integer, default=0)
    misses: Mapped[int] = mapped_column(Integer, default=0)  # order numbers not found (guessing)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class OrderAction(Base):
    """An action a shopper confirmed. One per order and kind: confirming twice (a retry, a
    double click) records nothing new."""

    __tablename__ = "order_actions"
    __table_args__ = (UniqueConstraint("merchant_id", "order_id", "kind", name="uq_order_action"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[str] = mapped_column(String(64))
    conversation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))  # cancel | change_address | urge
    payload: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="recorded")  # recorded | sent | send_failed
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
