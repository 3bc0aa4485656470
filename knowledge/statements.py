"""The self-contained statements of a passage: what the answerer may quote as a reply.

A policy fact often lives in a line that means nothing alone: a list item under its
lead-in ("以下商品不支持无理由退换货：" … "2. 耳钉、耳环一经拆封"), a table row under
its header ("| 3D全包围脚垫 | 3年 |" under "| 商品 | 质保期 |"), or the second
sentence of a labelled item ("**猫爬架**：结构件质保1年。剑麻柱属于易耗品…"). Quoted
alone, such a line answers nothing, and judged alone it lacks the words that say what it
is about. So each statement carries what it leans on: an item its lead-in, a row its
header, a sentence its item's label.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A sentence: up to a CJK end mark, ! or ?, or the end of the line.
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•+]|\d{1,2}[.、)）])\s+|^\s*\d{1,2}[、)）]\s*")
_LEAD_IN = re.compile(r"[：:]\s*$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]*-[\s:|-]*\|?\s*$")
# "**猫爬架**：…" or "退款时效：…": a short label that names what the item is about.
_LABEL = re.compile(r"^(?P<label>[^：:。！？!?\n]{1,16})(?<!\d)[：:](?![\d/])\s*(?=\S)")
# An English full stop between sentences ("…the same day. DHL parcels…"), not in "3.5" or "e.g. x".
_ENGLISH_STOP = re.compile(r"(?<=[a-z0-9)\]%'\"][.])\s+(?=[A-Z\"“(])")
_EMPHASIS = re.compile(r"\*\*|__|`")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def statements(text: str) -> list[str]:
    """The passage's statements in document order (each at least two characters)."""
    return [statement for statement, _ in _statements(text)]


def table_rows(text: str) -> set[str]:
    """Those of the passage's statements that are rows of a table (each row's own thing)."""
    return {statement for statement, row in _statements(text) if row}


@lru_cache(maxsize=16384)
def _statements(text: str) -> tuple[tuple[str, bool], ...]:
    # Cached: a turn splits the same few retrieved chunks several times (similarity, the
    # English second opinion, the quoted reply), and the same chunks answer most turns.
    out: list[str] = []
    rows: set[int] = set()  # indices in out of table rows
    lead_in: str | None = None
    lead_depth = -1  # the indent of the item that is the lead-in; -1: a plain line
    header: list[str] | None = None
    for raw in text.splitlines():
        line = _EMPHASIS.sub("", raw).strip()
        if not line:
            lead_in = header = None
            continue
        depth = len(raw) - len(raw.lstrip())
        if _TABLE_ROW.match(line):
            if _TABLE_RULE.match(line):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if header is None:
                header = cells
            else:
                rows.add(len(out))
                out.append(_table_row(header, cells))
            continue
        header = None
        item = _LIST_ITEM.match(line)
        if item:
            body = line[item.end():].strip()
            if lead_in is not None and lead_depth >= 0 and depth <= lead_depth:
                lead_in = None  # a sibling of the item that led in, not one of its items
            if _LEAD_IN.search(body):  # "- 退货运费：" with its own items below
                lead_in, lead_depth = body, depth
                continue
            prefix = f"{lead_in} " if lead_in and not _CJK.search(lead_in) else (lead_in or "")
            out.extend(_labelled(body, prefix))
            continue
        lead_in, lead_depth = (line if _LEAD_IN.search(line) else None), -1
        if lead_in is None:
            out.extend(_labelled(line, ""))
    return tuple((s.strip(), i in rows) for i, s in enumerate(out) if len(s.strip()) > 1)


def _labelled(line: str, prefix: str) -> list[str]:
    """A line's sentences; those after the first carry the line's label, if it has one."""
    sentences = [p.strip() for s in _SENTENCE.findall(line) for p in _ENGLISH_STOP.split(s) if p.strip()]
    if not sentences:
        return []
    label = _LABEL.match(sentences[0])
    first = prefix + sentences[0]
    if label is None or len(sentences) == 1:
        return [first] + [prefix + s for s in sentences[1:]]
    name = label.group("label").strip()
    sep = "：" if _CJK.search(name) else ": "
    return [first] + [f"{prefix}{name}{sep}{s}" for s in sentences[1:]]


def _table_row(header: list[str], cells: list[str]) -> str:
    """"3D全包围脚垫：质保期 3年；说明 保证不开裂" from a row and its header."""
    cjk = bool(_CJK.search(" ".join(header + cells)))
    pairs = [f"{h} {c}".strip() for h, c in zip(header[1:], cells[1:]) if c]
    if not pairs:
        return cells[0] if cells else ""
    return f"{cells[0]}：{'；'.join(pairs)}" if cjk else f"{cells[0]}: {'; '.join(pairs)}"


_LEAD = re.compile(r"^[^：:]{1,40}?(?:：|: )")


def without_repeated_leads(chosen: list[str]) -> list[str]:
    """Statements quoted together say their shared lead-in once: "退款时效：…。支付宝…"."""
    out: list[str] = []
    for s in chosen:
        lead = _LEAD.match(s)
        if out and lead and out[-1].startswith(lead.group(0)) and len(s) > lead.end():
            s = s[lead.end():]
        out.append(s)
    return out
