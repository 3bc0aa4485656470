"""What a shopper sees as the source of an answer: a readable title, never a file name.

An FAQ row cites the shop's FAQ and a catalog row its product catalogue (in the row's
language); a passage cites its document's top heading (a Markdown ``# title``), and a
document without headings the file's name made readable ("return_policy_en.pdf" →
"Return policy"). The file name itself stays in the citation for merchants' tools.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

KIND_TITLES = {
    "faq": {"zh": "常见问题", "en": "FAQ"},
    "product": {"zh": "商品目录", "en": "Product catalogue"},
}
HEADING_SEPARATOR = " > "  # knowledge/parsers.py joins a passage's heading path with it
_LANG_SUFFIX = re.compile(r"[ _.-](zh|en|cn|zh-cn|en-us)$", re.IGNORECASE)


def readable_name(document: str) -> str:
    """A file name as words: no folder, extension, language tag or separators."""
    stem = PurePosixPath(document.replace("\\", "/")).stem
    stem = _LANG_SUFFIX.sub("", stem)
    words = re.sub(r"[_\-.]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else document


def source_title(kind: str, chunk_title: str, document: str, lang: str) -> str:
    """The title a citation shows for a chunk of ``kind`` (faq | product | passage)."""
    if kind in KIND_TITLES:
        return KIND_TITLES[kind]["zh" if lang == "zh" else "en"]
    top = chunk_title.split(HEADING_SEPARATOR)[0].strip()
    return top or readable_name(document)


def section_title(kind: str, chunk_title: str) -> str:
    """What a citation shows under the source: the FAQ's question, the product's name, or
    a passage's headings below the top one."""
    if kind in KIND_TITLES:
        return chunk_title
    return HEADING_SEPARATOR.join(chunk_title.split(HEADING_SEPARATOR)[1:])
