"""Tickets and the conversation ownership state machine (DESIGN.md):

    BOT ──escalate──► QUEUED ──claim──► HUMAN ──resolve──► CLOSED
     ▲                  │                 │
     └──hand back───────┴─────────────────┘   (also: queue timeout)

Only BOT lets the bot reply. Every transition is a compare-and-set in the database
(``UPDATE ... WHERE status = ... AND agent_id = ...``): two agents can never hold one
ticket, and a timeout or hand-back never overwrites a claim or resolve that won first.
Every function takes the session; the caller's transaction commits the ticket, the
conversation's new owner and the events together.
"""

from __future__ import annotations

import re
from datetime import timedelta
from difflib import SequenceMatcher

from sqlalchemy import case, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from bot.conversations import add_message, mark_responded
from bot.events import record_event
from bot.replies import AGENT_JOINED, HANDED_BACK, RESOLVED
from bot.models import OWNER_BOT, OWNER_CLOSED, OWNER_HUMAN, OWNER_QUEUED, Conversation, Message
from handoff.models import (
    OPEN_TICKET_STATES,
    PRESENCE_ONLINE,
    PRESENCES,
    TICKET_CLAIMED,
    TICKET_HANDED_BACK,
    TICKET_QUEUED,
    TICKET_RESOLVED,
    Agent,
    HandoffTicket,
)
from xiaoer.db import utcnow
from xiaoer.livebus import publish_after_commit
from xiaoer.keys import hash_key, new_key


class HandoffError(Exception):
    """Base for ticket errors the API turns into 4xx responses."""


class NotFound(HandoffError, LookupError):
    """No such ticket, agent or canned reply for this merchant (404)."""


class Conflict(HandoffError):
    """The request clashes with the stored state (409)."""


class TicketNotFound(NotFound):
    pass


class TicketConflict(Conflict):
    """The ticket is not in a state that allows this (already claimed, closed, not yours),
    or the agent taking it is away or at their chat limit."""


# ----------------------------------------------------------------------------- agents

_AGENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_CHATS_CEILING = 50


def create_agent(session: Session, merchant_id: str, agent_id: str, name: str) -> tuple[Agent, str]:
    """A new agent and their API key (shown once; only its hash is stored)."""
    if not _AGENT_ID.match(agent_id):
        raise ValueError("agent id: 1-64 letters, digits, '-' or '_'")
    if not name.strip():
        raise ValueError("agent name is empty")
    if session.get(Agent, agent_id) is not None:
        raise ValueError(f"agent {agent_id!r} already exists")
    key = new_key("xa")
    agent = Agent(id=agent_id, merchant_id=merchant_id, name=name.strip(), key_hash=hash_key(key))
    session.add(agent)
    return agent, key


def agent_for_key(session: Session, key: str) -> Agent | None:
    return session.scalar(select(Agent).where(Agent.key_hash == hash_key(key)))


def get_agent(session: Session, merchant_id: str, agent_id: str) -> Agent | None:
    agent = session.get(Agent, agent_id)
    return agent if agent is not None and agent.merchant_id == merchant_id else None


def agents(session: Session, merchant_id: str) -> list[Agent]:
    return list(session.scalars(select(Agent).where(Agent.merchant_id == merchant_id).order_by(Agent.id)))


def set_presence(agent: Agent, presence: str) -> Agent:
    if presence not in PRESENCES:
        raise ValueError(f"presence must be one of {', '.join(PRESENCES)}")
    agent.presence = presence
    return agent


def set_chat_limit(session: Session, merchant_id: str, agent_id: str, max_chats: int) -> Agent:
    agent = get_agent(session, merchant_id, agent_id)
    if agent is None:
        raise NotFound(f"no agent {agent_id!r} for this merchant")
    if not 1 <= max_chats <= MAX_CHATS_CEILING:
        raise ValueError(f"max_chats must be between 1 and {MAX_CHATS_CEILING}")
    agent.max_chats = max_chats
    return agent



def chats_held(session: Session, agent_id: str) -> int:
    """How many open conversations the agent holds now."""
    return session.scalar(
        select(func.count()).select_from(HandoffTicket)
        .where(HandoffTicket.agent_id == agent_id, HandoffTicket.status == TICKET_CLAIMED)
    )


