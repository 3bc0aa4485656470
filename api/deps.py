"""Every dependency a router needs, as an ``Annotated`` alias; tests can swap them with
``app.dependency_overrides``.

Credentials: the admin token (``XIAOER_ADMIN_TOKEN``) creates merchants; a merchant key
(``X-Api-Key``) manages that merchant only; an agent key (``X-Agent-Key``) works that
merchant's queue only. Shoppers need no key: a conversation id is an unguessable token
and every lookup is filtered by merchant.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Request
from sqlalchemy.orm import Session

from bot.turn import ShopAssistant
from handoff.models import Agent
from handoff.service import agent_for_key
from knowledge.models import MerchantKey
from xiaoer.db import session_scope
from xiaoer.keys import hash_key, same_secret
from xiaoer.settings import Settings, get_settings


def get_assistant(request: Request) -> ShopAssistant:
    return request.app.state.assistant()


def get_session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


AssistantDep = Annotated[ShopAssistant, Depends(get_assistant)]
# scope="function": commit before the response goes out, so a 2xx means the change is stored
# (the default, "request", commits after sending: a failed commit would follow a 200).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def require_admin(settings: SettingsDep, authorization: Annotated[str | None, Header()] = None) -> None:
    if not settings.admin_token:
        raise HTTPException(403, "merchant creation is disabled: set XIAOER_ADMIN_TOKEN on the server")
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not given or not same_secret(given, settings.admin_token):
        raise HTTPException(401, "a valid admin token is required (Authorization: Bearer <XIAOER_ADMIN_TOKEN>)")


def require_merchant(
    session: SessionDep,
    merchant_id: Annotated[str, Path(description="Merchant id.")],
    x_api_key: Annotated[str | None, Header(description="The merchant's API key.")] = None,
) -> str:
    """The path's merchant, if the key is that merchant's. A key of another merchant gets
    the same 401 as a wrong key: nothing tells a caller which merchants exist."""
    if not x_api_key:
        raise HTTPException(401, "missing X-Api-Key header")
    row = session.get(MerchantKey, hash_key(x_api_key))
    if row is None or row.merchant_id != merchant_id:
        raise HTTPException(401, "invalid API key for this merchant")
    return merchant_id


def require_agent(session: SessionDep, x_agent_key: Annotated[str | None, Header(description="The agent's key.")] = None) -> Agent:
    if not x_agent_key:
        raise HTTPException(401, "missing X-Agent-Key header")
    agent = agent_for_key(session, x_agent_key)
    if agent is None:
        raise HTTPException(401, "invalid agent key")
    return agent


AdminDep = Annotated[None, Depends(require_admin)]
MerchantDep = Annotated[str, Depends(require_merchant)]
AgentDep = Annotated[Agent, Depends(require_agent)]
