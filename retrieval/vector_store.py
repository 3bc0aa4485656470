"""The dense index: one Chroma collection per merchant, embedder and version.

Chroma is always handed our own vectors; its default embedding function would
try to download a model. A Chroma server that cannot be reached raises
``VectorStoreUnavailable``: search then falls back to BM25, writes are refused whole.

Which version is live is recorded in SQL (``vector_collections``); a rebuild in any
process fills the next version and switches to it. Another process holding a handle to a
collection that was dropped meanwhile finds the live version again and retries, instead
of failing the request.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import numpy as np

from xiaoer.settings import Settings, get_settings

log = logging.getLogger(__name__)

_MERCHANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def validate_merchant_id(merchant_id: str) -> str:
    if not _MERCHANT_ID.match(merchant_id or ""):
        raise ValueError(
            f"invalid merchant id {merchant_id!r}: 1-64 letters, digits, '-' or '_', starting with a letter or digit"
        )
    return merchant_id


def collection_name(prefix: str, merchant_id: str, embedder_name: str, version: int = 0) -> str:
    # Chroma names: 3-512 chars of [a-zA-Z0-9._-]; merchant ids and the prefix are validated
    # to fit. Version 0 keeps the name collections had before versions existed.
    name = f"{prefix}-{validate_merchant_id(merchant_id)}-{embedder_name}"
    return f"{name}-v{version}" if version else name


class VectorStoreUnavailable(RuntimeError):
    """The Chroma server cannot be reached (down, restarting, connection cut)."""


@dataclass(frozen=True)
class VectorHit:
    chunk_id: int
    similarity: float


class VectorStore:
    def __init__(self, settings: Settings | None = None) -> None:
        import chromadb

        settings = settings or get_settings()
        self._settings = settings
        self._chroma_settings = chromadb.Settings(anonymized_telemetry=False, allow_reset=False)
        # A server client is made on first use, so the app starts (and answers from BM25)
        # while Chroma is still down.
        self._client = None
        if not settings.chroma_host:
            settings.chroma_path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(settings.chroma_path), settings=self._chroma_settings)
        self._collections: dict[str, object] = {}
        self._live: dict[tuple[str, str], int] = {}  # (merchant, embedder) → live version, from SQL
        self._lock = threading.Lock()
        # Bumped whenever a handle turned out stale: the retriever then re-checks its indexes.
        self.generation = 0

    @property
    def embedded(self) -> bool:
        """Files of this process's own, no Chroma server."""
        return not self._settings.chroma_host

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        """Turn "cannot talk to the Chroma server" into VectorStoreUnavailable."""
        try:
            yield
        except httpx.TransportError as exc:  # refused, reset mid-request, timed out
            with self._lock:
                self._collections.clear()  # a restarted server may hold new collection ids
            raise self._unavailable(exc) from exc

    def _unavailable(self, cause: Exception) -> VectorStoreUnavailable:
        where = f"{self._settings.chroma_host}:{self._settings.chroma_port}"
        return VectorStoreUnavailable(f"Chroma at {where} is unreachable ({cause})")

    def _api(self):
        if self._client is None:
            import chromadb

            with self._lock:
                if self._client is None:
                    try:
                        self._client = chromadb.HttpClient(
                            host=self._settings.chroma_host, port=self._settings.chroma_port,
                            settings=self._chroma_settings,
                        )
                    except ValueError as exc:  # chromadb's wrapping of a failed connection
                        if isinstance(exc.__context__, httpx.TransportError):
                            raise self._unavailable(exc.__context__) from exc
                        raise
        return self._client

    def live_version(self, merchant_id: str, embedder_name: str) -> int:
        key = (merchant_id, embedder_name)
        if key not in self._live:
            from knowledge import repository
            from xiaoer.db import session_scope

            with session_scope() as session:
                self._live[key] = repository.live_vector_version(session, merchant_id, embedder_name)
        return self._live[key]

    def reload_version(self, merchant_id: str, embedder_name: str) -> None:
        """Read the live version from SQL again at next use (another process may have rebuilt)."""
        with self._lock:
            self._live.pop((merchant_id, embedder_name), None)

    def _name(self, merchant_id: str, embedder_name: str, version: int | None) -> str:
        if version is None:
            version = self.live_version(merchant_id, embedder_name)
        return collection_name(self._settings.chroma_prefix, merchant_id, embedder_name, version)

    def _collection(self, merchant_id: str, embedder_name: str, version: int | None = None):
        name = self._name(merchant_id, embedder_name, version)
        client = self._api()
        with self._lock:
            if name not in self._collections:
                self._collections[name] = client.get_or_create_collection(
                    name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                )
            return self._collections[name]

    def _on_collection(self, merchant_id: str, embedder_name: str, action, version: int | None = None):
        """``action(collection)``; once more on a fresh handle if the collection was dropped
        under us (another process's rebuild): Chroma's server says NotFoundError, an
        embedded store InternalError."""
        from chromadb.errors import InternalError, NotFoundError

        with self._reachable():
            try:
                return action(self._collection(merchant_id, embedder_name, version))
            except (NotFoundError, InternalError) as exc:
                log.info("collection of %s changed under us (%s): finding the live one again", merchant_id, exc)
                with self._lock:
                    self._collections.clear()
                    self._live.pop((merchant_id, embedder_name), None)
                    self.generation += 1
                return action(self._collection(merchant_id, embedder_name, version))

    def upsert(
        self, merchant_id: str, embedder_name: str, chunk_ids: list[int], vectors: np.ndarray, document_ids: list[int],
        *, version: int | None = None,
    ) -> None:
        if not chunk_ids:
            return
        def write(col) -> None:
            step = max(1, min(5000, self._api().get_max_batch_size()))
            for start in range(0, len(chunk_ids), step):
                end = start + step
                col.upsert(
                    ids=[str(i) for i in chunk_ids[start:end]],
                    embeddings=vectors[start:end],
                    metadatas=[{"document_id": d} for d in document_ids[start:end]],
                )

        self._on_collection(merchant_id, embedder_name, write, version)

    def delete(self, merchant_id: str, embedder_name: str, chunk_ids: list[int]) -> None:
        if not chunk_ids:
            return

        def remove(col) -> None:
            for start in range(0, len(chunk_ids), 5000):
                col.delete(ids=[str(i) for i in chunk_ids[start : start + 5000]])

        self._on_collection(merchant_id, embedder_name, remove)

    def count(self, merchant_id: str, embedder_name: str) -> int:
        return self._on_collection(merchant_id, embedder_name, lambda col: col.count())

    def ids(self, merchant_id: str, embedder_name: str) -> set[int]:
        """Every chunk id the live collection holds (to compare with SQL's, not just counts)."""

        def read(col) -> set[int]:
            out: set[int] = set()
            page = 10_000
            while True:
                got = col.get(include=[], limit=page, offset=len(out))["ids"]
                out.update(int(i) for i in got)
                if len(got) < page:
                    return out

        return self._on_collection(merchant_id, embedder_name, read)

    def contents(self, merchant_id: str, embedder_name: str) -> tuple[list[int], np.ndarray]:
        """Every chunk id the live collection holds and its vector, in pages."""

        def read(col) -> tuple[list[int], np.ndarray]:
            ids: list[int] = []
            parts: list[np.ndarray] = []
            page = 10_000
            while True:
                got = col.get(include=["embeddings"], limit=page, offset=len(ids))
                ids += [int(i) for i in got["ids"]]
                if len(got["ids"]):
                    parts.append(np.asarray(got["embeddings"], dtype=np.float32))
                if len(got["ids"]) < page:
                    return ids, np.vstack(parts) if parts else np.zeros((0, 0), dtype=np.float32)

        return self._on_collection(merchant_id, embedder_name, read)

    def query(self, merchant_id: str, embedder_name: str, vector: np.ndarray, k: int) -> list[VectorHit]:
        result = self._on_collection(
            merchant_id, embedder_name,
            lambda col: col.query(query_embeddings=vector.reshape(1, -1), n_results=k, include=["distances"]),
        )
        ids, distances = result["ids"][0], result["distances"][0]
        return [VectorHit(int(i), 1.0 - float(d)) for i, d in zip(ids, distances)]

    def create_version(self, merchant_id: str, embedder_name: str, version: int) -> None:
        """An empty collection for ``version`` (whatever a failed rebuild left there is dropped)."""
        self.drop_version(merchant_id, embedder_name, version)
        with self._reachable():
            self._collection(merchant_id, embedder_name, version)

    def drop_version(self, merchant_id: str, embedder_name: str, version: int) -> None:
        from chromadb.errors import NotFoundError

        name = collection_name(self._settings.chroma_prefix, merchant_id, embedder_name, version)
        with self._lock:
            self._collections.pop(name, None)
        with self._reachable():
            try:
                self._api().delete_collection(name)
            except NotFoundError:  # absent already is fine
                pass

    def drop_merchant(self, merchant_id: str, embedder_name: str) -> None:
        self.drop_version(merchant_id, embedder_name, self.live_version(merchant_id, embedder_name))
        self.reload_version(merchant_id, embedder_name)

    def vectors_for(self, merchant_id: str, embedder_name: str, chunk_ids: list[int]) -> dict[int, np.ndarray]:
        if not chunk_ids:
            return {}
        got = self._on_collection(
            merchant_id, embedder_name, lambda col: col.get(ids=[str(i) for i in chunk_ids], include=["embeddings"])
        )
        return {int(i): np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"])}
