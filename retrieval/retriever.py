"""Hybrid retrieval: dense (Chroma) + BM25, fused by reciprocal-rank fusion.

Each merchant has its own collection and its own BM25 index, and chunk rows are
always re-read with a merchant filter, so one shop can never see another's text.
While the Chroma server is unreachable, hybrid search runs on BM25 alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from knowledge import repository
from retrieval.bm25 import Bm25Cache
from retrieval.dense_matrix import DenseMatrix, DenseMatrixCache
from retrieval.embedders import Embedder, get_embedder
from retrieval.tokenize import action_character, tokenize
from retrieval.vector_store import VectorStore, VectorStoreUnavailable
from xiaoer.db import get_engine, named_lock, session_scope
from xiaoer.settings import Settings, get_settings

log = logging.getLogger(__name__)

RetrieverMode = Literal["hybrid", "dense", "bm25"]
ProgressFn = Callable[[int, int], None]
EMBED_BATCH = 128


@dataclass
class Hit:
    chunk_id: int
    score: float  # fused (RRF) score, the ranking key
    similarity: float | None = None  # cosine(query, chunk embedding)
    bm25: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass
class RetrievalResult:
    query: str
    hits: list[Hit]
    query_vector: np.ndarray
    query_tokens: list[str] = field(default_factory=list)
    # Each query word's IDF in this merchant's knowledge (answerability weighs words by it).
    query_idf: dict[str, float] = field(default_factory=dict)
    unseen: set[str] = field(default_factory=set)  # query words no chunk of this merchant holds
    version: int = 0  # the merchant's knowledge version searched


class HybridRetriever:
    def __init__(
        self,
        embedder: Embedder | None = None,
        vectors: VectorStore | None = None,
        bm25: Bm25Cache | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.embedder = embedder or get_embedder()
        self.vectors = vectors or VectorStore(self.settings)
        self.bm25 = bm25 or Bm25Cache()
        self._checked: dict[str, tuple[int, int]] = {}  # merchant → (knowledge version, store generation) checked
        # The embedded store's vectors in memory, loaded at each check (retrieval/dense_matrix.py).
        self.matrices = DenseMatrixCache()
        self._lock = threading.Lock()
        self.dense_unavailable = False  # the last dense call failed: searches are BM25-only until one succeeds

    # --- writing --------------------------------------------------------------------------

    def embed(self, texts: list[str], progress: ProgressFn | None = None) -> np.ndarray:
        parts = []
        for start in range(0, len(texts), EMBED_BATCH):
            parts.append(self.embedder.embed(texts[start : start + EMBED_BATCH]))
            if progress:
                progress(min(start + EMBED_BATCH, len(texts)), len(texts))
        return np.vstack(parts) if parts else np.zeros((0, self.embedder.dim), dtype=np.float32)

    def add(self, merchant_id: str, chunk_ids: list[int], vectors: np.ndarray, document_ids: list[int]) -> None:
        self.vectors.upsert(merchant_id, self.embedder.name, chunk_ids, vectors, document_ids)

    def remove(self, merchant_id: str, chunk_ids: list[int]) -> None:
        self.vectors.delete(merchant_id, self.embedder.name, chunk_ids)

    def _lock_name(self, merchant_id: str) -> str:
        return f"vectors:{merchant_id}:{self.embedder.name}"

    def rebuild(self, merchant_id: str, progress: ProgressFn | None = None) -> int:
        """Re-embed every chunk of a merchant from SQL into the next collection version, then
        make it live in one SQL update (searches meanwhile read the old one) and drop the
        old one; the chunks' stored search words are recomputed too (a new tokenizer's shop
        words and aliases). One rebuild at a time per merchant, across processes (a shared lock)."""
        name = self.embedder.name
        with named_lock(get_engine(), self._lock_name(merchant_id)):
            with session_scope() as session:
                repository.retokenize_chunks(session, merchant_id, tokenize)
                live = repository.live_vector_version(session, merchant_id, name)
                rows = repository.all_chunks_for_embedding(session, merchant_id)
            self.vectors.create_version(merchant_id, name, live + 1)
            if rows:
                ids, doc_ids, texts = (list(x) for x in zip(*rows))
                self.vectors.upsert(merchant_id, name, ids, self.embed(texts, progress), doc_ids, version=live + 1)
            with session_scope() as session:
                if not repository.switch_vector_version(session, merchant_id, name, live, live + 1):
                    raise RuntimeError(f"the live collection of {merchant_id} moved during a locked rebuild")
                # Every process re-checks its indexes, and finds the new version, at its next search.
                repository.bump_kb_version(session, merchant_id)
            self.vectors.reload_version(merchant_id, name)
            self.vectors.drop_version(merchant_id, name, live)
        self.bm25.forget(merchant_id)
        self.forget_checks()
        return len(rows)

    def ensure_indexed(self, merchant_id: str, version: int) -> None:
        """Make the dense index hold exactly SQL's chunks, compared by id (a document
        replaced by one of the same size has new chunk ids): embed what is missing (a new
        embedder, lost Chroma files, another host's upload into its own embedded store)
        and delete what SQL no longer has. Checked again whenever the knowledge version
        moves; skipped for now while another process holds the merchant's rebuild lock."""
        check = (version, self.vectors.generation)
        if self._checked.get(merchant_id) == check and self._matrix_loaded(merchant_id, check):
            return
        with self._lock:
            if self._checked.get(merchant_id) == check and self._matrix_loaded(merchant_id, check):
                return
            self.vectors.reload_version(merchant_id, self.embedder.name)
            with named_lock(get_engine(), self._lock_name(merchant_id), wait=False) as taken:
                if not taken:
                    return  # a rebuild is running: search the live collection meanwhile
                expected = self._sync(merchant_id)
                if self._in_memory():
                    # Exactly SQL's chunks at this version: the store now holds them all.
                    ids, vectors = self.vectors.contents(merchant_id, self.embedder.name)
                    keep = [i for i, chunk_id in enumerate(ids) if chunk_id in expected]
                    self.matrices.put(merchant_id, check, DenseMatrix([ids[i] for i in keep], vectors[keep]))
            self._checked[merchant_id] = check

    def _in_memory(self) -> bool:
        """Searches read an in-memory matrix: always for the embedded store (this process is
        its only writer), by choice for a Chroma server (``vectors_in_memory``)."""
        return self.vectors.embedded or self.settings.vectors_in_memory

    def _matrix_loaded(self, merchant_id: str, check: tuple[int, int]) -> bool:
        return not self._in_memory() or self.matrices.held(merchant_id, check)

    def _sync(self, merchant_id: str) -> set[int]:
        """Make the store hold SQL's chunk ids; returns them."""
        with session_scope() as session:
            expected = repository.chunk_ids(session, merchant_id)
        held = self.vectors.ids(merchant_id, self.embedder.name) if expected else set()
        missing = sorted(expected - held)
        # A vector above SQL's highest id may be an upload's that has not committed yet.
        extra = sorted(i for i in held - expected if i < max(expected, default=0))
        with session_scope() as session:
            rows = repository.chunks_for_embedding(session, merchant_id, missing)
        if rows:
            ids, doc_ids, texts = (list(x) for x in zip(*rows))
            self.add(merchant_id, ids, self.embed(texts), doc_ids)
        if extra:
            self.remove(merchant_id, extra)
        if missing or extra:
            log.info("dense index of %s re-synced from SQL: %d added, %d removed", merchant_id, len(missing), len(extra))
        return expected

    def forget_checks(self) -> None:
        """Recheck every merchant's dense index at its next search (after Chroma was away
        or a vector write may have missed)."""
        self._checked.clear()
        self.matrices.forget()

    def _dense_state(self, error: VectorStoreUnavailable | None) -> None:
        """Log an outage once when it starts and once when it ends, not on every turn."""
        if error is not None:
            self.forget_checks()  # the server may come back with fewer vectors than SQL has chunks
            if not self.dense_unavailable:
                log.warning("vector store unavailable, searching with BM25 only: %s", error)
        elif self.dense_unavailable:
            log.info("vector store reachable again, dense retrieval resumed")
        self.dense_unavailable = error is not None

    # --- reading -----------------------------------------------------------------------------

    def search(
        self,
        merchant_id: str,
        query: str,
        *,
        k: int | None = None,
        mode: RetrieverMode = "hybrid",
        query_vector: np.ndarray | None = None,
        version: int | None = None,
    ) -> RetrievalResult:
        """``query_vector``: the query's embedding when the caller already has it (the turn
        embeds once for both intent and retrieval). ``version``: the merchant's knowledge
        version as the caller just read it from SQL (a turn reads it once for all its stages)."""
        k = k or self.settings.top_k
        depth = max(4 * k, 20)  # fuse over deeper lists than we return
        if version is None:
            with session_scope() as session:
                version = repository.kb_version(session, merchant_id)
        if query_vector is None:
            query_vector = self.embedder.embed([query])[0]
        tokens = tokenize(query)
        if version == 0:
            return RetrievalResult(query, [], query_vector, tokens)
        dense = []
        dense_ok = True
        matrix = None
        try:
            self.ensure_indexed(merchant_id, version)
            matrix = self.matrices.get(merchant_id, (version, self.vectors.generation))
            if mode != "bm25":
                if matrix is not None:
                    dense = matrix.query(query_vector, depth)
                else:
                    dense = self.vectors.query(merchant_id, self.embedder.name, query_vector, depth)
                self._dense_state(None)
        except VectorStoreUnavailable as exc:
            if mode == "dense":
                raise
            dense_ok = False
            self._dense_state(exc)
        lexical = []
        # The BM25 index is built in every mode: its word statistics serve the answerer too.
        index = self.lexical_index(merchant_id, version)
        if mode != "dense":
            # A service said as one character (退) is searched with the shop's words holding it (退货).
            lexical = index.search(tokens + [w for t in tokens if action_character(t)
                                             for w in index.words_holding(t) if w not in tokens], depth)

        hits: dict[int, Hit] = {}
        rrf_k = self.settings.rrf_k
        for rank, vh in enumerate(dense, start=1):
            hit = hits.setdefault(vh.chunk_id, Hit(vh.chunk_id, 0.0))
            hit.similarity, hit.dense_rank = vh.similarity, rank
            hit.score += 1.0 / (rrf_k + rank)
        for rank, lh in enumerate(lexical, start=1):
            hit = hits.setdefault(lh.chunk_id, Hit(lh.chunk_id, 0.0))
            hit.bm25, hit.lexical_rank = lh.score, rank
            hit.score += 1.0 / (rrf_k + rank)
        ranked = sorted(hits.values(), key=lambda h: h.score, reverse=True)[:k]
        if lexical and lexical[0].chunk_id not in {h.chunk_id for h in ranked}:
            # The chunk that alone holds the question's rare words (咖啡节, 满减) stays a candidate
            # though the fused ranks put every row sharing the shop's everyday word (咖啡) first.
            ranked.append(hits[lexical[0].chunk_id])

        missing = [h.chunk_id for h in ranked if h.similarity is None]
        if missing:  # lexical-only hits: the answerer still wants a similarity for confidence
            stored = matrix.vectors_for(missing) if dense_ok and matrix is not None else \
                self._vectors_of(merchant_id, missing, from_chroma=dense_ok)
            for h in ranked:
                if h.chunk_id in stored:
                    h.similarity = float(stored[h.chunk_id] @ query_vector)
        unseen = {t for t in tokens if not index.document_frequency.get(t)}
        return RetrievalResult(query, ranked, query_vector, tokens, {t: index.character_idf(t) if action_character(t) else index.idf(t) for t in tokens},
                               unseen, version)

    def vocabulary(self, merchant_id: str, version: int) -> list[str]:
        """Every word the merchant's chunks use at this knowledge version."""
        return list(self.lexical_index(merchant_id, version).document_frequency)

    def lexical_index(self, merchant_id: str, version: int):
        """The merchant's BM25 index at this knowledge version (built from SQL once a version)."""
        return self.bm25.get(merchant_id, version, lambda: self._load_tokens(merchant_id))

    def _vectors_of(self, merchant_id: str, chunk_ids: list[int], *, from_chroma: bool) -> dict[int, np.ndarray]:
        """Stored vectors, or without Chroma the same vectors re-embedded from SQL (top-k only)."""
        if from_chroma:
            try:
                return self.vectors.vectors_for(merchant_id, self.embedder.name, chunk_ids)
            except VectorStoreUnavailable as exc:
                self._dense_state(exc)
        with session_scope() as session:
            texts = repository.embed_texts(session, merchant_id, chunk_ids)
        ids = list(texts)
        return dict(zip(ids, self.embed([texts[i] for i in ids]))) if ids else {}

    def _load_tokens(self, merchant_id: str) -> tuple[list[int], list[list[str]]]:
        with session_scope() as session:
            return repository.all_chunk_tokens(session, merchant_id)
