"""Conversation storage: open or create a conversation, append messages, read history.

Every function takes the session explicitly so a turn's writes (messages, state, events,
ticket) commit together."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.events import record_event
from bot.models import OWNER_HUMAN, Conversation, Message
from bot.replies import confirms_resolution
from xiaoer.db import utcnow
from xiaoer.livebus import PUSHED_ROLES, publish_after_commit


class ConversationNotFound(LookupError):
    pass


def new_conversation_id() -> str:
    return uuid.uuid4().hex


def open_conversation(
    session: Session, merchant_id: str, conversation_id: str | None, *, lang: str, order_id: str | None = None
) -> Conversation:
    """The shopper's conversation: a new one (with a server-made id) when no id is given.
    Ids are only ever issued here, so an unknown id, or one of another merchant, is not
    found, never a way in."""
    if conversation_id:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.merchant_id != merchant_id:
            raise ConversationNotFound(conversation_id)
        if order_id and not conversation.order_id:
            conversation.order_id = order_id
        return conversation
    conversation = Conversation(id=new_conversation_id(), merchant_id=merchant_id, lang=lang, order_id=order_id)
    session.add(conversation)
    session.flush()
    record_event(session, merchant_id, "conversation_started", conversation_id=conversation.id, data={"lang": lang})
    return conversation


def note_visit(
    session: Session, conversation: Conversation, *, page: str | None, shopper_id: str | None, shopper_hmac: str | None
) -> None:
    """Remember the page the shopper writes from (the latest) and who they are once the
    merchant's page signed their id: the agent console shows both, and the signed id links
    the shopper's earlier conversations. An unsigned or forged id is not kept."""
    if page:
        conversation.page_url = page
    if shopper_id and shopper_hmac and conversation.shopper_id != shopper_id:
        from bot.order_access import verified_shopper
        from bot.order_models import OrderSettings

        settings = session.get(OrderSettings, conversation.merchant_id)
        if verified_shopper(settings.identity_secret if settings else None, shopper_id, shopper_hmac):
            conversation.shopper_id = shopper_id


def get_conversation(session: Session, merchant_id: str, conversation_id: str) -> Conversation | None:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.merchant_id != merchant_id:
        return None
    return conversation


def add_message(
    session: Session,
    conversation: Conversation,
    role: str,
    text: str,
    *,
    intent: str | None = None,
    confidence: float | None = None,
    agent_id: str | None = None,
    data: dict | None = None,
) -> Message:
    message = Message(
        conversation_id=conversation.id,
        merchant_id=conversation.merchant_id,
        role=role,
        text=text,
        intent=intent,
        confidence=confidence,
        agent_id=agent_id,
        data=data,
    )
    session.add(message)
    conversation.updated_at = utcnow()
    session.flush()
    if role in PUSHED_ROLES:
        publish_after_commit(session, conversation.id)
    if role == "shopper":
        holder = None
        if conversation.owner == OWNER_HUMAN:
            from handoff.service import holding_agent  # handoff depends on bot, not the other way round

            holder = holding_agent(session, conversation.id)
        event_data = {"message_id": message.id, "owner": conversation.owner}
        if confirms_resolution(text):  # "好的谢谢" after a resolution confirms it (handoff/metrics.py)
            event_data["confirms"] = True
        record_event(
            session, conversation.merchant_id, "shopper_message", conversation_id=conversation.id, agent_id=holder,
            data=event_data,
        )
    return message


def mark_responded(session: Session, conversation: Conversation, *, agent_id: str | None = None, since=None) -> int:
    """Record that the shop has replied to every shopper message still waiting for one.
    Response time runs from the message, or from ``since`` (an agent's claim) if later."""
    now = utcnow()
    waiting = pending_shopper_messages(session, conversation.id)
    for message in waiting:
        start = max(message.created_at, since) if since else message.created_at
        message.responded_at = now
        record_event(
            session, conversation.merchant_id, "responded", conversation_id=conversation.id,
            value=max((now - start).total_seconds(), 0.0), agent_id=agent_id, data={"message_id": message.id},
        )
    return len(waiting)


def pending_shopper_messages(session: Session, conversation_id: str) -> list[Message]:
    query = select(Message).where(
        Message.conversation_id == conversation_id, Message.role == "shopper", Message.responded_at.is_(None)
    )
    return list(session.scalars(query.order_by(Message.id)))


def history(session: Session, conversation_id: str, limit: int | None = None) -> list[Message]:
    query = select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id.desc())
    if limit:
        query = query.limit(limit)
    return list(reversed(session.scalars(query).all()))


def answered_questions(recent: list[Message], limit: int) -> list[str]:
    """Among ``recent`` messages (in order; the turn reads the last 4 × ``limit``), the
    shopper's latest that the bot answered from knowledge (newest first): asking one of them
    again means the answer did not help."""
    out = [
        asked.text
        for asked, reply in zip(recent, recent[1:])
        if asked.role == "shopper" and reply.role == "bot" and (reply.data or {}).get("route") == "answer"
    ]
    return out[::-1][:limit]


def is_button_press(message: Message) -> bool:
    """A quick reply or a button the shopper pressed (质量问题, 接受, 转人工): its words are
    the shop's label, not the shopper's."""
    return bool((message.data or {}).get("quick_reply"))


def own_words(messages: list[Message]) -> list[Message]:
    """The shopper's messages in their own words, in order: not a button press, not small talk."""
    return [m for m in messages if m.role == "shopper" and not is_button_press(m) and m.intent != "chitchat"]


def last_question(recent: list[Message]) -> str | None:
    """The shopper's latest message in their own words that asked something (not small
    talk, not "转人工", not a button press), among ``recent`` messages (the turn reads the
    last 20)."""
    asked = [m for m in own_words(recent) if m.intent != "human"]
    return asked[-1].text if asked else None


def offered_quick_replies(session: Session, conversation_id: str) -> list[str]:
    """The labels of the quick replies the bot's latest message offered."""
    data = session.scalar(
        select(Message.data).where(Message.conversation_id == conversation_id, Message.role == "bot").order_by(Message.id.desc()).limit(1)
    )
    return list((data or {}).get("quick_replies") or [])
