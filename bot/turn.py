"""One turn of conversation as a readable pipeline:

    language → retrieve → answer (extractive, or LLM grounded on the same evidence) → result

Intent, recovery offers and escalation slot in between (see DESIGN.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bot.answer_types import Answer, Citation, Evidence
from bot.extractive import ExtractiveAnswerer
from knowledge import repository
from knowledge.service import KnowledgeService
from retrieval.retriever import HybridRetriever, RetrieverMode
from xiaoer.db import session_scope
from xiaoer.lang import detect_language
from xiaoer.settings import Settings, get_settings


class TurnRequest(BaseModel):
    merchant_id: str
    message: str = Field(min_length=1)
    conversation_id: str | None = None
    order_id: str | None = None


class TurnResult(BaseModel):
    reply: str
    intent: str | None = None
    confidence: float
    citations: list[Citation] = []
    offer: dict | None = None
    handoff: dict | None = None
    lang: str
    answerer: str


class ShopAssistant:
    """Everything a turn needs, built once per process."""

    def __init__(self, settings: Settings | None = None, retriever: HybridRetriever | None = None) -> None:
        self.settings = settings or get_settings()
        self.retriever = retriever or HybridRetriever(settings=self.settings)
        self.knowledge = KnowledgeService(self.retriever)
        self.extractive = ExtractiveAnswerer(self.retriever.embedder, self.settings.answer_threshold)
        self.llm = None
        if self.settings.llm_enabled:
            from bot.llm import LLMAnswerer

            self.llm = LLMAnswerer(self.settings)

    def evidence(self, merchant_id: str, message: str, *, mode: RetrieverMode = "hybrid") -> tuple[list[Evidence], list[str]]:
        result = self.retriever.search(merchant_id, message, mode=mode)
        with session_scope() as session:
            rows = repository.chunks_with_documents(session, merchant_id, [h.chunk_id for h in result.hits])
        evidence = [Evidence(hit=h, chunk=rows[h.chunk_id][0], document=rows[h.chunk_id][1]) for h in result.hits if h.chunk_id in rows]
        return evidence, result.query_tokens

    def answer(self, merchant_id: str, message: str, lang: str, *, mode: RetrieverMode = "hybrid") -> Answer:
        evidence, tokens = self.evidence(merchant_id, message, mode=mode)
        grounded = self.extractive.answer(message, lang, evidence, tokens)
        if self.llm is not None:
            return self.llm.answer(message, lang, evidence, grounded)
        return grounded

    def handle(self, request: TurnRequest, *, mode: RetrieverMode = "hybrid") -> TurnResult:
        lang = detect_language(request.message)
        answer = self.answer(request.merchant_id, request.message, lang, mode=mode)
        return TurnResult(
            reply=answer.reply,
            confidence=answer.confidence,
            citations=answer.citations,
            handoff={"reason": "low_confidence"} if answer.handoff else None,
            lang=lang,
            answerer=answer.answerer,
        )
