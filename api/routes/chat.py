"""Shopper endpoints: one turn, offer buttons, rating, and the transcript (for agent
messages that arrive while a person holds the conversation)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.deps import AssistantDep, SessionDep
from api.ratelimit import enforce
from bot import replies
from bot.conversations import get_conversation
from bot.events import record_event
from bot.models import Message
from bot.recovery import load_policy
from bot.turn import TurnRequest, TurnResult
from knowledge import repository

router = APIRouter(tags=["shoppers"])


class OfferDecision(BaseModel):
    merchant_id: str
    decision: Literal["accept", "decline"]


class Rating(BaseModel):
    merchant_id: str
    rating: int = Field(ge=1, le=5, description="1 (bad) to 5 (excellent).")


class MessageOut(BaseModel):
    id: int
    role: str
    text: str
    agent_id: str | None = None
    data: dict | None = None
    created_at: datetime


class Greeting(BaseModel):
    shop_name: str
    lang: Literal["zh", "en"]
    greeting: str
    suggestions: list[str]


@router.get("/v1/merchants/{merchant_id}/greeting", response_model=Greeting)
def greeting(merchant_id: str, session: SessionDep, assistant: AssistantDep, lang: Literal["zh", "en"] = "zh") -> Greeting:
    """The widget's greeting and suggestion chips, in the shop's own words: its name, the
    topics of its category preset, and the chips its policy sets, else the preset's chips
    that its knowledge answers (bot/greeting.py). No key: the widget shows it to anyone."""
    merchant = repository.get_merchant(session, merchant_id)
    if merchant is None:
        raise HTTPException(404, f"unknown merchant {merchant_id!r}")
    policy = load_policy(session, merchant_id)
    suggestions = policy.greeting_suggestions(lang)
    if not policy.suggestions.get(lang):  # the merchant's own chips are theirs to choose
        version = repository.kb_version(session, merchant_id)
        suggestions = assistant.chips.answerable(merchant_id, version, suggestions, lang, policy.answer_threshold)
    return Greeting(
        shop_name=merchant.name, lang=lang, greeting=replies.welcome_text(policy, merchant.name, lang), suggestions=suggestions,
    )


@router.post("/v1/chat", response_model=TurnResult)
def chat(request: TurnRequest, assistant: AssistantDep, http: Request) -> TurnResult:
    """One shopper message in, the bot's decision out (an empty reply while a person holds
    the conversation: their messages arrive through the transcript or the WebSocket).
    Rate-limited per client IP and per conversation (429 with Retry-After).

    The message is stored without control characters (NUL, escapes, bidi overrides) and
    trimmed; then a blank one, one over the schema's maxLength or one that is not Unicode text
    is a 422 that changes nothing. A body over 1 MiB is a 413."""
    enforce(http, request.conversation_id)
    return assistant.handle(request)


@router.post("/v1/conversations/{conversation_id}/offer", response_model=TurnResult)
def decide_offer(
    conversation_id: str, body: OfferDecision, assistant: AssistantDep, session: SessionDep, http: Request
) -> TurnResult:
    """The quick-reply buttons: accept or decline the pending offer."""
    enforce(http, conversation_id)
    conversation = get_conversation(session, body.merchant_id, conversation_id)
    if conversation is None:
        raise HTTPException(404, f"unknown conversation {conversation_id!r}")
    table = replies.QUICK_ACCEPT if body.decision == "accept" else replies.QUICK_DECLINE
    return assistant.handle(
        TurnRequest(
            merchant_id=body.merchant_id,
            conversation_id=conversation_id,
            message=table.get(conversation.lang, table["en"]),
            action="accept_offer" if body.decision == "accept" else "decline_offer",
        )
    )


@router.post("/v1/conversations/{conversation_id}/rating", status_code=204)
def rate(conversation_id: str, body: Rating, session: SessionDep, http: Request) -> None:
    enforce(http, conversation_id)
    conversation = get_conversation(session, body.merchant_id, conversation_id)
    if conversation is None:
        raise HTTPException(404, f"unknown conversation {conversation_id!r}")
    conversation.rating = body.rating
    record_event(session, body.merchant_id, "rating", conversation_id=conversation_id, value=float(body.rating))


@router.get("/v1/conversations/{conversation_id}/messages", response_model=list[MessageOut])
def transcript(
    conversation_id: str,
    session: SessionDep,
    merchant_id: Annotated[str, Query()],
    after: Annotated[int, Query(ge=0, description="Only messages with a larger id.")] = 0,
) -> list[MessageOut]:
    if get_conversation(session, merchant_id, conversation_id) is None:
        raise HTTPException(404, f"unknown conversation {conversation_id!r}")
    rows = session.scalars(
        select(Message).where(Message.conversation_id == conversation_id, Message.id > after).order_by(Message.id)
    )
    return [MessageOut.model_validate(m, from_attributes=True) for m in rows]
