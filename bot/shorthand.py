"""Shoppers' pinyin shorthand, read as the words it stands for.

Taobao shoppers type the initials of common words: "发啥kd" (快递), "能发sf吗" (顺丰),
"有yfx吗" (运费险). No merchant writes them in a FAQ, so retrieval and the answerability
check see a word the shop never uses, and a question the knowledge answers is declined.
Only in a Chinese message, and only as a word of its own ("kd", not part of "kdj"): in an
English one "by" and "st" are English. The transcript keeps what the shopper typed.
"""

from __future__ import annotations

import re

from retrieval.tokenize import SHORTHAND
from xiaoer.lang import is_cjk

_WORD = re.compile(r"(?<![A-Za-z])(" + "|".join(sorted(SHORTHAND, key=len, reverse=True)) + r")(?![A-Za-z])", re.IGNORECASE)


def expand_shorthand(message: str) -> str:
    """The message with each shorthand word replaced by the word it stands for."""
    if not any(is_cjk(ch) for ch in message):
        return message
    return _WORD.sub(lambda m: SHORTHAND[m.group(1).lower()], message)
