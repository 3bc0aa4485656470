"""Merchant administration: create (admin token), knowledge, recovery policy, orders,
agents, metrics and knowledge gaps (merchant key)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Body, File, HTTPException, Query, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api.deps import AdminDep, AssistantDep, MerchantDep, SessionDep, SettingsDep
from bot.orders import parse_orders, upsert_orders
from bot.recovery import RecoveryPolicy, load_policy, parse_policy, save_policy
from handoff.gaps import KnowledgeGap, knowledge_gaps
from handoff.metrics import MerchantMetrics, merchant_metrics
from handoff.models import Agent
from handoff.qa import QaReport, QaRules, load_rules, merchant_qa, parse_rules, save_rules
from handoff.service import create_agent
from knowledge import repository
from knowledge.loop import recheck_gaps
from knowledge.models import MerchantKey
from knowledge.service import DocumentInfo, IngestedFile
from xiaoer.db import utcnow
from xiaoer.keys import hash_key, new_key

router = APIRouter(prefix="/v1/merchants", tags=["merchants"])

_MERCHANT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class MerchantCreate(BaseModel):
    id: str = Field(pattern=_MERCHANT_ID.pattern, description="Letters, digits, '-' and '_'.")
    name: str = Field(min_length=1, max_length=200)


class MerchantCreated(BaseModel):
    id: str
    name: str
    api_key: str = Field(description="Shown once; only its hash is stored.")


class AgentCreate(BaseModel):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    name: str = Field(min_length=1, max_length=100)


class AgentCreated(BaseModel):
    id: str
    name: str
    api_key: str


class AgentInfo(BaseModel):
    id: str
    name: str


class MerchantProfile(BaseModel):
    id: str
    name: str
    created_at: datetime
    agents: list[AgentInfo]


class UploadReport(BaseModel):
    files: list[IngestedFile]
    closed_gaps: list[str] = Field(default=[], description="Gap questions the new knowledge answers.")


class OrdersImported(BaseModel):
    imported: int


@router.post("", status_code=201, response_model=MerchantCreated)
def create_merchant(body: MerchantCreate, _admin: AdminDep, session: SessionDep) -> MerchantCreated:
    if repository.get_merchant(session, body.id) is not None:
        raise HTTPException(409, f"merchant {body.id!r} already exists")
    repository.get_or_create_merchant(session, body.id, body.name)
    key = new_key("xk")
    session.add(MerchantKey(key_hash=hash_key(key), merchant_id=body.id))
    return MerchantCreated(id=body.id, name=body.name, api_key=key)


@router.get("/{merchant_id}", response_model=MerchantProfile)
def get_merchant(merchant_id: MerchantDep, session: SessionDep) -> MerchantProfile:
    """The shop's name and its agents (the dashboard's sign-in check)."""
    merchant = repository.get_merchant(session, merchant_id)
    if merchant is None:  # a key outlived its merchant
        raise HTTPException(404, f"unknown merchant {merchant_id!r}")
    agents = session.scalars(select(Agent).where(Agent.merchant_id == merchant_id).order_by(Agent.id))
    return MerchantProfile(
        id=merchant.id, name=merchant.name, created_at=merchant.created_at,
        agents=[AgentInfo(id=a.id, name=a.name) for a in agents],
    )


@router.get("/{merchant_id}/documents", response_model=list[DocumentInfo])
def list_documents(merchant_id: MerchantDep, assistant: AssistantDep) -> list[DocumentInfo]:
    return assistant.knowledge.list_documents(merchant_id)


@router.post("/{merchant_id}/documents", status_code=201, response_model=UploadReport)
async def upload_documents(
    merchant_id: MerchantDep,
    assistant: AssistantDep,
    settings: SettingsDep,
    files: Annotated[list[UploadFile], File(description="FAQ .csv, .md/.txt, catalog .json/.csv, .pdf")],
) -> UploadReport:
    """All files are validated before any is stored: one bad file changes nothing."""
    batch = []
    for upload in files:
        raw = await upload.read(settings.max_upload_bytes + 1)
        if len(raw) > settings.max_upload_bytes:
            raise HTTPException(413, f"{upload.filename}: over the upload limit of {settings.max_upload_bytes:,} bytes; nothing was ingested")
        batch.append((upload.filename or "upload", raw))
    # Parsing and embedding take seconds: off the event loop, so chats and sockets carry on.
    report = await run_in_threadpool(assistant.knowledge.ingest_files, merchant_id, batch)
    closed = await run_in_threadpool(recheck_gaps, assistant, merchant_id) if any(f.status != "unchanged" for f in report.files) else []
    return UploadReport(files=report.files, closed_gaps=closed)


@router.delete("/{merchant_id}/documents/{document}", status_code=204)
def delete_document(merchant_id: MerchantDep, document: str, assistant: AssistantDep) -> None:
    if not assistant.knowledge.delete_document(merchant_id, document):
        raise HTTPException(404, f"no document {document!r}")


@router.get("/{merchant_id}/policy", response_model=RecoveryPolicy)
def get_policy(merchant_id: MerchantDep, session: SessionDep) -> RecoveryPolicy:
    return load_policy(session, merchant_id)


@router.put("/{merchant_id}/policy", response_model=RecoveryPolicy)
def put_policy(merchant_id: MerchantDep, session: SessionDep, body: Annotated[dict, Body()]) -> RecoveryPolicy:
    policy = parse_policy(body)  # PolicyError → 422 with every problem named
    save_policy(session, merchant_id, policy)
    return policy


@router.post("/{merchant_id}/orders", response_model=OrdersImported)
async def import_orders(merchant_id: MerchantDep, session: SessionDep, settings: SettingsDep, file: UploadFile) -> OrdersImported:
    raw = await file.read(settings.max_upload_bytes + 1)
    if len(raw) > settings.max_upload_bytes:
        raise HTTPException(413, f"{file.filename}: over the upload limit of {settings.max_upload_bytes:,} bytes")
    records = parse_orders(file.filename or "orders.json", raw)
    return OrdersImported(imported=upsert_orders(session, merchant_id, records))


@router.post("/{merchant_id}/agents", status_code=201, response_model=AgentCreated)
def add_agent(merchant_id: MerchantDep, session: SessionDep, body: AgentCreate) -> AgentCreated:
    try:
        agent, key = create_agent(session, merchant_id, body.id, body.name)
    except ValueError as exc:
        raise HTTPException(409 if "exists" in str(exc) else 422, str(exc)) from None
    return AgentCreated(id=agent.id, name=agent.name, api_key=key)


@router.get("/{merchant_id}/metrics", response_model=MerchantMetrics)
def get_metrics(merchant_id: MerchantDep, days: Annotated[int, Query(ge=1, le=366)] = 30) -> MerchantMetrics:
    now = utcnow()
    return merchant_metrics(merchant_id, since=now - timedelta(days=days), now=now)


@router.get("/{merchant_id}/qa-rules", response_model=QaRules)
def get_qa_rules(merchant_id: MerchantDep, session: SessionDep) -> QaRules:
    return load_rules(session, merchant_id)


@router.put("/{merchant_id}/qa-rules", response_model=QaRules)
def put_qa_rules(merchant_id: MerchantDep, session: SessionDep, body: Annotated[dict, Body()]) -> QaRules:
    """Any subset of the rules; what is left out keeps its current value (QaRulesError → 422)."""
    rules = parse_rules(body, load_rules(session, merchant_id))
    save_rules(session, merchant_id, rules)
    return rules


@router.get("/{merchant_id}/qa", response_model=QaReport)
def get_qa(merchant_id: MerchantDep, days: Annotated[int, Query(ge=1, le=366)] = 30) -> QaReport:
    """Per-agent quality-inspection scores and flagged messages for tickets of the last ``days`` days."""
    return merchant_qa(merchant_id, since=utcnow() - timedelta(days=days))


@router.get("/{merchant_id}/gaps", response_model=list[KnowledgeGap])
def get_gaps(
    merchant_id: MerchantDep,
    assistant: AssistantDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[KnowledgeGap]:
    now = utcnow()
    return knowledge_gaps(merchant_id, assistant.retriever.embedder, since=now - timedelta(days=days), until=now, limit=limit)
