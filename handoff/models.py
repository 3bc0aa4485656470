"""SQL tables for human agents and the handoff queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column

from xiaoer.db import Base, utcnow

TICKET_QUEUED = "queued"
TICKET_CLAIMED = "claimed"
TICKET_RESOLVED = "resolved"
TICKET_HANDED_BACK = "handed_back"
OPEN_TICKET_STATES = (TICKET_QUEUED, TICKET_CLAIMED)

PRESENCE_ONLINE = "online"
PRESENCE_AWAY = "away"
PRESENCES = (PRESENCE_ONLINE, PRESENCE_AWAY)
DEFAULT_MAX_CHATS = 5


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # Only a hash is stored; the key is shown once when the agent is created.
    key_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Away agents are offered no tickets; nobody holds more than max_chats at once.
    presence: Mapped[str] = mapped_column(String(8), default=PRESENCE_ONLINE, server_default=PRESENCE_ONLINE)
    max_chats: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX_CHATS, server_default=str(DEFAULT_MAX_CHATS))


class HandoffTicket(Base):
    __tablename__ = "handoff_tickets"
    __table_args__ = (
        # At most one open ticket per conversation, enforced by the database.
        Index(
            "uq_open_ticket_per_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'claimed')"),
            postgresql_where=text("status IN ('queued', 'claimed')"),
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(String(64), index=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=TICKET_QUEUED)
    summary: Mapped[str] = mapped_column(Text, default="")
    suggestions: Mapped[list | None] = mapped_column(JSON, nullable=True)
    agent_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The last transfer: who passed the ticket on, and their note for the receiving agent.
    transferred_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    transfer_note: Mapped[str | None] = mapped_column(Text, nullable=True)


class CannedReply(Base):
    """A merchant's ready-made reply; agents insert it by its shortcut ("/" in the console)."""

    __tablename__ = "canned_replies"
    __table_args__ = (UniqueConstraint("merchant_id", "shortcut", name="uq_canned_reply_shortcut"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    shortcut: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class ClosedGap(Base):
    """A gap phrasing (``handoff.gaps.question_key`` of the PII-masked question) that the
    merchant's knowledge now answers. Its ``unanswered`` events up to ``closed_at`` leave the gap list; the same
    question going unanswered again later opens it again."""

    __tablename__ = "closed_gaps"

    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True)
    question_key: Mapped[str] = mapped_column(Text, primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class QaRulesRow(Base):
    """A merchant's quality-inspection rules (handoff/qa.py); no row means the defaults."""

    __tablename__ = "qa_rules"

    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True)
    rules: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Photo(Base):
    """A photo a shopper sent, re-encoded (handoff/photos.py). The file lives under the
    merchant's folder by this random id; the row says whose it is and where it belongs."""

    __tablename__ = "photos"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: not guessable
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_type: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
