"""The knowledge loop: from "the bot didn't know" to "now it does".

- **Add answer:** the merchant writes the answer to a knowledge gap; it is stored approved.
- **Drafts:** when an agent resolves a ticket whose conversation began as a gap, the gap
  question and the agent's replies (PII masked) become a draft FAQ; the merchant edits and
  approves it, or rejects it (the draft is deleted).
- Approved rows are one FAQ document per merchant (``LEARNED_DOCUMENT``), rebuilt from SQL
  and re-ingested through KnowledgeService after each change, so it is searched like any
  uploaded FAQ and replacing it is atomic.
- **Gaps close** when the knowledge answers them: after each ingest every open gap phrasing
  is asked again (``ShopAssistant.answer`` without the LLM) and the ones answered at the
  answer threshold (no handoff) are closed.
"""

from __future__ import annotations

import csv
import io
import threading
from collections import defaultdict
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Message, MetricEvent
from bot.recovery import load_policy
from handoff.gaps import close_gaps, open_gap_questions
from handoff.models import HandoffTicket
from knowledge.models import LearnedFaq
from xiaoer.db import session_scope, utcnow
from xiaoer.lang import detect_language
from xiaoer.privacy import mask_pii

LEARNED_DOCUMENT = "answers_from_gaps.csv"
DRAFT, APPROVED = "draft", "approved"
# Gaps older than this are not re-asked after an upload (the dashboard shows at most a year).
RECHECK_DAYS = 366
MAX_QUESTION_CHARS = 500
MAX_ANSWER_CHARS = 2000
# One learning at a time per merchant in this process: two approvals at once would each
# rebuild the document without the other's row.
_learning: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)


class DraftNotFound(LookupError):
    pass


