"""The merchant's side of the agent console: canned replies (CRUD) and each agent's
concurrent-chat limit."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import MerchantDep, SessionDep
from api.routes.agents import AgentStatus, CannedReplyOut, status_of
from handoff import canned
from handoff import service as desk
from handoff.canned import MAX_TEXT
from handoff.service import MAX_CHATS_CEILING

router = APIRouter(prefix="/v1/merchants/{merchant_id}", tags=["merchants"])


class CannedReplyIn(BaseModel):
    shortcut: str = Field(min_length=1, max_length=33, description="Typed after '/' in the console's reply box.")
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class AgentSettings(BaseModel):
    max_chats: int = Field(ge=1, le=MAX_CHATS_CEILING, description="The most conversations the agent may hold at once.")


def _out(reply) -> CannedReplyOut:
    return CannedReplyOut.model_validate(reply, from_attributes=True)


@router.get("/canned-replies", response_model=list[CannedReplyOut])
def list_canned(merchant_id: MerchantDep, session: SessionDep) -> list[CannedReplyOut]:
    return [_out(r) for r in canned.list_replies(session, merchant_id)]


@router.post("/canned-replies", status_code=201, response_model=CannedReplyOut)
def create_canned(merchant_id: MerchantDep, session: SessionDep, body: CannedReplyIn) -> CannedReplyOut:
    """409 if the shortcut is taken."""
    return _out(canned.create_reply(session, merchant_id, body.shortcut, body.text))


@router.put("/canned-replies/{reply_id}", response_model=CannedReplyOut)
def update_canned(merchant_id: MerchantDep, reply_id: int, session: SessionDep, body: CannedReplyIn) -> CannedReplyOut:
    return _out(canned.update_reply(session, merchant_id, reply_id, body.shortcut, body.text))


@router.delete("/canned-replies/{reply_id}", status_code=204)
def delete_canned(merchant_id: MerchantDep, reply_id: int, session: SessionDep) -> None:
    canned.delete_reply(session, merchant_id, reply_id)


@router.patch("/agents/{agent_id}", response_model=AgentStatus)
def agent_settings(merchant_id: MerchantDep, agent_id: str, session: SessionDep, body: AgentSettings) -> AgentStatus:
    """Set the agent's concurrent-chat limit (default 5): a claim beyond it is refused."""
    return status_of(session, desk.set_chat_limit(session, merchant_id, agent_id, body.max_chats))
