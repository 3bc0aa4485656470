"""Storage functions for merchants, documents and chunks (session passed in)."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from knowledge.models import Chunk, Document, Merchant, VectorCollection


def get_merchant(session: Session, merchant_id: str) -> Merchant | None:
    return session.get(Merchant, merchant_id)


def get_or_create_merchant(session: Session, merchant_id: str, name: str | None = None) -> Merchant:
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        merchant = Merchant(id=merchant_id, name=name or merchant_id, kb_version=0)
        session.add(merchant)
        session.flush()
    return merchant


def bump_kb_version(session: Session, merchant_id: str) -> None:
    session.execute(update(Merchant).where(Merchant.id == merchant_id).values(kb_version=Merchant.kb_version + 1))


def kb_version(session: Session, merchant_id: str) -> int:
    return session.scalar(select(Merchant.kb_version).where(Merchant.id == merchant_id)) or 0


def find_document(session: Session, merchant_id: str, name: str) -> Document | None:
    return session.scalar(select(Document).where(Document.merchant_id == merchant_id, Document.name == name))


def get_document(session: Session, merchant_id: str, document_id: int) -> Document | None:
    doc = session.get(Document, document_id)
    return doc if doc is not None and doc.merchant_id == merchant_id else None


def list_documents(session: Session, merchant_id: str) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.merchant_id == merchant_id).order_by(Document.name)))


def chunk_ids_of(session: Session, document_id: int) -> list[int]:
    return list(session.scalars(select(Chunk.id).where(Chunk.document_id == document_id)))


def delete_document_rows(session: Session, document: Document) -> list[int]:
    """Delete a document and its chunks; returns the removed chunk ids."""
    ids = chunk_ids_of(session, document.id)
    session.execute(delete(Chunk).where(Chunk.document_id == document.id))
    session.delete(document)
    session.flush()
    return ids


def all_chunk_tokens(session: Session, merchant_id: str) -> tuple[list[int], list[list[str]]]:
    rows = session.execute(
        select(Chunk.id, Chunk.search_tokens).where(Chunk.merchant_id == merchant_id).order_by(Chunk.id)
    )
    ids, tokens = [], []
    for chunk_id, joined in rows:
        ids.append(chunk_id)
        tokens.append(joined.split(" ") if joined else [])
    return ids, tokens


def retokenize_chunks(session: Session, merchant_id: str, tokenize) -> int:
    """Recompute every chunk's stored search words with ``tokenize`` (after the tokenizer
    changed: a new shop word, an alias); returns how many chunks changed."""
    changed = 0
    for chunk in session.scalars(select(Chunk).where(Chunk.merchant_id == merchant_id)):
        tokens = " ".join(tokenize(f"{chunk.title}\n{chunk.text}"))
        if tokens != chunk.search_tokens:
            chunk.search_tokens = tokens
            changed += 1
    return changed


def all_chunks_for_embedding(session: Session, merchant_id: str) -> list[tuple[int, int, str]]:
    rows = session.execute(
        select(Chunk.id, Chunk.document_id, Chunk.embed_text).where(Chunk.merchant_id == merchant_id).order_by(Chunk.id)
    )
    return [tuple(r) for r in rows]


def embed_texts(session: Session, merchant_id: str, ids: list[int]) -> dict[int, str]:
    """The text each chunk was embedded from, by id (this merchant's chunks only)."""
    if not ids:
        return {}
    rows = session.execute(select(Chunk.id, Chunk.embed_text).where(Chunk.merchant_id == merchant_id, Chunk.id.in_(ids)))
    return {chunk_id: text for chunk_id, text in rows}


def chunk_count(session: Session, merchant_id: str) -> int:
    return session.scalar(select(func.count(Chunk.id)).where(Chunk.merchant_id == merchant_id)) or 0


def chunks_with_documents(session: Session, merchant_id: str, ids: list[int]) -> dict[int, tuple[Chunk, str]]:
    """Chunks by id with their document's name; other merchants' ids are silently dropped."""
    if not ids:
        return {}
    rows = session.execute(
        select(Chunk, Document.name)
        .join(Document, Document.id == Chunk.document_id)
        .where(Chunk.merchant_id == merchant_id, Chunk.id.in_(ids))
    )
    return {chunk.id: (chunk, name) for chunk, name in rows}


def chunk_ids(session: Session, merchant_id: str) -> set[int]:
    return set(session.scalars(select(Chunk.id).where(Chunk.merchant_id == merchant_id)))


def chunks_for_embedding(session: Session, merchant_id: str, ids: list[int]) -> list[tuple[int, int, str]]:
    """(chunk id, document id, text to embed) of these chunks of the merchant's, by id."""
    if not ids:
        return []
    rows = session.execute(
        select(Chunk.id, Chunk.document_id, Chunk.embed_text)
        .where(Chunk.merchant_id == merchant_id, Chunk.id.in_(ids))
        .order_by(Chunk.id)
    )
    return [tuple(r) for r in rows]


def live_vector_version(session: Session, merchant_id: str, embedder: str) -> int:
    """The version of the merchant's collection that searches read (0 until a rebuild)."""
    row = session.get(VectorCollection, (merchant_id, embedder))
    return row.version if row is not None else 0


def switch_vector_version(session: Session, merchant_id: str, embedder: str, old: int, new: int) -> bool:
    """Make ``new`` the live version if ``old`` still is (False: another rebuild won)."""
    if session.get(VectorCollection, (merchant_id, embedder)) is None:
        session.add(VectorCollection(merchant_id=merchant_id, embedder=embedder, version=0))
        session.flush()
    moved = session.execute(
        update(VectorCollection)
        .where(VectorCollection.merchant_id == merchant_id, VectorCollection.embedder == embedder,
               VectorCollection.version == old)
        .values(version=new)
        .execution_options(synchronize_session=False)
    ).rowcount
    return moved == 1
