"""What an LLM wrote is checked here before a shopper sees it.

The prompt tells the model the rules, but a shopper's message or a document can talk a
model out of them, so the rules that matter are enforced in code. An answer is rejected
(the turn falls back to the extractive answer) when it:

- reproduces the system prompt (shared word 5-grams, so reordering or partial copies count)
  or the prompt's numbered passages with their document names (a dump);
- promises money: every amount, percentage or discount must appear in the passages it was
  given (not in the question: "give me a 100% coupon" must not back "your 100% coupon"),
  and grant phrases ("your refund has been approved", "coupon code", 已为您退款) must be
  quoted from them. Offers come from the policy engine only (bot/recovery.py);
- cites a passage it was not given, or names a document that is neither given nor quoted.

Streamed answers go through `StreamGate`: text is released clause by clause while it passes,
and held to the end as soon as it starts to echo the prompt, so a leak or a promise stops
before it reaches the socket.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from knowledge.parsers import SUPPORTED_SUFFIXES

# 12 shared 5-grams ≈ 16 words of the system prompt in a row: more than an answer echoing one rule
# ("I can't promise refunds, coupons, discounts or compensation") ever shares.
LEAK_SHINGLES = 12
# While streaming, text that shares this many (≈7 words in a row) is held until the whole
# answer can be judged: a leak is stopped before its first sentence is shown.
SUSPECT_SHINGLES = 3
_SHINGLE = 5
_WORD = re.compile(r"[\u4e00-\u9fff]|[^\W_]+")

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_MONEY = re.compile(
    r"[¥￥$€£]\s*\d[\d,]*(?:\.\d+)?|(?:rmb|cny|usd)\s*\d[\d,]*(?:\.\d+)?"
    r"|\d[\d,]*(?:\.\d+)?\s*(?:%|％|元|块|折|(?:yuan|rmb|cny|usd|dollars?)\b)"
    r"|百分之[零一二两三四五六七八九十百]+|[零一二两三四五六七八九十百千万]+[元块]|[一二三四五六七八九]折",
    re.I,
)
_GRANT = re.compile(
    r"\b(?:coupon|voucher|promo|discount|gift|redeem|redemption)\s*codes?\b"
    r"|\b(?:refund|compensation|coupon|voucher|discount|credit|payment|money|cashback|reimbursement)s?\b[^.!?\n]{0,40}?"
    r"\b(?:has|have|was|were)\s+(?:been\s+)?(?:approved|issued|granted|credited|applied|sent|processed|authori[sz]ed)\b"
    r"|\b(?:i|we)(?:'ve|\s+have|\s+just)?\s+(?:approved|issued|granted|credited|authori[sz]ed)\b"
    r"|\b(?:refund|compensation|claim)\s+approved\b"
    r"|(?:已经?|现已)(?:为您|给您|帮您|向您)?(?:批准|审核通过|发放|退款|补偿|赔付|返现|退还|到账|充值)"
    r"|(?:优惠券|优惠码|券码|兑换码|折扣码|红包)码?(?:是|为|[:：])|免单",
    re.I,
)
_CITATION = re.compile(r"\[(\d{1,3})\]")
_PASSAGE_HEADER = re.compile(r"\[\d{1,3}\]\s*\(([^()\n]{1,255})\)")  # "[2] (faq.csv)", as the prompt lists passages
_FILE_NAME = re.compile(r"[\w.-]+(?:" + "|".join(re.escape(s) for s in SUPPORTED_SUFFIXES) + r")\b", re.I)


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.casefold())
    return {tuple(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1)}


def _number(text: str) -> str:
    return text.replace(",", "").rstrip("0").rstrip(".") if "." in text else text.replace(",", "")


class AnswerGuard:
    """The checks for one turn's prompt: the system prompt and the passages as sent."""

    def __init__(self, system_prompt: str, passages: list[str], documents: list[str]) -> None:
        self.prompt_shingles = _shingles(system_prompt)
        self.passages = " ".join(" ".join(passages).casefold().split())
        self.numbers = {_number(n) for n in _NUMBER.findall(self.passages)}
        self.count = len(passages)
        self.documents = [d.casefold() for d in documents]

    def echoes_prompt(self, text: str) -> bool:
        return len(_shingles(text) & self.prompt_shingles) >= SUSPECT_SHINGLES

    def reason(self, answer: str) -> str | None:
        """Why the answer must not reach the shopper, or None."""
        if len(_shingles(answer) & self.prompt_shingles) >= LEAK_SHINGLES:
            return "prompt_leak"
        if any(name.strip().casefold() in self.documents for name in _PASSAGE_HEADER.findall(answer)):
            return "passage_dump"
        for money in _MONEY.findall(answer):
            number = _NUMBER.search(money)  # "¥5000", "100%"; "五千元" has none and must be quoted as written
            if _number(number.group(0)) not in self.numbers if number else self._unquoted(money):
                return "unbacked_amount"
        if any(self._unquoted(m.group(0)) for m in _GRANT.finditer(answer)):
            return "unbacked_promise"
        if any(not 1 <= int(n) <= self.count and self._unquoted(f"[{n}]") for n in _CITATION.findall(answer)):
            return "unknown_source"
        for name in _FILE_NAME.findall(answer):
            if self._unquoted(name) and not any(d.endswith(name.casefold()) for d in self.documents):
                return "unknown_source"
        return None

    def _unquoted(self, text: str) -> bool:
        return " ".join(text.casefold().split()) not in self.passages


# A clause ends at CJK punctuation, a newline, or ASCII punctuation followed by a space
# (not the point in "¥12.50" or "size.pdf").
_CLAUSE_END = re.compile(r"[。，；：！？\n]|[.,;:!?](?=\s)")


class StreamGate:
    """Releases streamed text clause by clause while everything so far passes ``stop``
    (truthy = show nothing more) and ``hold`` (truthy = show the rest only when the whole
    text has passed ``stop``). The turn's final answer stays authoritative."""

    def __init__(self, stop: Callable[[str], object], hold: Callable[[str], bool] = lambda text: False) -> None:
        self.stop = stop
        self.hold = hold
        self.text = ""
        self.sent = 0
        self.stopped = False

    def feed(self, piece: str) -> str:
        """Add a piece of the model's text; returns what may be shown now ('' for nothing)."""
        self.text += piece
        ends = [m.end() for m in _CLAUSE_END.finditer(self.text, self.sent)]
        if not ends or self._stops() or self.hold(self.text):
            return ""
        return self._take(ends[-1])

    def close(self) -> str:
        """The model finished: the rest, if the whole text passes."""
        return "" if self._stops() else self._take(len(self.text))

    def _stops(self) -> bool:
        self.stopped = self.stopped or bool(self.stop(self.text))
        return self.stopped

    def _take(self, end: int) -> str:
        released, self.sent = self.text[self.sent : end], max(self.sent, end)
        return released
