"""The shopper's live channel: a WebSocket that streams the bot's reply piece by piece and
pushes messages from a human agent as they are written.

Protocol (JSON text frames)::

    → {"type": "message", "message": "...", "order_id"?, "action"?, "refund_reason"?, "page"?}
    ← {"type": "token", "text": "..."}                     (the reply as an LLM writes it, or
                                                           the computed reply in small pieces)
    ← {"type": "result", "result": {TurnResult}}           (the whole turn, after the pieces)
    → {"type": "typing"}                                   (the shopper is typing: send every few
                                                           seconds while they do; the agent's
                                                           console shows it)
    ← {"type": "agent_message", "message": {MessageOut}}  (a person wrote, or a notice with
                                                           role "system" and data.event "joined"
                                                           (data.agent_name), "resolved" or
                                                           "handed_back")
    ← {"type": "typing", "who": "agent"}                   (the agent is typing; lapses after a
                                                           few seconds or with their message)
    ← {"type": "error", "status": 4xx, "detail": "..."}   (the socket stays open; a 429 — too
                                                           many messages — also has "retry_after"
                                                           in seconds; a 422 is a message POST
                                                           /v1/chat refuses too; a 503 with
                                                           "retry_after": the database was
                                                           unavailable and the turn not saved)

A frame over 1 MiB closes the socket (1009, `xiaoer serve`'s ws_max_size).

Connect to ``/v1/ws/chat?merchant_id=M[&conversation_id=C]``; the first ``result`` carries
the conversation id to reconnect with. Agent messages are read from SQL when a Redis
notice says the conversation has a new one (``xiaoer.livebus``, any number of hosts),
with a slow catch-up poll besides; without Redis, by polling every ``POLL_SECONDS``.
A client that reconnects reads what it missed from the transcript
(``GET /v1/conversations/{id}/messages``) and gets only newer messages pushed.
"""

from __future__ import annotations

import asyncio
import random
import re
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool

from api.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from api.ratelimit import RateLimited, enforce
from api.routes.chat import MessageOut
from handoff import service as desk
from bot.conversations import ConversationNotFound, get_conversation
from bot.models import Message
from bot.turn import TurnRequest, UnknownMerchant
from knowledge import repository
from xiaoer.db import session_scope, utcnow
from xiaoer.livebus import PUSHED_ROLES

router = APIRouter(tags=["shoppers"])

TYPING_EVERY_SECONDS = 2.0  # a socket writes the shopper's typing mark at most this often
POLL_SECONDS = 0.5  # without Redis (or while it is away): how often a socket reads SQL
# With Redis a socket reads SQL when told to, and this often besides (spread out so that
# sockets opened together do not poll together), for a notice pub/sub may have dropped.
CATCH_UP_SECONDS = 30.0
_PIECE = re.compile(r"[\u4e00-\u9fff]{1,3}|\S+\s*|\s+")  # ~a token: 1-3 Chinese characters or one word


def pieces(text: str) -> list[str]:
    return _PIECE.findall(text)


# A message id is handed out when its row is inserted but seen when its transaction
# commits, so with two writers id 11 can be visible before id 10. A message older than
# this has no smaller id still uncommitted (a transaction here lasts well under a second;
# statements are cut at XIAOER_DB_STATEMENT_TIMEOUT).
SETTLE_SECONDS = 120.0


@dataclass
class PushCursor:
    """What one socket has pushed: every message above ``floor`` it sent is in ``sent``.
    An ``id > last sent`` cursor would skip a message whose id committed late; this one
    asks for everything above ``floor`` and pushes what it has not sent, moving ``floor``
    up only past messages older than :data:`SETTLE_SECONDS`."""

    floor: int = 0
    sent: set[int] = field(default_factory=set)

    def take(self, rows: list[MessageOut], now: datetime) -> list[MessageOut]:
        """The rows (all above ``floor``, by id) not pushed yet; they count as pushed now."""
        fresh = [m for m in rows if m.id not in self.sent]
        self.sent.update(m.id for m in fresh)
        settled = now - timedelta(seconds=SETTLE_SECONDS)
        for m in rows:
            if m.created_at > settled:
                break
            self.floor = m.id
        self.sent = {i for i in self.sent if i > self.floor}
        return fresh


@dataclass
class Look:
    """What one read of SQL found for a socket: new messages, and when the agent last typed."""

    messages: list[MessageOut]
    agent_typing_at: datetime | None = None


def _pushed_messages(merchant_id: str, conversation_id: str, above: int) -> Look:
    """The conversation's agent and system messages with an id above ``above``, by id."""
    with session_scope() as session:
        conversation = get_conversation(session, merchant_id, conversation_id)
        if conversation is None:
            return Look([])
        rows = session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.id > above, Message.role.in_(PUSHED_ROLES))
            .order_by(Message.id)
        )
        return Look([MessageOut.model_validate(m, from_attributes=True) for m in rows], conversation.agent_typing_at)


def _look(merchant_id: str, conversation_id: str, cursor: PushCursor) -> Look:
    found = _pushed_messages(merchant_id, conversation_id, cursor.floor)
    found.messages = cursor.take(found.messages, utcnow())
    return found


def _new_agent_messages(merchant_id: str, conversation_id: str, cursor: PushCursor) -> list[MessageOut]:
    return _look(merchant_id, conversation_id, cursor).messages


