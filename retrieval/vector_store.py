"""The dense index: one Chroma collection per merchant and embedder.

Chroma is always handed our own vectors; its default embedding function would
try to download a model. A Chroma server that cannot be reached raises
``VectorStoreUnavailable``: search then falls back to BM25, writes are refused whole.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import numpy as np

from xiaoer.settings import Settings, get_settings

_MERCHANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def validate_merchant_id(merchant_id: str) -> str:
    if not _MERCHANT_ID.match(merchant_id or ""):
        raise ValueError(
            f"invalid merchant id {merchant_id!r}: 1-64 letters, digits, '-' or '_', starting with a letter or digit"
        )
    return merchant_id


def collection_name(merchant_id: str, embedder_name: str) -> str:
    # Chroma names: 3-512 chars of [a-zA-Z0-9._-]; merchant ids are validated to fit.
    return f"xiaoer-{validate_merchant_id(merchant_id)}-{embedder_name}"


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
        self._lock = threading.Lock()

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

    def _collection(self, merchant_id: str, embedder_name: str):
        name = collection_name(merchant_id, embedder_name)
        client = self._api()
        with self._lock:
            if name not in self._collections:
                self._collections[name] = client.get_or_create_collection(
                    name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                )
            return self._collections[name]

    def upsert(
        self, merchant_id: str, embedder_name: str, chunk_ids: list[int], vectors: np.ndarray, document_ids: list[int]
    ) -> None:
        if not chunk_ids:
            return
        with self._reachable():
            col = self._collection(merchant_id, embedder_name)
            step = max(1, min(5000, self._api().get_max_batch_size()))
            for start in range(0, len(chunk_ids), step):
                end = start + step
                col.upsert(
                    ids=[str(i) for i in chunk_ids[start:end]],
                    embeddings=vectors[start:end],
                    metadatas=[{"document_id": d} for d in document_ids[start:end]],
                )

    def delete(self, merchant_id: str, embedder_name: str, chunk_ids: list[int]) -> None:
        if chunk_ids:
            with self._reachable():
                col = self._collection(merchant_id, embedder_name)
                step = 5000
                for start in range(0, len(chunk_ids), step):
                    col.delete(ids=[str(i) for i in chunk_ids[start : start + step]])

    def count(self, merchant_id: str, embedder_name: str) -> int:
        with self._reachable():
            return self._collection(merchant_id, embedder_name).count()

    def query(self, merchant_id: str, embedder_name: str, vector: np.ndarray, k: int) -> list[VectorHit]:
        with self._reachable():
            col = self._collection(merchant_id, embedder_name)
            result = col.query(query_embeddings=vector.reshape(1, -1), n_results=k, include=["distances"])
        ids, distances = result["ids"][0], result["distances"][0]
        return [VectorHit(int(i), 1.0 - float(d)) for i, d in zip(ids, distances)]

    def drop_merchant(self, merchant_id: str, embedder_name: str) -> None:
        from chromadb.errors import NotFoundError

        name = collection_name(merchant_id, embedder_name)
        with self._lock:
            self._collections.pop(name, None)
        with self._reachable():
            try:
                self._api().delete_collection(name)
            except NotFoundError:  # absent already is fine
                pass

    def vectors_for(self, merchant_id: str, embedder_name: str, chunk_ids: list[int]) -> dict[int, np.ndarray]:
        if not chunk_ids:
            return {}
        with self._reachable():
            col = self._collection(merchant_id, embedder_name)
            got = col.get(ids=[str(i) for i in chunk_ids], include=["embeddings"])
        return {int(i): np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"])}
