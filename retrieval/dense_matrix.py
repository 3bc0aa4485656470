"""A merchant's chunk vectors held in memory for the embedded store: a search is one
matrix product instead of a Chroma query (which cost a tenth of a turn's CPU on the demo
shop, most of it Chroma's own bookkeeping around a few hundred vectors).

For the embedded store always, for a Chroma server by choice (``vectors_in_memory``):
the matrix is loaded from the store right after the retriever checked it against SQL's
chunk ids at a knowledge version, so it holds exactly SQL's chunks at that version, and a
new version (any upload, delete or rebuild, on any host, bumps it) loads it again. Without
the setting a Chroma server stays the one place searches go, so its outages are seen as
they happen; with it, searches go on from memory through an outage, and an outage or a
server that lost vectors shows at the next check.
Similarities are the cosine Chroma's ``cosine`` space ranks by (1 - its distance).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from retrieval.vector_store import VectorHit

# Vectors kept over all merchants (~100 MB at USE's 512 dimensions); the least recently
# searched merchant is dropped first, and a bigger merchant is searched in Chroma.
MAX_VECTORS = 50_000


class DenseMatrix:
    def __init__(self, ids: list[int], vectors: np.ndarray) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1) if ids else np.zeros((0, 1), np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.unit = vectors / np.where(norms > 0, norms, 1.0)
        self.by_id = {int(i): row for i, row in zip(self.ids, vectors)}

    def __len__(self) -> int:
        return len(self.ids)

    def query(self, vector: np.ndarray, k: int) -> list[VectorHit]:
        if not len(self.ids) or k <= 0:
            return []
        norm = float(np.linalg.norm(vector))
        similarities = self.unit @ (np.asarray(vector, dtype=np.float32) / (norm if norm > 0 else 1.0))
        top = np.lexsort((self.ids, -similarities))[:k]  # best first; ties by id
        return [VectorHit(int(self.ids[i]), float(similarities[i])) for i in top]

    def vectors_for(self, chunk_ids: list[int]) -> dict[int, np.ndarray]:
        return {i: self.by_id[i] for i in chunk_ids if i in self.by_id}


class DenseMatrixCache:
    """Per merchant: the matrix for one (knowledge version, store generation) check."""

    def __init__(self, max_vectors: int = MAX_VECTORS) -> None:
        self.max_vectors = max_vectors
        self._matrices: OrderedDict[str, tuple[tuple[int, int], DenseMatrix | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, merchant_id: str, check: tuple[int, int]) -> DenseMatrix | None:
        """The matrix loaded at this check; None: search the store."""
        with self._lock:
            held = self._matrices.get(merchant_id)
            if held is None or held[0] != check:
                return None
            self._matrices.move_to_end(merchant_id)
            return held[1]

    def held(self, merchant_id: str, check: tuple[int, int]) -> bool:
        """Loaded at this check (or found too big to hold)."""
        held = self._matrices.get(merchant_id)
        return held is not None and held[0] == check

    def put(self, merchant_id: str, check: tuple[int, int], matrix: DenseMatrix) -> None:
        with self._lock:
            self._matrices.pop(merchant_id, None)
            # Too big to hold: remembered as None (searched in the store), not loaded again.
            self._matrices[merchant_id] = (check, matrix if len(matrix) <= self.max_vectors else None)
            while sum(len(m) for _, m in self._matrices.values() if m is not None) > self.max_vectors:
                self._matrices.popitem(last=False)

    def forget(self, merchant_id: str | None = None) -> None:
        with self._lock:
            if merchant_id is None:
                self._matrices.clear()
            else:
                self._matrices.pop(merchant_id, None)
