"""Converters from public customer-support corpora to xiaoer's eval dataset format.

Each converter reads one corpus from ``shared/datasets`` (a read-only folder beside the
repository, documented in its README.md) and writes a dataset folder::

    OUT/
      cases.jsonl     one case per line (see eval/dataset.py for the fields)
      knowledge/      files to ingest into a fresh merchant
      README.md       source file, licence, row counts and the label mapping used

Run ``python -m eval.converters NAME --out DIR [--limit N] [--seed S] [--shared PATH]``,
or ``NAME=all`` to write every converter into ``DIR/<name>/``.

Only the eval tooling reads ``shared/``; the product never does. Every converter is
deterministic for a given ``--seed`` (default 13).

Each corpus module exposes ``DEFAULT_LIMIT`` and ``convert(shared, *, limit, seed) ->
Conversion``; conversion is pure (nothing is written) and :func:`write_dataset` writes it.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import random
import shutil
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_SEED = 13
CONVERTERS: tuple[str, ...] = ("bitext_intent", "bitext_answers", "banking77", "clinc150", "amazon_pqa", "abcd")

# Kept in step with eval.dataset.INTENT_LABELS (a test checks this); duplicated so the
# converters stay importable on their own.
XIAOER_INTENTS: tuple[str, ...] = (
    "presale", "aftersale", "logistics", "refund", "exchange", "complaint", "human", "chitchat",
)

# Bitext intent -> xiaoer label, as documented in shared/datasets/README.md. Intents not
# listed here are "not scored": bitext_intent drops them, bitext_answers keeps the row for
# answer accuracy but omits the intent key.
BITEXT_TO_XIAOER: dict[str, str] = {
    "get_refund": "refund",
    "cancel_order": "refund",
    "check_refund_policy": "aftersale",
    "track_refund": "aftersale",
    "check_cancellation_fee": "aftersale",
    "check_invoice": "aftersale",
    "get_invoice": "aftersale",
    "track_order": "logistics",
    "delivery_period": "logistics",
    "delivery_options": "logistics",
    "change_shipping_address": "logistics",
    "set_up_shipping_address": "logistics",
    "place_order": "presale",
    "check_payment_methods": "presale",
    "contact_human_agent": "human",
    "contact_customer_service": "human",
    "complaint": "complaint",
}

_FALLBACK_LICENCES = {
    "bitext_intent": "CDLA-Sharing-1.0",
    "bitext_answers": "CDLA-Sharing-1.0",
    "amazon_pqa": "CDLA-Sharing-1.0",
    "banking77": "CC-BY-4.0",
    "clinc150": "CC-BY-3.0",
    "abcd": "MIT",
}


def default_shared() -> Path:
    """``shared/datasets`` beside the repository root (…/main/../shared/datasets)."""
    return Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


class SharedDataMissing(FileNotFoundError):
    """A corpus file the converter needs is not in the shared folder."""


def require(shared: Path, *relative: str) -> list[Path]:
    """The paths of ``relative`` files under ``shared``; a clear error if any is missing."""
    shared = Path(shared)
    if not shared.is_dir():
        raise SharedDataMissing(
            f"shared datasets folder not found: {shared}\n"
            f"The eval converters read public corpora from shared/datasets beside the repository "
            f"(default {default_shared()}); pass --shared PATH to use another copy."
        )
    paths = [shared / r for r in relative]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SharedDataMissing(
            "corpus file(s) missing from the shared datasets folder:\n  "
            + "\n  ".join(missing)
            + f"\nSee {shared / 'README.md'} for what each folder should hold."
        )
    return paths


def licence_of(shared: Path, folder: str) -> str:
    """The licence column for ``folder/`` in shared/datasets/README.md (fallback: known value)."""
    readme = Path(shared) / "README.md"
    if readme.is_file():
        for line in readme.read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 3 and cells[0].strip("`").rstrip("/") == folder:
                return cells[2]
    return _FALLBACK_LICENCES.get(folder, "see shared/datasets/README.md")


# --- sampling and text helpers ----------------------------------------------------------


def stratified_sample(items: Sequence[T], key: Callable[[T], Hashable], n: int | None, rng: random.Random) -> list[T]:
    """Up to ``n`` items spread evenly over the groups given by ``key`` (round robin).

    Groups and members are visited in a seeded random order, so the choice is
    deterministic for a seed but not biased towards the alphabetically first labels.
    The result keeps the input order. ``n=None`` returns everything.
    """
    if n is None or n >= len(items):
        return list(items)
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        groups[key(item)].append(i)
    order = sorted(groups, key=str)
    rng.shuffle(order)
    for k in order:
        rng.shuffle(groups[k])
    chosen: list[int] = []
    depth = 0
    while len(chosen) < n:
        for k in order:
            if depth < len(groups[k]):
                chosen.append(groups[k][depth])
                if len(chosen) == n:
                    break
        depth += 1
    return [items[i] for i in sorted(chosen)]


def squash(text: Any) -> str:
    """Whitespace collapsed to single spaces, stripped."""
    return " ".join(str(text).split())


def trim_words(text: str, max_chars: int = 60, min_chars: int = 30) -> str:
    """A prefix of ``text`` of at most ``max_chars``, cut at a word boundary when possible."""
    text = squash(text)
    if len(text) <= max_chars:
        return text.rstrip(" ,;:-")
    cut = text[: max_chars + 1]
    space = cut.rfind(" ")
    prefix = cut[:space] if space >= min_chars else text[:max_chars]
    return prefix.rstrip(" ,;:-")


# --- output -----------------------------------------------------------------------------


@dataclass
class Conversion:
    """A converted dataset, not yet written."""

    name: str
    cases: list[dict[str, Any]]
    knowledge: dict[str, str | bytes]
    readme: str
    stats: dict[str, Any] = field(default_factory=dict)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def cases_jsonl(cases: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases)


def write_dataset(conversion: Conversion, out: Path) -> Path:
    """Write ``cases.jsonl``, ``knowledge/`` and ``README.md`` into ``out``.

    Only those three entries are replaced; a stale ``knowledge/`` is removed first so no
    file from an earlier run gets ingested.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    knowledge = out / "knowledge"
    if knowledge.exists():
        shutil.rmtree(knowledge)
    knowledge.mkdir()
    for name, content in sorted(conversion.knowledge.items()):
        target = knowledge / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="\n")
    (out / "cases.jsonl").write_text(cases_jsonl(conversion.cases), encoding="utf-8", newline="\n")
    (out / "README.md").write_text(conversion.readme, encoding="utf-8", newline="\n")
    return out


