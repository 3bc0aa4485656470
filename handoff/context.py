"""What the agent console shows about the shopper beside the transcript: who they are
(only a signed, verified id), where they write from, in which language, and their
earlier conversations with the same shop."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import Conversation, Message
from handoff.models import HandoffTicket

PAST_LIMIT = 5


@dataclass
class PastConversation:
    conversation_id: str
    created_at: datetime
    messages: int
    first_message: str  # the shopper's first words there
    ticket_status: str | None  # its last ticket's status, if it ever went to a person


@dataclass
class ShopperContext:
    shopper_id: str | None  # set only when the merchant's page signed it
    page_url: str | None
    lang: str
    past: list[PastConversation] = field(default_factory=list)


def shopper_context(session: Session, conversation: Conversation, *, limit: int = PAST_LIMIT) -> ShopperContext:
    context = ShopperContext(shopper_id=conversation.shopper_id, page_url=conversation.page_url, lang=conversation.lang)
    if conversation.shopper_id:
        context.past = past_conversations(session, conversation, limit=limit)
    return context


def past_conversations(session: Session, conversation: Conversation, *, limit: int) -> list[PastConversation]:
    """The verified shopper's other conversations with this merchant, newest first."""
    rows = session.scalars(
        select(Conversation)
        .where(
            Conversation.merchant_id == conversation.merchant_id,
            Conversation.shopper_id == conversation.shopper_id,
            Conversation.id != conversation.id,
        )
        .order_by(Conversation.created_at.desc())
        .limit(limit)
    ).all()
    return [_past(session, row) for row in rows]


def _past(session: Session, conversation: Conversation) -> PastConversation:
    count = session.scalar(select(func.count()).select_from(Message).where(Message.conversation_id == conversation.id))
    first = session.scalar(
        select(Message.text).where(Message.conversation_id == conversation.id, Message.role == "shopper").order_by(Message.id).limit(1)
    )
    status = session.scalar(
        select(HandoffTicket.status).where(HandoffTicket.conversation_id == conversation.id).order_by(HandoffTicket.id.desc()).limit(1)
    )
    return PastConversation(conversation.id, conversation.created_at, count or 0, first or "", status)
