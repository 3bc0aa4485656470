"""How angry a message sounds, 0-1, from a small zh/en lexicon plus intensity cues.

A lexicon is enough for this one decision (escalate an angry complaint to a person): the
strong words are few and explicit, and a false alarm only costs a human look. Scores add:
a strong term 0.5, a mild term 0.25, shouting (!!!, ？？？, ALL-CAPS words) 0.2 each,
capped at 1.
"""

from __future__ import annotations

import re

STRONG_NEGATIVE_LINE = 0.5  # at or above: "strong negative sentiment"

_STRONG = re.compile(
    r"垃圾|骗子|骗人|欺诈|诈骗|坑人|坑爹|黑店|无良|恶心|气死|太气人|滚|投诉你们|投诉到|12315|消协|工商|曝光|差评|"
    r"退一赔三|假货|报警|起诉|律师|什么破|破店|烂透|忍无可忍|投诉|最差|有病|害人|市场监管|"
    r"\bscam\b|\bfraud\b|rip-?off|ripped off|\bworst\b|disgust|furious|outraged|unacceptable|ridiculous|"
    r"\bliars?\b|\bsue\b|lawyer|report you|bbb|\bpathetic\b|\buseless\b|never (again|buy|shop)|fed up|sick of|"
    r"😡|🤬|😠|💢",
    re.IGNORECASE,
)
_MILD = re.compile(
    r"失望|生气|不满|太差|很差|真差|好差|差劲|离谱|无语|过分|糟糕|太慢了|什么态度|怎么回事|搞什么|怎么做事|怎么做生意|丢死人|破烂|不满意|不太满意|"
    r"disappoint|angry|annoyed|upset|terrible|awful|horrible|\bbad service\b|poor service|not happy|unhappy|frustrat",
    re.IGNORECASE,
)
_SHOUT = re.compile(r"[!！]{2,}|[?？]{3,}")
_CAPS_WORD = re.compile(r"\b[A-Z]{4,}\b")


def anger(text: str) -> float:
    score = 0.5 * len(_STRONG.findall(text)) + 0.25 * len(_MILD.findall(text))
    score += 0.2 * len(_SHOUT.findall(text)) + 0.2 * min(len(_CAPS_WORD.findall(text)), 2)
    return min(score, 1.0)
