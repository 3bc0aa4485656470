"""Cheap language detection: Chinese vs English by character ranges."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str:
    """'zh' when Chinese characters make up a real share of the letters, else 'en'.

    Each Chinese character carries about as much as a short English word, so one
    CJK character is weighed like four Latin letters.
    """
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    if cjk == 0:
        return "en"
    return "zh" if cjk * 4 >= latin else "en"


def has_letters(text: str) -> bool:
    """False for messages of emoji, digits or punctuation only: they say nothing of language."""
    return bool(_CJK.search(text) or _LATIN.search(text))


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))