def _has_room(agent_id: str):
    """SQL condition: the agent is online and holds fewer chats than their limit. Part of
    the claim's and the transfer's UPDATE, so the limit holds under concurrent claims."""
    held = aliased(HandoffTicket)
    count = (
        select(func.count()).select_from(held)
        .where(held.agent_id == agent_id, held.status == TICKET_CLAIMED)
        .scalar_subquery()
    )
    return exists().where(Agent.id == agent_id, Agent.presence == PRESENCE_ONLINE, Agent.max_chats > count)


def _lock_agent(session: Session, agent_id: str) -> Agent:
    """The agent's row, locked for this transaction (Postgres): two claims by one agent
    count their chats one after the other, never both from the same snapshot."""
    return session.execute(
        select(Agent).where(Agent.id == agent_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def _why_no_room(session: Session, agent: Agent, *, own: bool) -> str:
    who = "you are" if own else f"{agent.name} is"
    if agent.presence != PRESENCE_ONLINE:
        return f"{who} away: away agents take no new chats" + (" (switch to online first)" if own else "")
    held = chats_held(session, agent.id)
    if held >= agent.max_chats:
        whose = "your" if own else "their"
        return f"{who} at {whose} chat limit ({held} of {agent.max_chats} open chats): resolve or hand one back first"
    return ""


# ----------------------------------------------------------------------------- tickets


def open_ticket(session: Session, conversation_id: str) -> HandoffTicket | None:
    return session.scalar(
        select(HandoffTicket).where(
            HandoffTicket.conversation_id == conversation_id, HandoffTicket.status.in_(OPEN_TICKET_STATES)
        )
    )


def holding_agent(session: Session, conversation_id: str) -> str | None:
    ticket = open_ticket(session, conversation_id)
    return ticket.agent_id if ticket is not None and ticket.status == TICKET_CLAIMED else None


def escalate(
    session: Session, conversation: Conversation, reason: str, *, summary: str, suggestions: list[dict]
) -> HandoffTicket:
    """Queue the conversation for a person (or return its open ticket: one at a time)."""
    existing = open_ticket(session, conversation.id)
    if existing is not None:
        return existing
    ticket = HandoffTicket(
        merchant_id=conversation.merchant_id,
        conversation_id=conversation.id,
        reason=reason,
        summary=summary,
        suggestions=suggestions,
    )
    session.add(ticket)
    conversation.owner = OWNER_QUEUED
    session.flush()
    record_event(
        session, conversation.merchant_id, "escalated", conversation_id=conversation.id,
        data={"reason": reason, "ticket_id": ticket.id},
    )
    return ticket


def conversation_summary(session: Session, conversation: Conversation, reason: str) -> str:
    """The extractive summary of the conversation so far. (An LLM call must not hold a
    write transaction: with an LLM configured, the console asks for the LLM summary when
    the ticket is opened.)"""
    from bot.conversations import history
    from bot.recovery import conversation_offer, get_order
    from handoff.summary import extractive_summary

    messages = history(session, conversation.id, limit=40)
    order = get_order(session, conversation.merchant_id, conversation.order_id)
    offer = conversation_offer(session, conversation.id)
    return extractive_summary(conversation, messages, reason, order=order, offer=offer)


def escalate_with_summary(
    session: Session, conversation: Conversation, reason: str, suggestions: list[dict]
) -> HandoffTicket:
    """:func:`escalate` with :func:`conversation_summary`."""
    summary = conversation_summary(session, conversation, reason)
    return escalate(session, conversation, reason, summary=summary, suggestions=suggestions)


def get_ticket(session: Session, merchant_id: str, ticket_id: int) -> HandoffTicket:
    ticket = session.get(HandoffTicket, ticket_id)
    if ticket is None or ticket.merchant_id != merchant_id:
        raise TicketNotFound(f"no ticket {ticket_id} for this merchant")
    return ticket


def queue(session: Session, merchant_id: str, *, include_claimed: bool = True) -> list[HandoffTicket]:
    """Open tickets, safety reports first (someone may be hurt), then oldest first."""
    states = OPEN_TICKET_STATES if include_claimed else (TICKET_QUEUED,)
    return list(
        session.scalars(
            select(HandoffTicket)
            .where(HandoffTicket.merchant_id == merchant_id, HandoffTicket.status.in_(states))
            .order_by(case((HandoffTicket.reason == "safety", 0), else_=1), HandoffTicket.created_at, HandoffTicket.id)
        )
    )


def _transition(
    session: Session, merchant_id: str, ticket_id: int, *, expect: str, holder: str | None = None,
    values: dict | None = None, also: tuple = (),
) -> HandoffTicket:
    """Move the ticket on only if it is still ``expect`` (and held by ``holder`` when given):
    one conditional ``UPDATE``, so of two racing requests exactly one wins and the other
    gets :class:`TicketConflict` (409) instead of overwriting the winner. Without
    ``values`` the row is updated to itself: that takes its write lock, so a hand-back
    racing an agent's reply waits for the reply to commit. ``also`` adds conditions (the
    taking agent has room); the caller explains a refusal the ticket's state does not."""
    conditions = [HandoffTicket.id == ticket_id, HandoffTicket.merchant_id == merchant_id, HandoffTicket.status == expect, *also]
    if holder is not None:
        conditions.append(HandoffTicket.agent_id == holder)
    matched = session.execute(
        update(HandoffTicket)
        .where(*conditions)
        .values(values or {"status": expect})
        .execution_options(synchronize_session=False)
    ).rowcount
    ticket = get_ticket(session, merchant_id, ticket_id)
    session.refresh(ticket)
    if matched != 1:
        if holder is not None:
            raise TicketConflict(f"ticket {ticket_id} is not held by {holder}")
        by = f" by {ticket.agent_id}" if ticket.agent_id else ""
        raise TicketConflict(f"ticket {ticket_id} is {ticket.status}{by}")
    return ticket


def claim(session: Session, merchant_id: str, ticket_id: int, agent: Agent) -> HandoffTicket:
    """Give the ticket to ``agent`` if nobody has it yet (atomic compare-and-set)."""
    if agent.merchant_id != merchant_id:
        raise TicketNotFound(f"no ticket {ticket_id} for this merchant")
    now = utcnow()
    agent = _lock_agent(session, agent.id)
    try:
        ticket = _transition(
            session, merchant_id, ticket_id, expect=TICKET_QUEUED,
            values={"status": TICKET_CLAIMED, "agent_id": agent.id, "claimed_at": now}, also=(_has_room(agent.id),),
        )
    except TicketConflict:
        if get_ticket(session, merchant_id, ticket_id).status == TICKET_QUEUED:
            raise TicketConflict(_why_no_room(session, agent, own=True) or f"ticket {ticket_id} could not be claimed; retry") from None
        raise
    conversation = session.get(Conversation, ticket.conversation_id)
    conversation.owner = OWNER_HUMAN
    # The shopper's widget says at once who joined (by display name, never the login id).
    joined = {lang: text.format(name=agent.name) for lang, text in AGENT_JOINED.items()}
    _notify(session, conversation, joined, {"event": "joined", "agent_name": agent.name})
    from bot.conversations import pending_shopper_messages

    record_event(
        session, merchant_id, "ticket_claimed", conversation_id=conversation.id, agent_id=agent.id,
        value=(now - ticket.created_at).total_seconds(),
        data={"ticket_id": ticket.id, "pending": len(pending_shopper_messages(session, conversation.id))},
    )
    return ticket


def transfer(
    session: Session, merchant_id: str, ticket_id: int, agent: Agent, to_agent_id: str, note: str
) -> HandoffTicket:
    """Pass a held ticket to a colleague who is online and has room, with a note they see.
    One conditional UPDATE (still claimed, still ``agent``'s, the colleague has room):
    a transfer racing a resolve or another transfer gets 409, never half of both."""
    target = get_agent(session, merchant_id, to_agent_id)
    if target is None:
        raise NotFound(f"no agent {to_agent_id!r} for this merchant")
    if target.id == agent.id:
        raise ValueError("the ticket is already yours: pick a colleague")
    note = note.strip()
    target = _lock_agent(session, target.id)
    try:
        ticket = _held_ticket(
            session, merchant_id, ticket_id, agent,
            {"agent_id": target.id, "transferred_by": agent.id, "transfer_note": note or None}, also=(_has_room(target.id),),
        )
    except TicketConflict:
        ticket = get_ticket(session, merchant_id, ticket_id)
        if ticket.status == TICKET_CLAIMED and ticket.agent_id == agent.id:
            raise TicketConflict(_why_no_room(session, target, own=False) or f"ticket {ticket_id} could not be transferred; retry") from None
        raise
    record_event(
        session, merchant_id, "ticket_transferred", conversation_id=ticket.conversation_id, agent_id=agent.id,
        data={"ticket_id": ticket.id, "to": target.id},
    )
    return ticket


def _held_ticket(
    session: Session, merchant_id: str, ticket_id: int, agent: Agent, values: dict | None = None, also: tuple = ()
) -> HandoffTicket:
    """The ticket ``agent`` holds, locked for this transaction (or moved on by ``values``)."""
    return _transition(session, merchant_id, ticket_id, expect=TICKET_CLAIMED, holder=agent.id, values=values, also=also)


# A reply started from a suggestion keeps at least this share of the suggestion's text;
# below it the agent wrote their own reply over the inserted one.
SUGGESTION_KEPT = 0.5


def _suggestion_use(ticket: HandoffTicket, suggestion_id: int | None, text: str) -> dict:
    """Whether the reply was a suggested reply sent unchanged or edited (adoption,
    handoff/metrics.py). ``suggestion_id`` is the suggestion's ``chunk`` in the ticket."""
    if suggestion_id is None:
        return {"suggestion": None, "from_suggestion": False, "edited": False}
    suggested = next((s["text"] for s in ticket.suggestions or [] if s.get("chunk") == suggestion_id), None)
    if suggested is None:
        raise ValueError(f"ticket {ticket.id} has no suggested reply {suggestion_id}")
    suggested = suggested.strip()
    kept = sum(b.size for b in SequenceMatcher(None, suggested, text, autojunk=False).get_matching_blocks())
    used = kept >= SUGGESTION_KEPT * len(suggested)
    return {"suggestion": suggestion_id, "from_suggestion": used, "edited": used and text != suggested}


def agent_reply(
    session: Session, merchant_id: str, ticket_id: int, agent: Agent, text: str, *, suggestion_id: int | None = None
) -> Message:
    """Send the agent's reply; ``suggestion_id``: the suggested reply the console inserted
    into the reply box (recorded for the adoption figures)."""
    text = text.strip()
    if not text:
        raise ValueError("the message is empty")
    ticket = _held_ticket(session, merchant_id, ticket_id, agent)
    use = _suggestion_use(ticket, suggestion_id, text)
    conversation = session.get(Conversation, ticket.conversation_id)
    message = add_message(session, conversation, "agent", text, agent_id=agent.id, data={"agent_name": agent.name})
    conversation.agent_typing_at = None
    mark_responded(session, conversation, agent_id=agent.id, since=ticket.claimed_at)
    record_event(
        session, merchant_id, "agent_replied", conversation_id=conversation.id, agent_id=agent.id,
        data={"message_id": message.id, "ticket_id": ticket.id, **use},
    )
    return message


def resolve(session: Session, merchant_id: str, ticket_id: int, agent: Agent) -> HandoffTicket:
    now = utcnow()
    ticket = _held_ticket(session, merchant_id, ticket_id, agent, {"status": TICKET_RESOLVED, "closed_at": now})
    conversation = session.get(Conversation, ticket.conversation_id)
    conversation.owner = OWNER_CLOSED
    _notify(session, conversation, RESOLVED, {"event": "resolved"})
    record_event(
        session, merchant_id, "ticket_resolved", conversation_id=conversation.id, agent_id=agent.id,
        value=(now - ticket.claimed_at).total_seconds(), data={"ticket_id": ticket.id},
    )
    from knowledge.loop import draft_from_ticket  # the knowledge loop: a gap's answer becomes a draft FAQ

    draft_from_ticket(session, ticket)
    return ticket


def hand_back(
    session: Session, merchant_id: str, ticket_id: int, agent: Agent | None, *, reason: str = "agent"
) -> HandoffTicket:
    """Return the conversation to the bot: by the holding agent, or (agent=None) by the
    queue timeout on a ticket nobody claimed."""
    closing = {"status": TICKET_HANDED_BACK, "closed_at": utcnow()}
    if agent is not None:
        ticket = _held_ticket(session, merchant_id, ticket_id, agent, closing)
    else:
        ticket = _transition(session, merchant_id, ticket_id, expect=TICKET_QUEUED, values=closing)
    conversation = session.get(Conversation, ticket.conversation_id)
    conversation.owner = OWNER_BOT
    conversation.low_confidence_streak = 0
    if agent is not None:  # a timeout apologises in the bot's next reply instead
        _notify(session, conversation, HANDED_BACK, {"event": "handed_back"})
    record_event(
        session, merchant_id, "handed_back", conversation_id=conversation.id,
        agent_id=agent.id if agent else None, data={"ticket_id": ticket.id, "reason": reason},
    )
    return ticket


def _notify(session: Session, conversation: Conversation, texts: dict[str, str], event: dict) -> None:
    """Tell the shopper the conversation changed hands (pushed like an agent's message);
    ``event`` lets the widget react (show the agent's name, ask for a rating)."""
    add_message(session, conversation, "system", texts.get(conversation.lang, texts["en"]), data=event)


# ----------------------------------------------------------------------------- typing

TYPING_SECONDS = 6.0  # a typing mark older than this has lapsed


def is_typing(mark) -> bool:
    return mark is not None and (utcnow() - mark).total_seconds() < TYPING_SECONDS


def shopper_typing(session: Session, merchant_id: str, conversation_id: str) -> None:
    """The shopper is typing (their widget says so every few seconds while they do)."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is not None and conversation.merchant_id == merchant_id:
        conversation.shopper_typing_at = utcnow()


def agent_typing(session: Session, merchant_id: str, ticket_id: int, agent: Agent) -> None:
    """The holding agent is typing: marked, and the shopper's socket woken to say so."""
    ticket = _held_ticket(session, merchant_id, ticket_id, agent)
    session.get(Conversation, ticket.conversation_id).agent_typing_at = utcnow()
    publish_after_commit(session, ticket.conversation_id)


def expire_if_stale(session: Session, ticket: HandoffTicket, timeout_minutes: float) -> bool:
    """Hand an unclaimed ticket back once it has waited longer than the merchant allows."""
    if ticket.status != TICKET_QUEUED or utcnow() - ticket.created_at < timedelta(minutes=timeout_minutes):
        return False
    try:
        hand_back(session, ticket.merchant_id, ticket.id, None, reason="queue_timeout")
    except TicketConflict:  # an agent claimed it since it was read: theirs, not expired
        return False
    return True


def reopen_if_closed(conversation: Conversation) -> bool:
    """A shopper writing into a resolved conversation talks to the bot again."""
    if conversation.owner == OWNER_CLOSED:
        conversation.owner = OWNER_BOT
        conversation.low_confidence_streak = 0
        return True
    return False


def transcript(session: Session, conversation_id: str) -> list[Message]:
    from bot.conversations import history

    return history(session, conversation_id)


def summarise_with_llm(merchant_id: str, ticket_id: int, settings) -> None:
    """Replace a ticket's assembled summary with the LLM's, when one is configured.
    Runs outside any write transaction (the call can take seconds); on any failure the
    assembled summary stays."""
    from handoff.summary import llm_summary
    from xiaoer.db import session_scope

    with session_scope() as session:
        ticket = get_ticket(session, merchant_id, ticket_id)
        messages = transcript(session, ticket.conversation_id)
        lang = session.get(Conversation, ticket.conversation_id).lang
        fallback = ticket.summary
    summary = llm_summary(settings, messages, lang, fallback)
    if summary != fallback:
        with session_scope() as session:
            get_ticket(session, merchant_id, ticket_id).summary = summary
