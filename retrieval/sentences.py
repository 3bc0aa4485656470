"""Sentence vectors kept with their chunk, so that a turn embeds only the question.

The answerer judges an FAQ answer or a passage by its sentences, and an open English
question also by what a second embedder makes of an FAQ's question and the closest
sentences. Embedding those when a chunk is first retrieved put model calls into the turn
(the first-sight tail). Instead they are embedded at ingest and stored in SQL
(``chunk_sentence_vectors``: one row per chunk and embedder, with the texts the vectors
are of); a turn loads the rows of the chunks it retrieved into the answerer's in-memory
caches. USE vectors are embedded in the upload itself; the slower English model's in a
background thread once the upload has committed. A chunk without a row (knowledge
ingested before the table existed) or whose row holds other texts (the sentence
splitting changed) is embedded on first sight and stored then, once for every process.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from knowledge.models import Chunk, ChunkSentenceVectors
from retrieval.embedders import Embedder
from xiaoer.db import get_engine, session_scope

log = logging.getLogger(__name__)

EMBED_BATCH = 256
BACKGROUND_BATCH = 8  # chunks per background step: each stored as soon as it is embedded
BACKGROUND_NICENESS = 10


class VectorCache(Protocol):
    """The answerer's cache of text vectors under one embedder."""

    def holds(self, texts: list[str]) -> bool: ...

    def prime(self, texts: list[str], vectors: np.ndarray) -> None: ...


@dataclass
class SentenceSource:
    """One embedder's texts of a chunk and the answerer's cache for their vectors."""

    embedder: Embedder
    cache: VectorCache
    texts_of: Callable[[Any], list[str]]  # a chunk or a parsed draft → its texts ([] = none)
    at_ingest: Callable[[Any], bool] = field(default=lambda chunk: True)  # embedded when ingested
    lang: str | None = None  # only turns in this language use them
    # A slow model (the English second opinion, ~10x USE) is embedded by a background
    # thread after the upload commits, not in the upload (ingest would slow to ~100
    # chunks/s) nor in the turn; a turn that meets a chunk before that embeds what it needs
    # in memory, as the answerer always could.
    later: bool = False


class SentenceVectors:
    """Stores and loads the sentence vectors of every source; the ingest hook of
    KnowledgeService (``compute`` before the transaction, ``store`` inside it,
    ``committed`` after it)."""

    def __init__(self, sources: Sequence[SentenceSource]) -> None:
        self.sources = list(sources)
        _instances.add(self)
        self._jobs: queue.Queue = queue.Queue()
        self._pending: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    # --- ingest ---------------------------------------------------------------------------

    def compute(self, drafts: Sequence[Any]) -> list[dict[str, tuple[list[str], np.ndarray]]]:
        """Per draft: embedder name → (texts, vectors), for every source embedded in the
        upload. Slow (model calls): done before the ingest transaction opens."""
        out: list[dict[str, tuple[list[str], np.ndarray]]] = [{} for _ in drafts]
        for source in self.sources:
            if source.later:
                continue
            texts = [source.texts_of(d) if source.at_ingest(d) else [] for d in drafts]
            for i, vectors in enumerate(_embed_groups(source.embedder, texts)):
                if texts[i]:
                    out[i][source.embedder.name] = (texts[i], vectors)
        return out

    @staticmethod
    def store(session: Session, merchant_id: str, chunk_ids: Sequence[int],
              computed: Sequence[dict[str, tuple[list[str], np.ndarray]]]) -> None:
        session.add_all(
            _row(merchant_id, chunk_id, name, texts, vectors)
            for chunk_id, by_embedder in zip(chunk_ids, computed)
            for name, (texts, vectors) in by_embedder.items()
        )

    def committed(self, merchant_id: str, chunk_ids: Sequence[int], drafts: Sequence[Any]) -> None:
        """After the upload's commit: the slow sources' vectors, in the background."""
        for source in self.sources:
            if source.later:
                self._fill_later(source, merchant_id, [i for i, d in zip(chunk_ids, drafts) if source.at_ingest(d)])

    def wait(self) -> None:
        """Until the background embedding has caught up (benchmarks, tests)."""
        self._jobs.join()

    # --- a turn ---------------------------------------------------------------------------

    def prime(self, merchant_id: str, chunks: Sequence[Any], lang: str) -> None:
        """Put the stored vectors of these chunks (the turn's evidence) into the answerer's
        caches. A chunk without them is embedded now and stored (the fast model), or left
        to the answerer and queued for the background (a slow one)."""
        for source in self.sources:
            if source.lang is not None and source.lang != lang:
                continue
            name = source.embedder.name
            wanted = {}
            for chunk in chunks:
                # Only what ingest stores: the answerer embeds any other text it needs itself.
                texts = source.texts_of(chunk) if source.at_ingest(chunk) else []
                if texts and not source.cache.holds(texts):
                    wanted[chunk.id] = texts
            if not wanted:
                continue
            with session_scope() as session:
                rows = load(session, merchant_id, name, list(wanted))
            missing: dict[int, list[str]] = {}
            for chunk_id, texts in wanted.items():
                row = rows.get(chunk_id)
                if row is not None and row[0] == texts:
                    source.cache.prime(texts, row[1])
                else:
                    missing[chunk_id] = texts
            if not missing:
                continue
            if source.later:
                self._fill_later(source, merchant_id, list(missing))
                continue
            ids = list(missing)
            groups = _embed_groups(source.embedder, [missing[i] for i in ids])
            for chunk_id, vectors in zip(ids, groups):
                source.cache.prime(missing[chunk_id], vectors)
            _replace(get_engine(), merchant_id, name, {i: (missing[i], v) for i, v in zip(ids, groups)})

    # --- the background ---------------------------------------------------------------------

    def _fill_later(self, source: SentenceSource, merchant_id: str, chunk_ids: list[int]) -> None:
        name = source.embedder.name
        engine = get_engine()  # the upload's database, bound now: the job must not write elsewhere
        with self._lock:
            todo = [i for i in chunk_ids if (name, i) not in self._pending]
            if not todo:
                return
            self._pending.update((name, i) for i in todo)
            self._jobs.put((source, merchant_id, engine, todo))
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="sentence-vectors", daemon=True)
                self._worker.start()

    def _work(self) -> None:
        """Runs while there are jobs, then ends (no idle thread left at exit)."""
        with contextlib.suppress(OSError, AttributeError):  # below the turns' threads, where the OS allows
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)
        while True:
            with self._lock:
                try:
                    source, merchant_id, engine, chunk_ids = self._jobs.get_nowait()
                except queue.Empty:
                    self._worker = None
                    return
                if _exiting.is_set():  # what is left is embedded by whichever process needs it next
                    self._jobs.task_done()
                    continue
            try:
                for start in range(0, len(chunk_ids), BACKGROUND_BATCH):
                    if _exiting.is_set():
                        break
                    self._fill(source, merchant_id, engine, chunk_ids[start : start + BACKGROUND_BATCH])
            except Exception as exc:  # noqa: BLE001 - a cache: the turn embeds what it needs anyway
                log.info("background sentence vectors of %s failed: %s", merchant_id, exc)
            finally:
                with self._lock:
                    self._pending.difference_update((source.embedder.name, i) for i in chunk_ids)
                self._jobs.task_done()

    @staticmethod
    def _fill(source: SentenceSource, merchant_id: str, engine: Engine, chunk_ids: list[int]) -> None:
        name = source.embedder.name
        with Session(engine) as session:
            chunks = session.scalars(select(Chunk).where(Chunk.merchant_id == merchant_id, Chunk.id.in_(chunk_ids))).all()
            stored = load(session, merchant_id, name, chunk_ids)
        texts = {c.id: source.texts_of(c) for c in chunks}
        texts = {i: t for i, t in texts.items() if t and (i not in stored or stored[i][0] != t)}
        if texts:
            ids = list(texts)
            groups = _embed_groups(source.embedder, [texts[i] for i in ids])
            _replace(engine, merchant_id, name, {i: (texts[i], v) for i, v in zip(ids, groups)})


