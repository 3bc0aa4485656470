"""Ingest and delete knowledge for a merchant, keeping SQL and the indexes in step.

A batch is validated whole before anything changes: one bad file and the
knowledge base stays exactly as it was. Vector writes happen inside the SQL
transaction, before its commit: with Chroma unreachable (VectorStoreUnavailable) an
upload or delete changes nothing at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy.orm import Session

from knowledge import repository
from knowledge.models import Chunk, Document
from knowledge.parsers import ChunkDraft, IngestError, ParsedDocument, parse_document, supported_files
from retrieval.retriever import HybridRetriever
from retrieval.tokenize import tokenize
from retrieval.vector_store import VectorStoreUnavailable, validate_merchant_id
from xiaoer.db import session_scope
from xiaoer.settings import get_settings

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]


class IngestBatchError(ValueError):
    """Every file of a batch that could not be ingested, with its reason."""

    def __init__(self, errors: list[IngestError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


class DocumentInfo(BaseModel):
    id: int
    name: str
    kind: str
    chunks: int
    size_bytes: int
    content_hash: str


class IngestedFile(BaseModel):
    name: str
    status: str  # added | replaced | unchanged
    chunks: int
    document_id: int


@dataclass
class IngestReport:
    files: list[IngestedFile] = field(default_factory=list)

    @property
    def chunks_added(self) -> int:
        return sum(f.chunks for f in self.files if f.status != "unchanged")


class ChunkHook(Protocol):
    """More work done once per chunk at ingest (the answerer's sentence vectors): ``compute``
    runs before the transaction, ``store`` inside it once the chunks have ids, and
    ``committed`` after the commit (work that may finish later)."""

    def compute(self, drafts: list[ChunkDraft]) -> list[Any]: ...

    def store(self, session: Session, merchant_id: str, chunk_ids: list[int], computed: list[Any]) -> None: ...

    def committed(self, merchant_id: str, chunk_ids: list[int], drafts: list[ChunkDraft]) -> None: ...


class KnowledgeService:
    def __init__(self, retriever: HybridRetriever, hooks: Iterable[ChunkHook] = ()) -> None:
        self.retriever = retriever
        self.hooks = list(hooks)

    def ensure_merchant(self, merchant_id: str, name: str | None = None) -> None:
        validate_merchant_id(merchant_id)
        with session_scope() as session:
            repository.get_or_create_merchant(session, merchant_id, name)

    def ingest_paths(
        self, merchant_id: str, paths: Iterable[Path | str], progress: ProgressFn | None = None
    ) -> IngestReport:
        files = []
        errors = []
        for path in _expand(paths):
            try:
                files.append((path.name, path.read_bytes()))
            except OSError as exc:
                errors.append(IngestError(path.name, f"cannot read: {exc.strerror or exc}"))
        if errors:
            raise IngestBatchError(errors)
        return self.ingest_files(merchant_id, files, progress)

    def ingest_files(
        self, merchant_id: str, files: list[tuple[str, bytes]], progress: ProgressFn | None = None
    ) -> IngestReport:
        validate_merchant_id(merchant_id)
        if not files:
            raise IngestBatchError([IngestError("<upload>", "no files given")])
        max_bytes = get_settings().max_upload_bytes
        parsed: list[ParsedDocument] = []
        errors: list[IngestError] = []
        for name, raw in files:
            try:
                parsed.append(parse_document(name, raw, max_bytes=max_bytes))
            except IngestError as exc:
                errors.append(exc)
        names = [p.name for p in parsed]
        errors += [IngestError(n, "given twice in one upload") for n in sorted({n for n in names if names.count(n) > 1})]
        if errors:
            raise IngestBatchError(errors)

        with session_scope() as session:
            repository.get_or_create_merchant(session, merchant_id)
            current = {p.name: repository.find_document(session, merchant_id, p.name) for p in parsed}
            unchanged = {n for n, d in current.items() if d is not None and d.content_hash == _hash_of(parsed, n)}
        todo = [p for p in parsed if p.name not in unchanged]

        # Embed before touching SQL: the slow, fallible part happens while nothing has changed yet.
        drafts = [c for p in todo for c in p.chunks]
        vectors = self.retriever.embed([c.embed_text for c in drafts], progress)
        extras = [hook.compute(drafts) for hook in self.hooks]

        report = IngestReport()
        new_ids: list[int] = []
        new_doc_ids: list[int] = []
        old_ids: list[int] = []
        try:
            with session_scope() as session:
                for p in parsed:
                    if p.name in unchanged:
                        doc = repository.find_document(session, merchant_id, p.name)
                        report.files.append(IngestedFile(name=p.name, status="unchanged", chunks=doc.chunk_count, document_id=doc.id))
                        continue
                    existing = repository.find_document(session, merchant_id, p.name)
                    if existing is not None:
                        old_ids += repository.delete_document_rows(session, existing)
                    doc = Document(
                        merchant_id=merchant_id, name=p.name, kind=p.kind, content_hash=p.content_hash,
                        size_bytes=p.size_bytes, chunk_count=len(p.chunks),
                    )
                    session.add(doc)
                    session.flush()
                    rows = [
                        Chunk(
                            merchant_id=merchant_id, document_id=doc.id, ordinal=i, kind=c.kind, lang=c.lang,
                            title=c.title, text=c.text, embed_text=c.embed_text, answer=c.answer, data=c.data,
                            search_tokens=" ".join(tokenize(f"{c.title}\n{c.text}")),
                        )
                        for i, c in enumerate(p.chunks)
                    ]
                    session.add_all(rows)
                    session.flush()
                    new_ids += [r.id for r in rows]
                    new_doc_ids += [doc.id] * len(rows)
                    report.files.append(
                        IngestedFile(
                            name=p.name, status="replaced" if existing else "added", chunks=len(rows), document_id=doc.id
                        )
                    )
                for hook, computed in zip(self.hooks, extras):
                    hook.store(session, merchant_id, new_ids, computed)
                if todo:
                    repository.bump_kb_version(session, merchant_id)
                # Vectors go in before the commit; if the commit fails they are removed again.
                self.retriever.add(merchant_id, new_ids, vectors, new_doc_ids)
        except BaseException:
            self._discard_vectors(merchant_id, new_ids)
            raise
        # SQL is the source of truth: a stale vector left by a failure here is never served,
        # because hits are re-read from SQL.
        self._discard_vectors(merchant_id, sorted(set(old_ids) - set(new_ids)))
        for hook in self.hooks:
            hook.committed(merchant_id, new_ids, drafts)
        return report

    def _discard_vectors(self, merchant_id: str, chunk_ids: list[int]) -> None:
        """Remove vectors SQL has no chunk for. Chroma away: leave them, and have the next
        search recount the index (a count off from SQL's rebuilds it from SQL)."""
        try:
            self.retriever.remove(merchant_id, chunk_ids)
        except VectorStoreUnavailable as exc:
            log.warning("up to %d vectors of %s may be stale in the vector store (SQL rules; the next search recounts): %s", len(chunk_ids), merchant_id, exc)
            self.retriever.forget_checks()

    def list_documents(self, merchant_id: str) -> list[DocumentInfo]:
        with session_scope() as session:
            return [
                DocumentInfo(
                    id=d.id, name=d.name, kind=d.kind, chunks=d.chunk_count,
                    size_bytes=d.size_bytes, content_hash=d.content_hash,
                )
                for d in repository.list_documents(session, merchant_id)
            ]

    def delete_document(self, merchant_id: str, name_or_id: str | int) -> bool:
        try:
            with session_scope() as session:
                doc = (
                    repository.get_document(session, merchant_id, int(name_or_id))
                    if isinstance(name_or_id, int) or str(name_or_id).isdigit()
                    else repository.find_document(session, merchant_id, str(name_or_id))
                )
                if doc is None:
                    return False
                removed = repository.delete_document_rows(session, doc)
                repository.bump_kb_version(session, merchant_id)
                self.retriever.remove(merchant_id, removed)  # before the commit: see the module doc
        except BaseException:
            self.retriever.forget_checks()  # vectors may be gone while SQL kept the chunks
            raise
        return True

    def delete_merchant(self, merchant_id: str) -> None:
        """Remove a merchant's whole knowledge base (SQL rows and indexes)."""
        try:
            with session_scope() as session:
                for doc in repository.list_documents(session, merchant_id):
                    repository.delete_document_rows(session, doc)
                merchant = repository.get_merchant(session, merchant_id)
                if merchant is not None:
                    session.delete(merchant)
                session.flush()
                self.retriever.vectors.drop_merchant(merchant_id, self.retriever.embedder.name)  # before the commit
        except BaseException:
            self.retriever.forget_checks()
            raise
        self.retriever.bm25.forget(merchant_id)


def _hash_of(parsed: list[ParsedDocument], name: str) -> str:
    return next(p.content_hash for p in parsed if p.name == name)


def _expand(paths: Iterable[Path | str]) -> list[Path]:
    """Files as given; folders contribute their supported files, sorted."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += supported_files(p)
        else:
            out.append(p)
    return out