def _mark_shopper_typing(merchant_id: str, conversation_id: str) -> None:
    with session_scope() as session:
        desk.shopper_typing(session, merchant_id, conversation_id)


def _merchant_exists(merchant_id: str) -> bool:
    with session_scope() as session:
        return repository.get_merchant(session, merchant_id) is not None


@router.websocket("/v1/ws/chat")
async def chat_socket(
    websocket: WebSocket,
    merchant_id: Annotated[str, Query()],
    conversation_id: Annotated[str | None, Query()] = None,
) -> None:
    await websocket.accept()
    if not await run_in_threadpool(_merchant_exists, merchant_id):
        await websocket.send_json({"type": "error", "status": 404, "detail": f"unknown merchant {merchant_id!r}"})
        await websocket.close(code=4404)
        return
    # Built on first use (seconds of model loading): in a worker thread, not on the event loop.
    assistant = await run_in_threadpool(websocket.app.state.assistant)
    state = {"conversation": conversation_id}
    cursor = PushCursor()
    if conversation_id:
        # Earlier agent messages are in the transcript; push only new ones.
        await run_in_threadpool(_new_agent_messages, merchant_id, conversation_id, cursor)
    send_lock = asyncio.Lock()

    async def send(payload: dict) -> None:
        async with send_lock:
            await websocket.send_json(payload)

    bus = getattr(websocket.app.state, "live_bus", None)
    woken = asyncio.Event()
    watched: list[str] = []

    async def next_look() -> None:
        """Until it is time to read SQL again: a notice, the catch-up poll, or the short
        poll while there is no Redis subscription."""
        if bus is None or not bus.connected or not state["conversation"]:
            await asyncio.sleep(POLL_SECONDS)
            return
        if watched != [state["conversation"]]:
            for conversation in watched:
                bus.unwatch(conversation, woken)
            watched[:] = [state["conversation"]]
            bus.watch(state["conversation"], woken)
        try:
            await asyncio.wait_for(woken.wait(), CATCH_UP_SECONDS * random.uniform(0.8, 1.2))
        except asyncio.TimeoutError:
            pass
        woken.clear()

    async def push_agent_messages() -> None:
        typing_told = None  # the agent's typing mark last told to the shopper
        while True:
            await next_look()
            if not state["conversation"]:
                continue
            try:
                found = await run_in_threadpool(_look, merchant_id, state["conversation"], cursor)
            except (OperationalError, PoolTimeout):  # the database is away: poll again, do not end the task
                continue
            for message in found.messages:
                await send({"type": "agent_message", "message": message.model_dump(mode="json")})
            if found.agent_typing_at != typing_told and desk.is_typing(found.agent_typing_at):
                await send({"type": "typing", "who": "agent"})
            typing_told = found.agent_typing_at

    pusher = asyncio.create_task(push_agent_messages())
    typed_at = None
    try:
        while True:
            try:
                frame = await websocket.receive_json()
            except (ValueError, KeyError):
                await send({"type": "error", "status": 400, "detail": "frames must be JSON objects"})
                continue
            if isinstance(frame, dict) and frame.get("type") == "typing":
                # The widget sends one every few seconds while the shopper types; more are dropped.
                now = utcnow()
                if state["conversation"] and (typed_at is None or (now - typed_at).total_seconds() >= TYPING_EVERY_SECONDS):
                    typed_at = now
                    with suppress(OperationalError, PoolTimeout):
                        await run_in_threadpool(_mark_shopper_typing, merchant_id, state["conversation"])
                continue
            if not isinstance(frame, dict) or frame.get("type") != "message":
                await send({"type": "error", "status": 400, "detail": "expected {\"type\": \"message\", \"message\": ...}"})
                continue
            try:
                enforce(websocket, state["conversation"])
            except RateLimited as exc:
                await send({"type": "error", "status": 429, "detail": exc.detail, "retry_after": exc.retry_after})
                continue
            try:
                request = TurnRequest(
                    merchant_id=merchant_id,
                    conversation_id=state["conversation"],
                    **{k: v for k, v in frame.items() if k in ("message", "order_id", "action", "refund_reason", "quick_reply", "shopper_id", "shopper_hmac", "page")},
                )
            except ValidationError as exc:
                problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                await send({"type": "error", "status": 422, "detail": f"invalid message: {problems}"})
                continue
            loop = asyncio.get_running_loop()
            streamed: list[str] = []

            def on_token(text: str) -> None:  # called from the worker thread as the LLM writes
                streamed.append(text)
                asyncio.run_coroutine_threadsafe(send({"type": "token", "text": text}), loop)

            try:
                result = await run_in_threadpool(assistant.handle, request, on_token=on_token)
            except (ConversationNotFound, UnknownMerchant) as exc:
                await send({"type": "error", "status": 404, "detail": str(exc)})
                continue
            except OperationalError:
                await send({"type": "error", "status": 503, "detail": DATABASE_UNAVAILABLE, "retry_after": RETRY_AFTER_SECONDS})
                continue
            state["conversation"] = result.conversation_id
            if not streamed:  # no LLM (or it was not called): send the computed reply in pieces
                for piece in pieces(result.reply):
                    await send({"type": "token", "text": piece})
            await send({"type": "result", "result": result.model_dump(mode="json")})
    except WebSocketDisconnect:
        pass
    finally:
        pusher.cancel()
        for conversation in watched:
            bus.unwatch(conversation, woken)
