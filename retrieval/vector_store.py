"""The dense index: one Chroma collection per merchant and embedder.

Chroma is always handed our own vectors; its default embedding function would
try to download a model.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

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


@dataclass(frozen=True)
class VectorHit:
    chunk_id: int
    similarity: float


class VectorStore:
    def __init__(self, settings: Settings | None = None) -> None:
        import chromadb

        settings = settings or get_settings()
        chroma_settings = chromadb.Settings(anonymized_telemetry=False, allow_reset=False)
        if settings.chroma_host:
            self._client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        else:
            settings.chroma_path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
        self._collections: dict[str, object] = {}
        self._lock = threading.Lock()

    def _collection(self, merchant_id: str, embedder_name: str):
        name = collection_name(merchant_id, embedder_name)
        with self._lock:
            if name not in self._collections:
                self._collections[name] = self._client.get_or_create_collection(
                    name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                )
            return self._collections[name]

    def upsert(
        self, merchant_id: str, embedder_name: str, chunk_ids: list[int], vectors: np.ndarray, document_ids: list[int]
    ) -> None:
        if not chunk_ids:
            return
        col = self._collection(merchant_id, embedder_name)
        step = max(1, min(5000, self._client.get_max_batch_size()))
        for start in range(0, len(chunk_ids), step):
            end = start + step
            col.upsert(
                ids=[str(i) for i in chunk_ids[start:end]],
                embeddings=vectors[start:end],
                metadatas=[{"document_id": d} for d in document_ids[start:end]],
            )

    def delete(self, merchant_id: str, embedder_name: str, chunk_ids: list[int]) -> None:
        if chunk_ids:
            col = self._collection(merchant_id, embedder_name)
            step = 5000
            for start in range(0, len(chunk_ids), step):
                col.delete(ids=[str(i) for i in chunk_ids[start : start + step]])

    def count(self, merchant_id: str, embedder_name: str) -> int:
        return self._collection(merchant_id, embedder_name).count()

    def query(self, merchant_id: str, embedder_name: str, vector: np.ndarray, k: int) -> list[VectorHit]:
        col = self._collection(merchant_id, embedder_name)
        result = col.query(query_embeddings=vector.reshape(1, -1), n_results=k, include=["distances"])
        ids, distances = result["ids"][0], result["distances"][0]
        return [VectorHit(int(i), 1.0 - float(d)) for i, d in zip(ids, distances)]

    def drop_merchant(self, merchant_id: str, embedder_name: str) -> None:
        name = collection_name(merchant_id, embedder_name)
        with self._lock:
            self._collections.pop(name, None)
        try:
            self._client.delete_collection(name)
        except Exception:  # noqa: BLE001 - absent already is fine
            pass

    def vectors_for(self, merchant_id: str, embedder_name: str, chunk_ids: list[int]) -> dict[int, np.ndarray]:
        if not chunk_ids:
            return {}
        col = self._collection(merchant_id, embedder_name)
        got = col.get(ids=[str(i) for i in chunk_ids], include=["embeddings"])
        return {int(i): np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"])}
