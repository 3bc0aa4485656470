"""Typed values passed between the answer stages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from knowledge.models import Chunk
from retrieval.retriever import Hit


class Citation(BaseModel):
    document: str
    chunk: int
    score: float = Field(description="Relevance of this chunk to the question, 0-1.")
    title: str = ""
    snippet: str = ""
    source: str = Field(default="", description="What the shopper sees as the source: a readable title, never a file name.")
    section: str = Field(default="", description="Under the source: the FAQ question, product name or section heading.")


class Answer(BaseModel):
    reply: str
    confidence: float = Field(ge=0.0, le=1.0)
    citations: list[Citation] = []
    handoff: bool = False  # below threshold: a person should take over
    focus_product: str | None = None  # SKU of the product the answer was about
    answerer: Literal["extractive", "llm", "fallback"] = "extractive"
    # Below the threshold: the best candidate's reply, held back. Never sent to the shopper;
    # the evaluation grades it, so confidence can be checked as P(the best answer is right).
    withheld: str | None = Field(default=None, exclude=True)
    # What the answer (or the one held back) was read from: "faq", "passage" or "product" (a
    # product record); its confidence is calibrated per kind (bot/calibration.py).
    basis: str | None = Field(default=None, exclude=True)


@dataclass
class Evidence:
    """A retrieved chunk with its document name and scores, ready to answer from."""

    hit: Hit
    chunk: Chunk
    document: str
