"""The knowledge loop (merchant key): answer a gap, list / approve / reject the draft FAQs
agents' replies left behind (knowledge/loop.py)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.deps import AssistantDep, MerchantDep, SessionDep
from knowledge import loop
from knowledge.loop import MAX_ANSWER_CHARS, MAX_QUESTION_CHARS, DraftNotFound, FaqEdit, LearnedFaqOut, LoopResult

router = APIRouter(prefix="/v1/merchants", tags=["knowledge loop"])


class DraftEdit(BaseModel):
    """Omitted fields keep the draft's text."""

    question: str | None = Field(default=None, min_length=1, max_length=MAX_QUESTION_CHARS)
    answer: str | None = Field(default=None, min_length=1, max_length=MAX_ANSWER_CHARS)


@router.post("/{merchant_id}/gaps/answer", status_code=201, response_model=LoopResult)
async def answer_gap(merchant_id: MerchantDep, assistant: AssistantDep, body: FaqEdit) -> LoopResult:
    """Teach the bot the answer to a gap question: stored, ingested, open gaps re-checked."""
    return await run_in_threadpool(loop.add_answer, assistant, merchant_id, body.question, body.answer)


@router.get("/{merchant_id}/drafts", response_model=list[LearnedFaqOut])
def list_drafts(merchant_id: MerchantDep, session: SessionDep) -> list[LearnedFaqOut]:
    return loop.list_drafts(session, merchant_id)


@router.post("/{merchant_id}/drafts/{draft_id}/approve", response_model=LoopResult)
async def approve_draft(merchant_id: MerchantDep, assistant: AssistantDep, draft_id: int, body: DraftEdit | None = None) -> LoopResult:
    body = body or DraftEdit()
    try:
        return await run_in_threadpool(loop.approve_draft, assistant, merchant_id, draft_id, body.question, body.answer)
    except DraftNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/{merchant_id}/drafts/{draft_id}/reject", status_code=204)
def reject_draft(merchant_id: MerchantDep, session: SessionDep, draft_id: int) -> None:
    try:
        loop.reject_draft(session, merchant_id, draft_id)
    except DraftNotFound as exc:
        raise HTTPException(404, str(exc)) from None
