"""Agent endpoints: the merchant's queue, claim (one agent only, within their chat limit),
the conversation with its summary, suggested replies and the shopper's context, live
replies, resolve, hand back and transfer; the agent's presence, their colleagues and the
merchant's canned replies."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import AgentDep, SessionDep, SettingsDep
from api.routes.chat import MessageOut
from bot.models import Conversation
from bot.order_answers import OrderCard
from bot.order_turn import conversation_order
from bot.recovery import load_policy
from handoff import canned
from handoff import service as desk
from handoff.context import shopper_context
from handoff.models import PRESENCE_ONLINE, TICKET_QUEUED, Agent, HandoffTicket
from xiaoer.db import session_scope, utcnow

router = APIRouter(prefix="/v1/agent", tags=["agents"])


class TicketOut(BaseModel):
    id: int
    conversation_id: str
    reason: str
    status: str
    summary: str
    suggestions: list[dict] = []
    agent_id: str | None = None
    agent_name: str | None = Field(default=None, description="The holding agent's display name.")
    created_at: datetime
    claimed_at: datetime | None = None
    waiting_seconds: float
    transferred_by: str | None = Field(default=None, description="The agent who passed this ticket on, if any.")
    transferred_by_name: str | None = None
    transfer_note: str | None = Field(default=None, description="Their note for the agent now holding it.")


class PastConversationOut(BaseModel):
    conversation_id: str
    created_at: datetime
    messages: int
    first_message: str
    ticket_status: str | None = None


class ShopperContextOut(BaseModel):
    shopper_id: str | None = Field(default=None, description="Only when the merchant's page signed it (verified).")
    page_url: str | None = None
    lang: str
    past: list[PastConversationOut] = Field(default=[], description="The verified shopper's earlier conversations, newest first.")


class TicketDetail(TicketOut):
    messages: list[MessageOut]
    shopper_typing: bool = Field(default=False, description="The shopper is typing (as of the last few seconds).")
    order: OrderCard | None = None  # the conversation's order, with its logistics timeline
    shopper: ShopperContextOut


class AgentMessage(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    suggestion_id: int | None = Field(
        default=None,
        description="The suggested reply (its `chunk`) the agent inserted and maybe edited; counts toward adoption.",
    )


class AgentStatus(BaseModel):
    id: str
    name: str
    presence: str = Field(description="online | away: away agents are offered no tickets.")
    max_chats: int = Field(description="The most conversations this agent may hold at once.")
    chats: int = Field(description="Conversations the agent holds now.")


class Me(AgentStatus):
    merchant_id: str


class PresenceIn(BaseModel):
    presence: Literal["online", "away"]


class TransferIn(BaseModel):
    to_agent_id: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=1000)


class CannedReplyOut(BaseModel):
    id: int
    shortcut: str
    text: str


def _out(session, ticket: HandoffTicket) -> TicketOut:
    end = ticket.claimed_at or utcnow()
    holder = desk.get_agent(session, ticket.merchant_id, ticket.agent_id) if ticket.agent_id else None
    return TicketOut(
        id=ticket.id, conversation_id=ticket.conversation_id, reason=ticket.reason, status=ticket.status,
        summary=ticket.summary, suggestions=ticket.suggestions or [], agent_id=ticket.agent_id,
        agent_name=holder.name if holder else None,
        created_at=ticket.created_at, claimed_at=ticket.claimed_at,
        waiting_seconds=round((end - ticket.created_at).total_seconds(), 1),
        transferred_by=ticket.transferred_by, transfer_note=ticket.transfer_note,
        transferred_by_name=_name(session, ticket.merchant_id, ticket.transferred_by),
    )


def _name(session, merchant_id: str, agent_id: str | None) -> str | None:
    agent = desk.get_agent(session, merchant_id, agent_id) if agent_id else None
    return agent.name if agent else None


def _detail(session, ticket: HandoffTicket) -> TicketDetail:
    messages = [MessageOut.model_validate(m, from_attributes=True) for m in desk.transcript(session, ticket.conversation_id)]
    order = conversation_order(ticket.merchant_id, ticket.conversation_id)
    conversation = session.get(Conversation, ticket.conversation_id)
    context = shopper_context(session, conversation)
    shopper = ShopperContextOut.model_validate(context, from_attributes=True)
    typing = desk.is_typing(conversation.shopper_typing_at)
    return TicketDetail(**_out(session, ticket).model_dump(), messages=messages, order=order, shopper=shopper,
                        shopper_typing=typing)


def status_of(session, agent: Agent) -> AgentStatus:
    return AgentStatus(
        id=agent.id, name=agent.name, presence=agent.presence, max_chats=agent.max_chats, chats=desk.chats_held(session, agent.id)
    )


@router.get("/me", response_model=Me)
def me(agent: AgentDep, session: SessionDep) -> Me:
    return Me(**status_of(session, agent).model_dump(), merchant_id=agent.merchant_id)


@router.put("/me/presence", response_model=Me)
def presence(body: PresenceIn, agent: AgentDep, session: SessionDep) -> Me:
    """Online or away: an away agent keeps the chats they hold but is offered no new ones."""
    desk.set_presence(agent, body.presence)
    return Me(**status_of(session, agent).model_dump(), merchant_id=agent.merchant_id)


@router.get("/colleagues", response_model=list[AgentStatus])
def colleagues(agent: AgentDep, session: SessionDep) -> list[AgentStatus]:
    """The merchant's other agents, with presence and load (whom to transfer to)."""
    return [status_of(session, a) for a in desk.agents(session, agent.merchant_id) if a.id != agent.id]


