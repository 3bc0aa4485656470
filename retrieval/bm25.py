"""In-memory BM25 per merchant, rebuilt from the SQL chunk tokens when the
merchant's knowledge version changes."""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import bm25s
import numpy as np

from retrieval.tokenize import words_holding


@dataclass(frozen=True)
class LexicalHit:
    chunk_id: int
    score: float


class Bm25Index:
    def __init__(self, chunk_ids: list[int], corpus_tokens: list[list[str]]) -> None:
        self.chunk_ids = np.asarray(chunk_ids, dtype=np.int64)
        # How many chunks hold each word: a question word the knowledge rarely or never uses
        # says what the question is about, and whether the knowledge covers it.
        self.document_frequency: Counter[str] = Counter(t for tokens in corpus_tokens for t in set(tokens))
        # How many chunks hold each Chinese character, inside whatever word: a service said as one
        # character (退) is as rare as the rows that speak of it (退货, 退款).
        self.character_frequency: Counter[str] = Counter(
            c for tokens in corpus_tokens for c in set("".join(tokens)) if "\u4e00" <= c <= "\u9fff")
        self._holding: dict[str, list[str]] = {}  # character -> words_holding(character), read per turn
        self._bm25: bm25s.BM25 | None = None
        if chunk_ids:
            self._bm25 = bm25s.BM25()
            # Empty documents would make bm25s drop rows; a placeholder keeps ids aligned.
            self._bm25.index([t or ["∅"] for t in corpus_tokens], show_progress=False)

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency; a word no chunk holds gets the highest."""
        n = len(self.chunk_ids)
        return math.log((n + 1) / (self.document_frequency.get(token, 0) + 0.5))

    def character_idf(self, char: str) -> float:
        """The same, of a character among the chunks' words."""
        n = len(self.chunk_ids)
        return math.log((n + 1) / (self.character_frequency.get(char, 0) + 0.5))

    def words_holding(self, char: str) -> list[str]:
        """``retrieval.tokenize.words_holding`` of this index's words, scanned once per character
        (a turn's search would otherwise read the whole vocabulary for it)."""
        if char not in self._holding:
            self._holding[char] = words_holding(char, self.document_frequency)
        return self._holding[char]

    def search(self, tokens: list[str], k: int) -> list[LexicalHit]:
        if self._bm25 is None or not tokens:
            return []
        k = min(k, len(self.chunk_ids))
        # n_threads=0: in this thread (1 would start a thread pool on every search).
        docs, scores = self._bm25.retrieve([tokens], k=k, show_progress=False, n_threads=0)
        return [
            LexicalHit(int(self.chunk_ids[d]), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0.0
        ]


class Bm25Cache:
    """One index per merchant, keyed by the merchant's knowledge version."""

    def __init__(self) -> None:
        self._indexes: dict[str, tuple[int, Bm25Index]] = {}
        self._lock = threading.Lock()

    def get(
        self, merchant_id: str, version: int, load: Callable[[], tuple[list[int], list[list[str]]]]
    ) -> Bm25Index:
        cached = self._indexes.get(merchant_id)
        if cached and cached[0] == version:
            return cached[1]
        with self._lock:
            cached = self._indexes.get(merchant_id)
            if cached and cached[0] == version:
                return cached[1]
            index = Bm25Index(*load())
            self._indexes[merchant_id] = (version, index)
            return index

    def forget(self, merchant_id: str) -> None:
        self._indexes.pop(merchant_id, None)
