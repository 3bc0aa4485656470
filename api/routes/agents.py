"""Agent endpoints: the merchant's queue, claim (one agent only), the conversation with
its summary and suggested replies, live replies, resolve and hand back."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import AgentDep, SessionDep, SettingsDep
from api.routes.chat import MessageOut
from bot.order_answers import OrderCard
from bot.order_turn import conversation_order
from bot.recovery import load_policy
from handoff import service as desk
from handoff.models import HandoffTicket
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


class TicketDetail(TicketOut):
    messages: list[MessageOut]
    order: OrderCard | None = None  # the conversation's order, with its logistics timeline


class AgentMessage(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    suggestion_id: int | None = Field(
        default=None,
        description="The suggested reply (its `chunk`) the agent inserted and maybe edited; counts toward adoption.",
    )


class Me(BaseModel):
    id: str
    name: str
    merchant_id: str


def _out(session, ticket: HandoffTicket) -> TicketOut:
    end = ticket.claimed_at or utcnow()
    holder = desk.get_agent(session, ticket.merchant_id, ticket.agent_id) if ticket.agent_id else None
    return TicketOut(
        id=ticket.id, conversation_id=ticket.conversation_id, reason=ticket.reason, status=ticket.status,
        summary=ticket.summary, suggestions=ticket.suggestions or [], agent_id=ticket.agent_id,
        agent_name=holder.name if holder else None,
        created_at=ticket.created_at, claimed_at=ticket.claimed_at,
        waiting_seconds=round((end - ticket.created_at).total_seconds(), 1),
    )


def _detail(session, ticket: HandoffTicket) -> TicketDetail:
    messages = [MessageOut.model_validate(m, from_attributes=True) for m in desk.transcript(session, ticket.conversation_id)]
    order = conversation_order(ticket.merchant_id, ticket.conversation_id)
    return TicketDetail(**_out(session, ticket).model_dump(), messages=messages, order=order)


@router.get("/me", response_model=Me)
def me(agent: AgentDep) -> Me:
    return Me(id=agent.id, name=agent.name, merchant_id=agent.merchant_id)


@router.get("/queue", response_model=list[TicketOut])
def queue(agent: AgentDep, session: SessionDep) -> list[TicketOut]:
    """Open tickets of the agent's merchant, oldest first; stale unclaimed ones go back to the bot."""
    timeout = load_policy(session, agent.merchant_id).queue_timeout_minutes
    tickets = desk.queue(session, agent.merchant_id)
    return [_out(session, t) for t in tickets if not desk.expire_if_stale(session, t, timeout)]


@router.post("/tickets/{ticket_id}/claim", response_model=TicketDetail)
def claim(ticket_id: int, agent: AgentDep, settings: SettingsDep) -> TicketDetail:
    """Claim (compare-and-set: 409 if someone was faster). With an LLM configured the
    summary is rewritten by the model once claimed, after the claim has committed."""
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


@router.post("/tickets/{ticket_id}/resolve", response_model=TicketOut)
def resolve(ticket_id: int, agent: AgentDep, session: SessionDep) -> TicketOut:
    return _out(session, desk.resolve(session, agent.merchant_id, ticket_id, agent))


@router.post("/tickets/{ticket_id}/hand-back", response_model=TicketOut)
def hand_back(ticket_id: int, agent: AgentDep, session: SessionDep) -> TicketOut:
    return _out(session, desk.hand_back(session, agent.merchant_id, ticket_id, agent))
