"""Chunk rows (with their document's name) kept per merchant and knowledge version: the
rows of a turn's hits are read from SQL the first time a version meets them, not on
every search (loading them was ~5 % of a turn's CPU).

Safe across processes because the key is the knowledge version the turn read from SQL:
an upload, delete or rebuild anywhere bumps it, and a chunk never changes under its id
(a replaced document gets new chunks). The rows are detached and only read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from knowledge import repository
from knowledge.models import Chunk
from xiaoer.db import session_scope

MAX_ROWS = 20_000  # over all merchants; the least recently used merchant's rows go first


class ChunkRows:
    def __init__(self, max_rows: int = MAX_ROWS) -> None:
        self.max_rows = max_rows
        self._held: OrderedDict[str, tuple[int, dict[int, tuple[Chunk, str]]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, merchant_id: str, version: int, ids: list[int]) -> dict[int, tuple[Chunk, str]]:
        """repository.chunks_with_documents for ``ids`` at ``version`` (0: read SQL every time)."""
        with self._lock:
            held = self._held.get(merchant_id)
            rows = held[1] if held is not None and held[0] == version else {}
            if rows:
                self._held.move_to_end(merchant_id)
        missing = [i for i in ids if i not in rows]
        found = {i: rows[i] for i in ids if i in rows}
        if missing:
            with session_scope() as session:
                read = repository.chunks_with_documents(session, merchant_id, missing)
            found.update(read)
            if version:
                self._keep(merchant_id, version, read)
        return found

    def _keep(self, merchant_id: str, version: int, read: dict[int, tuple[Chunk, str]]) -> None:
        with self._lock:
            held = self._held.get(merchant_id)
            rows = dict(held[1]) if held is not None and held[0] == version else {}
            rows.update(read)
            self._held[merchant_id] = (version, rows)
            self._held.move_to_end(merchant_id)
            while self._held and sum(len(r) for _, r in self._held.values()) > self.max_rows:
                self._held.popitem(last=False)