@router.get("/canned-replies", response_model=list[CannedReplyOut])
def canned_replies(agent: AgentDep, session: SessionDep) -> list[CannedReplyOut]:
    return [CannedReplyOut.model_validate(r, from_attributes=True) for r in canned.list_replies(session, agent.merchant_id)]


@router.get("/queue", response_model=list[TicketOut])
def queue(agent: AgentDep, session: SessionDep) -> list[TicketOut]:
    """Open tickets of the agent's merchant, oldest first; stale unclaimed ones go back to
    the bot. An away agent is offered no waiting tickets (they still see the claimed ones)."""
    timeout = load_policy(session, agent.merchant_id).queue_timeout_minutes
    tickets = [t for t in desk.queue(session, agent.merchant_id) if not desk.expire_if_stale(session, t, timeout)]
    offered = agent.presence == PRESENCE_ONLINE
    return [_out(session, t) for t in tickets if offered or t.status != TICKET_QUEUED]


@router.post("/tickets/{ticket_id}/claim", response_model=TicketDetail)
def claim(ticket_id: int, agent: AgentDep, settings: SettingsDep) -> TicketDetail:
    """Claim (compare-and-set: 409 if someone was faster). With an LLM configured the
    summary is rewritten by the model once claimed, after the claim has committed. An away
    agent, or one already holding their ``max_chats``, gets 409 saying so."""
    with session_scope() as session:
        desk.claim(session, agent.merchant_id, ticket_id, agent)
    if settings.llm_enabled:
        desk.summarise_with_llm(agent.merchant_id, ticket_id, settings)
    with session_scope() as session:
        return _detail(session, desk.get_ticket(session, agent.merchant_id, ticket_id))


@router.get("/tickets/{ticket_id}", response_model=TicketDetail)
def ticket(ticket_id: int, agent: AgentDep, session: SessionDep) -> TicketDetail:
    return _detail(session, desk.get_ticket(session, agent.merchant_id, ticket_id))


@router.post("/tickets/{ticket_id}/messages", response_model=MessageOut, status_code=201)
def send(ticket_id: int, body: AgentMessage, agent: AgentDep, session: SessionDep) -> MessageOut:
    message = desk.agent_reply(session, agent.merchant_id, ticket_id, agent, body.text, suggestion_id=body.suggestion_id)
    return MessageOut.model_validate(message, from_attributes=True)


@router.post("/tickets/{ticket_id}/typing", status_code=204)
def typing(ticket_id: int, agent: AgentDep, session: SessionDep) -> None:
    """The agent is typing a reply to the ticket they hold: the shopper's widget shows it
    (send it every few seconds while they type)."""
    desk.agent_typing(session, agent.merchant_id, ticket_id, agent)


@router.post("/tickets/{ticket_id}/resolve", response_model=TicketOut)
def resolve(ticket_id: int, agent: AgentDep, session: SessionDep) -> TicketOut:
    return _out(session, desk.resolve(session, agent.merchant_id, ticket_id, agent))


@router.post("/tickets/{ticket_id}/hand-back", response_model=TicketOut)
def hand_back(ticket_id: int, agent: AgentDep, session: SessionDep) -> TicketOut:
    return _out(session, desk.hand_back(session, agent.merchant_id, ticket_id, agent))


@router.post("/tickets/{ticket_id}/transfer", response_model=TicketOut)
def transfer(ticket_id: int, body: TransferIn, agent: AgentDep, session: SessionDep) -> TicketOut:
    """Pass a ticket you hold to a colleague who is online and has room; they see the note.
    409 if the ticket is no longer yours or the colleague is away or full."""
    return _out(session, desk.transfer(session, agent.merchant_id, ticket_id, agent, body.to_agent_id, body.note))
