"""Turn uploaded files into chunks: FAQ CSV, Markdown/text, product catalogs, PDF.

Parsing is pure (bytes in, drafts out) so a whole upload can be validated before
anything in the knowledge base changes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from knowledge.facts import aliases_of, extract_facts, extract_variants, parse_number
from xiaoer.injection import sanitise, strip_html_comments
from xiaoer.lang import detect_language, is_cjk

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".csv", ".md", ".markdown", ".txt", ".json", ".pdf")
MAX_CHUNK_CHARS = 600
# Decompressed size of one PDF stream (pypdf's default is 75 MB): no page's text needs more,
# and a few KB of Flate "bomb" must not inflate to hundreds of MB.
MAX_PDF_STREAM_BYTES = 16 * 1024 * 1024

_QUESTION_COLS = ("question", "q", "问题", "问", "常见问题")
_ANSWER_COLS = ("answer", "a", "答案", "回答", "答")
_LIST_FIELDS = {"sizes", "colors", "colours", "sizes_en", "colors_en", "colours_en", "tags", "tags_en"}
_LIST_SPLIT = re.compile(r"\s*[|;/、，,]\s*")


class IngestError(ValueError):
    """A file that cannot be ingested; names the file and the reason. ``too_large``: refused
    for its size (the API's 413), not for what it says."""

    def __init__(self, name: str, reason: str, *, too_large: bool = False):
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason
        self.too_large = too_large


@dataclass
class ChunkDraft:
    kind: str  # faq | product | passage
    lang: str
    title: str
    text: str
    embed_text: str
    answer: str | None = None
    data: dict[str, Any] | None = None


@dataclass
class ParsedDocument:
    name: str
    kind: str  # faq | catalog | text | pdf
    content_hash: str
    size_bytes: int
    chunks: list[ChunkDraft] = field(default_factory=list)


def supported_files(folder: Path) -> list[Path]:
    """The files under a folder that can be ingested, sorted."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)


def safe_name(name: str) -> str:
    """The bare file name: directories and traversal parts are dropped."""
    base = PurePath(name.replace("\\", "/")).name.strip()
    base = "".join(ch for ch in base if ch.isprintable())
    if not base or base in {".", ".."}:
        raise IngestError(name or "<unnamed>", "missing file name")
    return base[:255]


def parse_document(name: str, raw: bytes, *, max_bytes: int) -> ParsedDocument:
    name = safe_name(name)
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(name, f"unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    if len(raw) == 0:
        raise IngestError(name, "file is empty")
    if len(raw) > max_bytes:
        raise IngestError(name, f"file is {len(raw):,} bytes, over the limit of {max_bytes:,}", too_large=True)
    digest = hashlib.sha256(raw).hexdigest()
    if suffix == ".pdf":
        kind, chunks = "pdf", _parse_pdf(name, raw)
    else:
        text = _decode(name, raw)
        if not text.strip():
            raise IngestError(name, "file has no text")
        if suffix == ".json":
            kind, chunks = "catalog", _parse_catalog_json(name, text)
        elif suffix == ".csv":
            kind, chunks = _parse_csv(name, text)
        else:
            kind, chunks = "text", _parse_text(text, markdown=suffix != ".txt")
    chunks = _without_injections(name, chunks)
    if not chunks:
        raise IngestError(name, "no usable content found")
    return ParsedDocument(name=name, kind=kind, content_hash=digest, size_bytes=len(raw), chunks=chunks)


def _without_injections(name: str, chunks: list[ChunkDraft]) -> list[ChunkDraft]:
    """The chunks without invisible characters and instruction-like sentences
    (xiaoer/injection.py): neither the LLM nor the extractive answerer may read or quote them."""
    dropped: list[str] = []

    def clean(value):
        if isinstance(value, str):
            text, found = sanitise(value)
            dropped.extend(found)
            return text
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    kept = []
    for chunk in chunks:
        for attr in ("title", "text", "embed_text", "answer", "data"):
            setattr(chunk, attr, clean(getattr(chunk, attr)))
        if chunk.text.strip() and chunk.embed_text.strip() and (chunk.answer is None or chunk.answer.strip()):
            kept.append(chunk)
    if dropped:
        unique = list(dict.fromkeys(dropped))
        log.warning("%s: dropped %d instruction-like sentence(s), e.g. %r", name, len(unique), unique[0][:120])
    return kept


def _decode(name: str, raw: bytes) -> str:
    if b"\x00" in raw[:4096]:
        raise IngestError(name, "looks like a binary file, not text")
    for encoding in ("utf-8-sig", "gb18030"):  # gb18030 covers GBK exports from Excel
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IngestError(name, "text is neither UTF-8 nor GBK")


# --- CSV -------------------------------------------------------------------------------


def _parse_csv(name: str, text: str) -> tuple[str, list[ChunkDraft]]:
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise IngestError(name, f"malformed CSV: {exc}") from exc
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise IngestError(name, "CSV has no rows")
    header = [h.strip().lower() for h in rows[0]]
    q_col = _find_col(header, _QUESTION_COLS)
    a_col = _find_col(header, _ANSWER_COLS)
    if q_col is not None and a_col is not None:
        return "faq", _faq_chunks(name, rows[1:], q_col, a_col, width=len(header))
    header = [_CATALOG_COLUMNS.get(h, h) for h in header]
    if "sku" in header and ("title" in header or "name" in header):
        records = [dict(zip(header, r)) for r in rows[1:]]
        return "catalog", _catalog_chunks(name, records)
    raise IngestError(
        name,
        "CSV needs question,answer (or 问题,答案) columns for an FAQ, or sku,title,price,stock for a catalog; "
        f"found columns: {', '.join(h for h in header if h) or '(none)'}",
    )


# Chinese catalog exports name the basic columns their own way; other columns stay facts.
_CATALOG_COLUMNS = {
    "货号": "sku", "商品编码": "sku", "编码": "sku", "商品id": "sku", "商品名称": "title", "名称": "title",
    "标题": "title", "商品标题": "title", "品名": "title", "价格": "price", "售价": "price", "单价": "price",
    "库存": "stock", "库存数量": "stock", "别名": "aliases", "描述": "description", "商品描述": "description",
    "类目": "category", "分类": "category",
}


def _find_col(header: list[str], names: tuple[str, ...]) -> int | None:
    for wanted in names:
        if wanted in header:
            return header.index(wanted)
    return None


def _faq_chunks(name: str, rows: list[list[str]], q_col: int, a_col: int, *, width: int) -> list[ChunkDraft]:
    chunks = []
    for row in rows:
        if len(row) <= max(q_col, a_col):
            continue
        question, answer = row[q_col].strip(), row[a_col].strip()
        if a_col == width - 1 and len(row) > width:
            # Hand-written FAQs often leave commas in the answer unquoted: keep the whole answer.
            answer = ",".join(row[a_col:]).strip()
        if not question or not answer:
            continue
        chunks.append(
            ChunkDraft(
                kind="faq",
                lang=detect_language(question + answer),
                title=question,
                text=f"{question}\n{answer}",
                embed_text=question,
                answer=answer,
            )
        )
    if not chunks:
        raise IngestError(name, "FAQ has no rows with both a question and an answer")
    return chunks


# --- Product catalogs ----------------------------------------------------------------------


def _parse_catalog_json(name: str, text: str) -> list[ChunkDraft]:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(name, f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    if isinstance(payload, dict):
        payload = payload.get("products", payload.get("items"))
    if not isinstance(payload, list) or not all(isinstance(p, dict) for p in payload):
        raise IngestError(name, "catalog JSON must be a list of product objects (or {\"products\": [...]})")
    return _catalog_chunks(name, payload)


def _catalog_chunks(name: str, records: list[dict[str, Any]]) -> list[ChunkDraft]:
    chunks: list[ChunkDraft] = []
    for i, record in enumerate(records, start=1):
        product = _normalise_product(name, i, record)
        chunks.extend(_product_views(product))
    if not chunks:
        raise IngestError(name, "catalog has no products")
    return chunks


def _normalise_product(name: str, row: int, record: dict[str, Any]) -> dict[str, Any]:
    product = {str(k).strip().lower(): v for k, v in record.items() if k is not None}
    if "title" not in product and "name" in product:
        product["title"] = product.pop("name")
    for required in ("sku", "title"):
        if not str(product.get(required) or "").strip():
            raise IngestError(name, f"product {row} has no {required}")
    for key, cast in (("price", float), ("stock", int)):
        value = product.get(key)
        try:
            product[key] = parse_number(value, cast)
        except ValueError as exc:
            raise IngestError(name, f"product {row} ({product['sku']}): {key} {value!r} is not a number") from exc
    for key in _LIST_FIELDS & product.keys():
        value = product[key]
        if isinstance(value, str):
            product[key] = [v for v in _LIST_SPLIT.split(value) if v]
        elif not isinstance(value, list):
            product[key] = [str(value)]
    # Whatever else the merchant sent (nested specs, property strings, extra columns, SKU
    # variants) is kept as flat facts the answerer can quote one by one.
    product["facts"] = extract_facts(product, known=_KNOWN_FIELDS)
    product["variants"] = extract_variants(product)
    product["aliases"] = aliases_of(product)
    return product


def _product_views(product: dict[str, Any]) -> list[ChunkDraft]:
    """One chunk per language the product is described in (base fields, *_en fields)."""
    views = []
    base_lang = "zh" if is_cjk(str(product["title"])) else "en"
    views.append(_product_chunk(product, base_lang, suffix=""))
    if base_lang == "zh" and product.get("title_en"):
        views.append(_product_chunk(product, "en", suffix="_en"))
    return views


def _field(product: dict[str, Any], key: str, suffix: str) -> Any:
    value = product.get(key + suffix)
    return value if value not in (None, "", []) else product.get(key)


def _product_chunk(product: dict[str, Any], lang: str, suffix: str) -> ChunkDraft:
    title = str(_field(product, "title", suffix))
    labels = _LABELS[lang]
    parts = [title]
    for key in ("category", "description"):
        if _field(product, key, suffix):
            parts.append(str(_field(product, key, suffix)))
    facts = []
    if product.get("price") is not None:
        facts.append(f"{labels['price']}: ¥{format_price(product['price'])}")
    if product.get("stock") is not None:
        facts.append(f"{labels['stock']}: {product['stock']}")
    for key in ("sizes", "colors", "material"):
        value = _field(product, key, suffix) or _field(product, key.replace("colors", "colours"), suffix)
        if value:
            facts.append(f"{labels[key]}: {', '.join(value) if isinstance(value, list) else value}")
    facts.extend(f"{name}: {value}" for name, value in (product.get("facts") or {}).items())
    facts.extend(f"{v['name']}: ¥{format_price(v['price'])}" for v in product.get("variants") or [] if v.get("price") is not None)
    if product.get("aliases"):
        parts.append(" ".join(product["aliases"]))
    text = "\n".join(parts + facts)
    return ChunkDraft(
        kind="product",
        lang=lang,
        title=title,
        text=text,
        embed_text="\n".join(parts),
        data=product,
    )


# Product fields read on their own (not facts), with their *_en views.
_KNOWN_FIELDS = {"sizes", "colors", "colours", "material", "facts", "variants"} | _LIST_FIELDS

_LABELS = {
    "zh": {"price": "价格", "stock": "库存", "sizes": "尺码", "colors": "颜色", "material": "材质"},
    "en": {"price": "Price", "stock": "Stock", "sizes": "Sizes", "colors": "Colours", "material": "Material"},
}


def format_price(price: float) -> str:
    return f"{price:.0f}" if float(price).is_integer() else f"{price:.2f}"


# --- Markdown / text / PDF ----------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _parse_text(text: str, *, markdown: bool) -> list[ChunkDraft]:
    if markdown:
        text = strip_html_comments(text)  # invisible when rendered: hidden instructions live there
    sections: list[tuple[str, list[str]]] = []
    path: list[str] = []
    current: list[str] = []
    para: list[str] = []

    def end_paragraph() -> None:
        if para:
            current.append("\n".join(para).strip())
            para.clear()

    for line in text.splitlines():
        heading = _HEADING.match(line) if markdown else None
        if heading:
            end_paragraph()
            if current:
                sections.append((" > ".join(path), current))
            current = []
            level = len(heading.group(1))
            path[:] = path[: level - 1] + [heading.group(2).strip()]
            continue
        if not line.strip():
            end_paragraph()
        else:
            para.append(line.rstrip())
    end_paragraph()
    if current:
        sections.append((" > ".join(path), current))
    return [chunk for title, paras in sections for chunk in _passages(title, paras)]


def _passages(title: str, paragraphs: list[str]) -> list[ChunkDraft]:
    """Pack a section's paragraphs into chunks of at most MAX_CHUNK_CHARS."""
    packed: list[str] = []
    buf = ""
    for p in paragraphs:
        for piece in _split_long(p):
            if buf and len(buf) + len(piece) + 1 > MAX_CHUNK_CHARS:
                packed.append(buf)
                buf = ""
            buf = f"{buf}\n{piece}" if buf else piece
    if buf:
        packed.append(buf)
    return [
        ChunkDraft(
            kind="passage",
            lang=detect_language(body),
            title=title,
            text=body,
            embed_text=f"{title}\n{body}" if title else body,
        )
        for body in packed
    ]


_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.)\s+")