# A model running in a daemon thread while the interpreter exits aborts the process
# ("terminate called without an active exception"): at exit the worker stops after its batch.
_exiting = threading.Event()
_instances: weakref.WeakSet[SentenceVectors] = weakref.WeakSet()


@atexit.register
def _stop_workers() -> None:
    _exiting.set()
    for instance in list(_instances):
        worker = instance._worker
        if worker is not None:
            worker.join(timeout=30)


def _replace(engine: Engine, merchant_id: str, name: str, computed: dict[int, tuple[list[str], np.ndarray]]) -> None:
    """Store vectors embedded after the upload. Best effort: another process may have
    stored the same rows, or the chunk may be gone; either way the vectors were a cache."""
    try:
        with Session(engine) as session, session.begin():
            session.execute(delete(ChunkSentenceVectors).where(
                ChunkSentenceVectors.merchant_id == merchant_id, ChunkSentenceVectors.embedder == name,
                ChunkSentenceVectors.chunk_id.in_(list(computed))))
            session.add_all(_row(merchant_id, i, name, texts, vectors) for i, (texts, vectors) in computed.items())
    except SQLAlchemyError as exc:
        log.info("sentence vectors of %d chunks not stored (embedded again when needed): %s", len(computed), exc)


def load(session: Session, merchant_id: str, embedder: str, chunk_ids: list[int]) -> dict[int, tuple[list[str], np.ndarray]]:
    """Stored (texts, vectors) by chunk id, of this merchant's chunks only."""
    rows = session.execute(
        select(ChunkSentenceVectors.chunk_id, ChunkSentenceVectors.texts, ChunkSentenceVectors.vectors).where(
            ChunkSentenceVectors.merchant_id == merchant_id, ChunkSentenceVectors.embedder == embedder,
            ChunkSentenceVectors.chunk_id.in_(chunk_ids))
    )
    return {chunk_id: (texts, np.frombuffer(blob, dtype=np.float32).reshape(len(texts), -1)) for chunk_id, texts, blob in rows}


def _row(merchant_id: str, chunk_id: int, embedder: str, texts: list[str], vectors: np.ndarray) -> ChunkSentenceVectors:
    return ChunkSentenceVectors(chunk_id=chunk_id, embedder=embedder, merchant_id=merchant_id, texts=list(texts),
                                vectors=np.ascontiguousarray(vectors, dtype=np.float32).tobytes())


def _embed_groups(embedder: Embedder, groups: list[list[str]]) -> list[np.ndarray]:
    """Several chunks' texts in batches, split back per chunk."""
    flat = [t for group in groups for t in group]
    parts = [embedder.embed(flat[i : i + EMBED_BATCH]) for i in range(0, len(flat), EMBED_BATCH)]
    vectors = np.vstack(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)
    out, start = [], 0
    for group in groups:
        out.append(vectors[start : start + len(group)])
        start += len(group)
    return out
