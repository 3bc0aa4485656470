"""Product facts the way merchants upload them, flattened to one ``{name: value}`` map.

Catalogs come with the facts in many shapes: nested ``specs`` / ``attributes`` / ``props``
objects, lists of ``{"name", "value"}`` pairs, Taobao-style property strings
("品牌:XX;净含量:250g"), extra CSV columns, and SKU variants each with its own spec, price
and stock. The answerer should not care which: it reads ``facts`` and ``variants``.
"""

from __future__ import annotations

import re
from typing import Any

# Fields the parser already understands on their own; everything else is a fact.
BASE_FIELDS = {
    "sku", "title", "name", "price", "stock", "category", "description", "aliases", "alias", "tags",
    "skus", "variants", "images", "image", "url", "link", "id",
}
# Containers of facts, by the names merchants and platforms give them.
NESTED_FIELDS = (
    "specs", "spec", "specifications", "attributes", "attrs", "props", "properties", "params",
    "parameters", "details", "规格", "规格参数", "参数", "属性", "商品参数",
)
_PROP_PAIR = re.compile(r"\s*([^:：;；|\n]{1,40}?)\s*[:：]\s*([^;；|\n]+)")
_PROP_SEPARATOR = re.compile(r"[;；|\n]")


def parse_property_string(text: str) -> dict[str, str]:
    """'品牌:XX;净含量:250g' → {'品牌': 'XX', '净含量': '250g'}; '' when it holds no pairs."""
    pairs: dict[str, str] = {}
    for part in _PROP_SEPARATOR.split(text):
        match = _PROP_PAIR.fullmatch(part.strip()) if part.strip() else None
        if match:
            pairs[match.group(1).strip()] = match.group(2).strip()
    return pairs


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value if v not in (None, ""))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _flatten(value: Any, into: dict[str, str], prefix: str = "") -> None:
    """Nested objects become leaf facts; a list of {name, value} pairs becomes pairs."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(inner, into, str(key).strip())
        leaves = [(str(k).strip(), _text(v)) for k, v in value.items() if not isinstance(v, dict) and v not in (None, "", [])]
        if prefix and leaves and prefix not in into:
            # {"分辨率": {"前镜头": "4K", "后镜头": "1080P"}}: the parts stay facts of their own, and
            # the key that groups them answers for all ("what resolution" → both lenses).
            into[prefix] = "；".join(f"{k}：{v}" for k, v in leaves)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        if prefix and not any("value" in item or "val" in item for item in value):
            # A table under a key ("fitment": [{"车型": "凯美瑞", "年款": "2018-2024"}, …]): one fact
            # holding every row, not each column's last row.
            into[prefix] = "；".join(" ".join(_text(v) for v in item.values() if v not in (None, "", [])) for item in value)
            return
        for item in value:
            name = item.get("name") or item.get("key") or item.get("label")
            if name is not None and ("value" in item or "val" in item):
                into[str(name).strip()] = _text(item.get("value", item.get("val")))
            else:
                _flatten(item, into, prefix)
    elif isinstance(value, str) and not prefix:
        into.update(parse_property_string(value))
    elif prefix and value not in (None, "", []):
        if isinstance(value, str) and parse_property_string(value) and ":" in value and ";" in value:
            into.update(parse_property_string(value))
        else:
            into[prefix] = _text(value)


def _plain(value: Any) -> bool:
    """A value with no facts inside: a text that is no property string, a number, a list of texts."""
    if isinstance(value, str):
        return bool(value.strip()) and not parse_property_string(value)
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, (str, int, float)) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def extract_facts(product: dict[str, Any], known: set[str]) -> dict[str, str]:
    """Every fact of a product record that is not one of ``known`` (the parser's own fields)."""
    facts: dict[str, str] = {}
    for key, value in product.items():
        if key in NESTED_FIELDS and _plain(value):
            # A column named like a container that holds a plain value ("规格":
            # "S(36-39)/M(40-42)/L(43-45)", "参数": ["S", "M"]) is a fact of its own.
            facts[str(key)] = _text(value)
        elif key in NESTED_FIELDS:
            _flatten(value, facts)
        elif key not in known and key not in BASE_FIELDS and not key.endswith("_en") and value not in (None, "", []):
            if isinstance(value, (dict, list)) and not all(isinstance(v, (str, int, float)) for v in (value if isinstance(value, list) else [])):
                _flatten(value, facts, str(key) if isinstance(value, list) else "")
            elif isinstance(value, str) and len(parse_property_string(value)) >= 2:
                facts.update(parse_property_string(value))  # a property string in a column
            else:
                facts[str(key)] = _text(value)
    return {k: v for k, v in facts.items() if k and v}


# Keys under which a merchant writes when something comes back in stock.
RESTOCK_KEY = re.compile(r"restock|back.?in.?stock|补货|到货|预计.*(发货|上架)", re.IGNORECASE)


def extract_variants(product: dict[str, Any]) -> list[dict[str, Any]]:
    """SKU variants as [{'name', 'price', 'stock'}]: each may differ in price and stock."""
    raw = product.get("skus") or product.get("variants") or []
    if not isinstance(raw, list):
        return []
    variants = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        lowered = {str(k).lower(): v for k, v in item.items()}
        name = next((lowered[k] for k in ("spec", "name", "title", "option", "规格", "variant") if lowered.get(k)), None)
        if name is None:
            rest = {k: v for k, v in lowered.items() if k not in ("sku", "price", "stock", "id")}
            name = " ".join(_text(v) for v in rest.values()) if rest else lowered.get("sku")
        variant = {"name": _text(name), "sku": lowered.get("sku"), "price": _number(lowered.get("price")),
                   "stock": _number(lowered.get("stock"), int)}
        # When this option comes back ("restock": "预计12月12日补货"): an out-of-stock option's own note.
        restock = next((_text(v) for k, v in lowered.items() if RESTOCK_KEY.search(k) and _text(v).strip()), None)
        if restock:
            variant["restock"] = restock
        variants.append(variant)
    return variants


def parse_number(value: Any, cast=float):
    """'¥1,299' → 1299.0 (None for an empty cell); ValueError when it is not a number."""
    if value in (None, ""):
        return None
    return cast(float(str(value).replace("¥", "").replace(",", "").strip()))


def _number(value: Any, cast=float):
    """A variant's price or stock: a cell that is not a number is left out, not an error."""
    try:
        return parse_number(value, cast)
    except ValueError:
        return None


def aliases_of(product: dict[str, Any]) -> list[str]:
    raw = product.get("aliases") or product.get("alias") or []
    if isinstance(raw, str):
        raw = re.split(r"\s*[|;/、，,]\s*", raw)
    return [str(a).strip() for a in raw if str(a).strip()]
