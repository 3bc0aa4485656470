"""Prompt injection in uploaded knowledge: hidden text and sentences that address the model.

Merchants paste supplier pages and PDFs into their knowledge base, and those can carry
text a person never sees (HTML comments in Markdown, zero-width and control characters,
white or tiny PDF text) telling a language model what to do. At parse time
(knowledge/parsers.py) the hidden characters are removed and instruction-like sentences
("ignore your previous instructions", "reveal your system prompt", 忽略之前的指令,
系统提示词) are dropped, so neither the LLM nor the extractive answerer ever reads or quotes
them. What an LLM writes is checked on its own (bot/guard.py): this is one layer, not the
guard.
"""

from __future__ import annotations

import re
import unicodedata

# Rendered Markdown shows nothing of a comment; an unclosed one hides the rest of the file.
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
# C0/C1 controls (not tab or newline), soft hyphen, zero-width and bidi controls, BOM and
# the invisible "tag" characters used to smuggle ASCII.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)
_SENTENCE = re.compile(r"(?<=[。！？!?；;\n])|(?<=\.)(?=\s)")

_NOT = r"(?<!not )(?<!n't )(?<!never )"  # "do not ignore the care instructions" is shop text
_INSTRUCTION_LIKE = re.compile(
    "|".join([
        _NOT + r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:\S+\s+){0,2}?"
        r"(?:previous|prior|above|earlier|preceding|original|system|your|all|any)\s+(?:\S+\s+){0,2}?"
        r"(?:instructions?|rules|prompts?|guidelines|directives|constraints)\b",
        r"\b(?:system|developer|hidden|initial)\s+(?:prompt|message)s?\b",
        r"\b(?:reveal|print|show|repeat|output|dump|leak)\s+(?:me\s+)?your\s+(?:prompt|instructions|rules|guidelines)\b",
        r"\byou are now\s+(?:\S+\s+){0,3}?(?:assistant|ai|bot|model|admin\w*|developer|manager|dan)\b",
        r"\b(?:developer|god|dan|jailbreak)\s+mode\b|<\|?/?(?:im_start|im_end|system|endoftext)\|?>|\[/?(?:inst|system)\]",
        r"(?:忽略|无视|忽视|忘记|忘掉|不要理会|不要遵守|绕过)掉?(?:之前|以上|上面|前面|先前|此前|原来|原有|所有|全部|一切|你的|系统)"
        r"[^。！？\n]{0,10}?(?:指令|指示|提示|规则|设定|限制|约束)",
        r"系统(?:提示|指令|消息|设定)|提示词",
        r"(?:输出|打印|显示|泄露|透露|告诉我|重复)(?:一下)?你的(?:指令|提示|设定|规则)",
        r"你现在是(?:一[个名位])?(?:店长|老板|管理员|开发者|经理|主管)|(?:开发者|管理员|调试|越狱)模式",
    ]),
    re.I,
)


def strip_html_comments(text: str) -> str:
    return _HTML_COMMENT.sub("", text)


def strip_invisible(text: str) -> str:
    """``text`` without control, zero-width and bidi characters (shopper messages too: a NUL
    or a terminal escape must not reach the transcript, an RTL override must not reorder it)."""
    return _INVISIBLE.sub("", text)


def is_instruction_like(sentence: str) -> bool:
    """Does the sentence address a language model? Read as displayed: full-width letters
    and spacing tricks do not hide it."""
    shown = " ".join(unicodedata.normalize("NFKC", strip_invisible(sentence)).split())
    return bool(_INSTRUCTION_LIKE.search(shown))


def sanitise(text: str) -> tuple[str, list[str]]:
    """``text`` without invisible characters and instruction-like sentences, and the
    sentences dropped."""
    kept, dropped = [], []
    for sentence in _SENTENCE.split(strip_invisible(text)):
        (dropped if is_instruction_like(sentence) else kept).append(sentence)
    return ("".join(kept).strip() if dropped else "".join(kept)), [s.strip() for s in dropped]
