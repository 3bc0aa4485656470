"""SQL tables for merchants' knowledge. The database is the source of truth;
the vector and BM25 indexes are rebuilt from these rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xiaoer.db import Base, utcnow


class Merchant(Base):
    __tablename__ = "merchants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Bumped on every knowledge change so in-memory indexes know when to rebuild.
    kb_version: Mapped[int] = mapped_column(Integer, default=0)


class MerchantKey(Base):
    """A merchant's API key, stored only as a SHA-256 hash (the key is shown once)."""

    __tablename__ = "merchant_keys"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Document(Base):
    __tablename__ = "documents"
    # AUTOINCREMENT: SQLite would otherwise reuse a deleted row's id, and a reused chunk id
    # could alias a stale vector in Chroma.
    __table_args__ = (UniqueConstraint("merchant_id", "name", name="uq_document_name"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))  # faq | catalog | text | pdf
    content_hash: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    chunks: Mapped[list[Chunk]] = relationship(
        back_populates="document", cascade="all, delete-orphan", passive_deletes=True
    )


class Chunk(Base):
    __tablename__ = "chunks"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(String(64), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # faq | product | passage
    lang: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    # What the dense index embeds: the question alone for an FAQ row matches shoppers best.
    embed_text: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    data: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # BM25 tokens (jieba for Chinese), stored so the in-memory index rebuilds without re-segmenting.
    search_tokens: Mapped[str] = mapped_column(Text, default="")

    document: Mapped[Document] = relationship(back_populates="chunks")


class ChunkSentenceVectors(Base):
    """The vectors of the texts the answerer judges a chunk by (its sentences, for an
    English embedder also an FAQ's question), under one embedder: computed at ingest so a
    turn loads them instead of embedding them (retrieval/sentences.py). ``texts`` says
    which texts the vectors are of; a row whose texts no longer match is recomputed."""

    __tablename__ = "chunk_sentence_vectors"

    chunk_id: Mapped[int] = mapped_column(ForeignKey("chunks.id", ondelete="CASCADE"), primary_key=True)
    embedder: Mapped[str] = mapped_column(String(64), primary_key=True)
    # A check on reads, not an index: an index on it made SQLite scan every row of the
    # merchant instead of looking the few chunk ids up by the primary key.
    merchant_id: Mapped[str] = mapped_column(String(64))
    texts: Mapped[list] = mapped_column(JSON)
    vectors: Mapped[bytes] = mapped_column(LargeBinary)  # float32, one row per text


class VectorCollection(Base):
    """Which Chroma collection holds a merchant's vectors for one embedder. A rebuild fills
    the next version's collection and then moves ``version`` to it in one UPDATE, so every
    process switches at once and none ever reads a half-filled collection."""

    __tablename__ = "vector_collections"

    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True)
    embedder: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class LearnedFaq(Base):
    """An FAQ row the merchant taught the bot from a knowledge gap: written by hand
    ("add answer", approved at once) or drafted from an agent's reply when a ticket that
    began as a gap was resolved (a draft until the merchant approves it). Approved rows
    make up one FAQ document per merchant (knowledge/loop.py); a rejected draft is deleted."""

    __tablename__ = "learned_faqs"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | approved
    source: Mapped[str] = mapped_column(String(16))  # merchant | agent
    conversation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    agent_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