class FaqEdit(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    answer: str = Field(min_length=1, max_length=MAX_ANSWER_CHARS)


class LearnedFaqOut(BaseModel):
    id: int
    question: str
    answer: str
    status: str
    source: str
    conversation_id: str | None
    agent_id: str | None
    created_at: datetime


class LoopResult(BaseModel):
    faq: LearnedFaqOut
    closed_gaps: list[str]  # the gap phrasings the new knowledge now answers


def _out(row: LearnedFaq) -> LearnedFaqOut:
    return LearnedFaqOut.model_validate(row, from_attributes=True)


def _clean(question: str, answer: str) -> tuple[str, str]:
    question, answer = question.strip(), answer.strip()
    if not question or not answer:
        raise ValueError("both the question and the answer are needed")
    return question, answer


# --- drafts from resolved tickets --------------------------------------------------------


def draft_from_ticket(session: Session, ticket: HandoffTicket) -> LearnedFaq | None:
    """A draft FAQ from a resolved ticket whose conversation began as a gap: the first
    unanswered question and the resolving agent's replies, PII masked. None when the
    conversation was no gap, already left a draft (a second ticket) or the agent wrote
    nothing."""
    if session.scalar(select(LearnedFaq.id).where(LearnedFaq.conversation_id == ticket.conversation_id).limit(1)):
        return None
    question = session.scalar(
        select(MetricEvent.data)
        .where(MetricEvent.conversation_id == ticket.conversation_id, MetricEvent.kind == "unanswered")
        .order_by(MetricEvent.created_at, MetricEvent.id)
        .limit(1)
    )
    question = str((question or {}).get("question") or "").strip()
    replies = session.scalars(
        select(Message.text)
        .where(
            Message.conversation_id == ticket.conversation_id, Message.role == "agent",
            Message.agent_id == ticket.agent_id, Message.created_at >= ticket.claimed_at,
        )
        .order_by(Message.created_at, Message.id)
    ).all()
    answer = "\n".join(r.strip() for r in replies if r.strip())
    if not question or not answer:
        return None
    draft = LearnedFaq(
        merchant_id=ticket.merchant_id, question=mask_pii(question)[:MAX_QUESTION_CHARS],
        answer=mask_pii(answer)[:MAX_ANSWER_CHARS], status=DRAFT, source="agent",
        conversation_id=ticket.conversation_id, agent_id=ticket.agent_id,
    )
    session.add(draft)
    return draft


def list_drafts(session: Session, merchant_id: str) -> list[LearnedFaqOut]:
    rows = session.scalars(
        select(LearnedFaq).where(LearnedFaq.merchant_id == merchant_id, LearnedFaq.status == DRAFT).order_by(LearnedFaq.id)
    )
    return [_out(r) for r in rows]


def _draft(session: Session, merchant_id: str, draft_id: int) -> LearnedFaq:
    row = session.get(LearnedFaq, draft_id)
    if row is None or row.merchant_id != merchant_id or row.status != DRAFT:
        raise DraftNotFound(f"no draft {draft_id} for this merchant")
    return row


def reject_draft(session: Session, merchant_id: str, draft_id: int) -> None:
    session.delete(_draft(session, merchant_id, draft_id))


# --- approving: into the knowledge base ---------------------------------------------------


def learned_csv(rows: list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["question", "answer"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _approved_rows(merchant_id: str) -> list[tuple[str, str]]:
    with session_scope() as session:
        rows = session.execute(
            select(LearnedFaq.question, LearnedFaq.answer)
            .where(LearnedFaq.merchant_id == merchant_id, LearnedFaq.status == APPROVED)
            .order_by(LearnedFaq.id)
        )
        return [tuple(r) for r in rows]


def _learn(assistant, merchant_id: str, store) -> LoopResult:
    """Ingest the learned FAQ with one more row, then store that row (``store(session)``
    returns it, approved). Ingest first: if it fails, nothing is approved."""
    with _learning[merchant_id]:
        with session_scope() as session:
            row = store(session)
            pending = (row.question, row.answer)
            session.rollback()  # only validated here; stored after the ingest succeeds
        assistant.knowledge.ingest_files(merchant_id, [(LEARNED_DOCUMENT, learned_csv(_approved_rows(merchant_id) + [pending]))])
        with session_scope() as session:
            faq = _out(store(session))
    return LoopResult(faq=faq, closed_gaps=recheck_gaps(assistant, merchant_id))


def add_answer(assistant, merchant_id: str, question: str, answer: str) -> LoopResult:
    """The merchant's own answer to a gap question, approved and ingested at once."""
    question, answer = _clean(question, answer)

    def store(session: Session) -> LearnedFaq:
        row = LearnedFaq(
            merchant_id=merchant_id, question=question, answer=answer, status=APPROVED, source="merchant",
            approved_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return row

    return _learn(assistant, merchant_id, store)


def approve_draft(assistant, merchant_id: str, draft_id: int, question: str | None = None, answer: str | None = None) -> LoopResult:
    """Approve a draft, with the merchant's edits if given, and ingest it."""

    def store(session: Session) -> LearnedFaq:
        row = _draft(session, merchant_id, draft_id)
        row.question, row.answer = _clean(question if question is not None else row.question, answer if answer is not None else row.answer)
        row.status, row.approved_at = APPROVED, utcnow()
        session.flush()
        return row

    return _learn(assistant, merchant_id, store)


# --- closing gaps -------------------------------------------------------------------------


def recheck_gaps(assistant, merchant_id: str) -> list[str]:
    """Ask every open gap phrasing again; close (and return) those now answered."""
    with session_scope() as session:
        questions = open_gap_questions(session, merchant_id, since=utcnow() - timedelta(days=RECHECK_DAYS))
        threshold = load_policy(session, merchant_id).answer_threshold  # as sure as a shopper's turn must be
    answered = [
        q for q in questions if not assistant.answer(merchant_id, q, detect_language(q), use_llm=False, threshold=threshold).handoff
    ]
    if answered:
        with session_scope() as session:
            close_gaps(session, merchant_id, answered)
    return answered
