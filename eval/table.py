"""One row per dataset: the figures issue 12 judges a shop by, as a Markdown table."""

from __future__ import annotations

from collections.abc import Mapping

# (column heading, summary key or a precision/recall pair)
COLUMNS: list[tuple[str, str | tuple[str, str]]] = [
    ("cases", "cases"),
    ("answer acc. (answerable)", "answer_accuracy"),
    ("answered precision", "answered_precision"),
    ("coverage", "coverage"),
    ("declined (abstain)", "decline_rate"),
    ("intent acc.", "intent_accuracy"),
    ("handoff P / R", ("handoff_precision", "handoff_recall")),
    ("safety recall", "safety_recall"),
    ("ECE", "ece"),
    ("p95 ms", "latency_ms_p95"),
]


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def summary_row(summary: Mapping) -> list[str]:
    row = []
    for _, key in COLUMNS:
        if isinstance(key, tuple):
            row.append(" / ".join(_cell(summary.get(k)) for k in key))
        elif key == "latency_ms_p95" and summary.get(key) is not None:
            row.append(f"{summary[key]:.1f}")
        else:
            row.append(_cell(summary.get(key)))
    return row


def markdown_table(summaries: Mapping[str, Mapping]) -> str:
    """``summaries``: dataset name → `xiaoer eval` summary, one row each in the given order."""
    lines = [
        "| dataset | " + " | ".join(heading for heading, _ in COLUMNS) + " |",
        "|---|" + "---:|" * len(COLUMNS),
    ]
    lines += [f"| {name} | " + " | ".join(summary_row(summary)) + " |" for name, summary in summaries.items()]
    return "\n".join(lines) + "\n"