def _split_long(paragraph: str) -> list[str]:
    if len(paragraph) <= MAX_CHUNK_CHARS:
        return [paragraph]
    pieces, buf = [], ""
    for sentence in (s for s in _SENTENCE_END.split(paragraph) if s):
        if buf and len(buf) + len(sentence) > MAX_CHUNK_CHARS:
            pieces.append(buf)
            buf = ""
        buf += sentence
        while len(buf) > MAX_CHUNK_CHARS:  # a run-on "sentence": cut hard
            pieces.append(buf[:MAX_CHUNK_CHARS])
            buf = buf[MAX_CHUNK_CHARS:]
    if buf.strip():
        pieces.append(buf)
    return pieces


def _parse_pdf(name: str, raw: bytes) -> list[ChunkDraft]:
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PyPdfError

    limit = MAX_PDF_STREAM_BYTES
    try:
        with apply_configuration(
            zlib_maximum_output_length=limit, lzw_maximum_output_length=limit,
            run_length_maximum_output_length=limit, brotli_maximum_output_length=limit,
        ):
            reader = PdfReader(io.BytesIO(raw))
            pages = [page.extract_text() or "" for page in reader.pages]
    except LimitReachedError as exc:
        raise IngestError(name, f"PDF is over a safety limit (a stream may inflate to {limit:,} bytes): {exc}", too_large=True) from exc
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise IngestError(name, f"corrupt or unreadable PDF ({exc.__class__.__name__})") from exc
    chunks: list[ChunkDraft] = []
    for number, page in enumerate(pages, start=1):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", page) if p.strip()]
        for chunk in _passages(f"p.{number}", paragraphs):
            chunks.append(chunk)
    if not chunks:
        raise IngestError(name, "PDF has no extractable text (a scanned image?)")
    return chunks
