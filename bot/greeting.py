"""The widget's suggestion chips: only questions this shop's knowledge answers.

A category preset offers everyday questions ("几天发货？", "How do returns work?"), but a
shop may not have written about one, or have written about it in two rows the bot cannot
tell apart; a chip the bot then answers with "not sure" is the first thing a shopper tries.
Each preset chip is asked of the shop's knowledge once per knowledge version; one the bot
would decline gives way to the closest FAQ question of the shop that it does answer.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.turn import ShopAssistant

STAND_IN_DEPTH = 5  # FAQ rows tried in place of a chip the bot would decline


class SuggestionChips:
    def __init__(self, assistant: ShopAssistant) -> None:
        self.assistant = assistant
        self._cache: dict[tuple, tuple[int, list[str]]] = {}
        self._lock = threading.Lock()

    def answerable(self, merchant_id: str, version: int, chips: list[str], lang: str, threshold: float | None = None) -> list[str]:
        """``chips`` the bot answers (at the merchant's ``threshold``), each declined one
        replaced by a FAQ question it answers (or dropped); with no knowledge yet, the chips
        as they are."""
        if version == 0:
            return chips
        key = (merchant_id, lang, tuple(chips), threshold)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        kept: list[str] = []
        for chip in chips:
            chosen = chip if self._answers(merchant_id, chip, lang, threshold) else self._stand_in(merchant_id, chip, lang, threshold)
            if chosen and chosen not in kept:
                kept.append(chosen)
        with self._lock:
            self._cache[key] = (version, kept)
        return kept

    def _answers(self, merchant_id: str, question: str, lang: str, threshold: float | None) -> bool:
        return not self.assistant.answer(merchant_id, question, lang, use_llm=False, threshold=threshold).handoff

    def _stand_in(self, merchant_id: str, chip: str, lang: str, threshold: float | None) -> str | None:
        evidence, _ = self.assistant.evidence(merchant_id, chip)
        for ev in evidence[:STAND_IN_DEPTH]:
            question = ev.chunk.title.strip()
            if ev.chunk.kind == "faq" and ev.chunk.lang == lang and question and self._answers(merchant_id, question, lang, threshold):
                return question
        return None