def label_counts(cases: Iterable[dict[str, Any]], key: str) -> dict[str, int]:
    counts = Counter("(none)" if case.get(key) is None else str(case[key]) for case in cases)
    return dict(sorted(counts.items()))


def render_readme(
    *,
    title: str,
    summary: str,
    sources: Sequence[str],
    licence: str,
    attribution: str,
    counts: Sequence[tuple[str, Any]],
    mapping: str,
    fields: str,
    caveats: Sequence[str],
    limit: int | None,
    seed: int,
    name: str,
) -> str:
    lines = [f"# {title}", "", summary, "", "## Source", ""]
    lines += [f"- `shared/datasets/{s}`" for s in sources]
    lines += [
        "",
        f"Licence: **{licence}**. {attribution}",
        "",
        "Generated by `python -m eval.converters "
        + name
        + f" --out DIR{'' if limit is None else f' --limit {limit}'} --seed {seed}`"
        + " (eval/converters/"
        + name
        + ".py); do not edit by hand.",
        "",
        "## Counts",
        "",
        "| what | count |",
        "|---|---|",
    ]
    for what, value in counts:
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
        lines.append(f"| {what} | {value} |")
    lines += ["", "## Label mapping", "", mapping.strip(), "", "## Case fields", "", fields.strip(), ""]
    if caveats:
        lines += ["## Caveats", ""]
        lines += [f"- {c}" for c in caveats]
        lines.append("")
    return "\n".join(lines)


# --- registry ---------------------------------------------------------------------------


def converter(name: str):
    """The module implementing converter ``name``."""
    if name not in CONVERTERS:
        raise KeyError(f"unknown converter {name!r}; expected one of {', '.join(CONVERTERS)} or 'all'")
    return importlib.import_module(f"{__name__}.{name}")


def convert(name: str, shared: Path | None = None, *, limit: int | None = None, seed: int = DEFAULT_SEED) -> Conversion:
    """Run converter ``name``; ``limit=None`` means that converter's default."""
    module = converter(name)
    if limit is None:
        limit = module.DEFAULT_LIMIT
    return module.convert(Path(shared) if shared else default_shared(), limit=limit, seed=seed)


def run(name: str, out: Path, shared: Path | None = None, *, limit: int | None = None, seed: int = DEFAULT_SEED) -> Conversion:
    """Convert and write one dataset folder."""
    conversion = convert(name, shared, limit=limit, seed=seed)
    write_dataset(conversion, out)
    return conversion

