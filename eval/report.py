"""An HTML report with plots: per-intent F1, confusion matrix, risk–coverage, reliability,
latency, failed cases."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402

from eval.runner import EvalRun  # noqa: E402


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _f1_bars(summary: dict):
    labels = summary["intent_labels"]
    if not labels:
        return None
    f1 = [summary["intent_per_label"][label]["f1"] for label in labels]
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.bar(labels, f1, color="#3b82f6")
    ax.set_ylim(0, 1)
    ax.set_ylabel("F1")
    ax.set_title("Intent F1 per label")
    ax.tick_params(axis="x", rotation=30)
    return _png(fig)


def _confusion(summary: dict):
    labels = summary["intent_labels"]
    if not labels:
        return None
    matrix = summary["intent_confusion"]
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.imshow(matrix, cmap="Blues")
    columns = labels + ["(none)"]
    ax.set_xticks(range(len(columns)), columns, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            if value:
                ax.text(j, i, str(value), ha="center", va="center", fontsize=8)
    ax.set_title("Intent confusion matrix")
    return _png(fig)


def _risk_coverage(summary: dict):
    points = summary["risk_coverage"]
    if not points:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    # Step curve from the most confident case down; the dot is where the bot actually stands.
    ax.step([0] + [p["coverage"] for p in points], [points[0]["risk"]] + [p["risk"] for p in points], where="pre", color="#ef4444")
    if summary["coverage"] is not None and summary["answered_precision"] is not None:
        ax.plot(summary["coverage"], 1 - summary["answered_precision"], "o", color="#111827", label="bot as run")
        ax.legend(loc="upper left")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("coverage (answer only cases at or above a confidence)")
    ax.set_ylabel("risk (share of those not right)")
    ax.set_title(f"Risk–coverage (AURC {summary['aurc']:.3f})")
    return _png(fig)


def _reliability(summary: dict):
    bins = summary["reliability"]
    if not summary["calibration_cases"]:
        return None
    fig, ax = plt.subplots(figsize=(5, 5))
    filled = [b for b in bins if b["count"]]
    ax.bar([b["lower"] for b in filled], [b["accuracy"] for b in filled], width=0.1, align="edge",
           color="#3b82f6", edgecolor="white", label="share right")
    for b in filled:
        ax.text(b["lower"] + 0.05, b["accuracy"] + 0.01, str(b["count"]), ha="center", va="bottom", fontsize=7)
    ax.plot([0, 1], [0, 1], "--", color="#6b7280", label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("confidence")
    ax.set_ylabel("share right (cases per bin on top)")
    ax.set_title(f"Reliability (ECE {summary['ece']:.3f})")
    ax.legend(loc="upper left")
    return _png(fig)


def _latency(run: EvalRun):
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.hist([o.latency_ms for o in run.outcomes], bins=30, color="#10b981")
    ax.set_xlabel("turn latency (ms)")
    ax.set_ylabel("cases")
    ax.set_title("Latency")
    return _png(fig)


def write_report(run: EvalRun, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    s = run.summary
    images = [img for img in (_f1_bars(s), _confusion(s), _risk_coverage(s), _reliability(s), _latency(run)) if img]
    headline = {
        k: v for k, v in s.items()
        if (not k.startswith("intent_") or k in ("intent_accuracy", "intent_macro_f1")) and k not in ("risk_coverage", "reliability")
    }
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(json.dumps(v))}</td></tr>" for k, v in headline.items())
    failed = [o for o in run.outcomes if o.failed]
    fail_rows = "".join(
        "<tr>" + "".join(
            f"<td>{html.escape(str(x))}</td>"
            for x in (
                o.id, o.message, o.intent_gold, o.intent_pred, o.answer_expected or ("(decline)" if o.abstain_gold else ""), o.reply[:200], o.handoff_gold,
                o.handoff_pred, f"{o.confidence:.2f}", "yes" if o.answered else f"no ({o.route})",
                "" if o.safety_gold is None else f"{o.safety_gold} / {o.safety_pred}",
                f"{o.judge_correct}: {o.judge_reason}" if o.judge_reason else "",
            )
        ) + "</tr>"
        for o in failed
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>xiaoer eval: {html.escape(run.dataset)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px}}table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}}img{{max-width:100%;margin:1rem 0}}</style></head>
<body><h1>xiaoer eval: {html.escape(run.dataset)} <small>({html.escape(run.retriever)})</small></h1>
<table>{rows}</table>
{''.join(f'<img alt="plot" src="data:image/png;base64,{img}">' for img in images)}
<h2>Failed cases ({len(failed)})</h2>
<table><tr><th>id</th><th>message</th><th>intent</th><th>predicted</th><th>expected answer</th><th>reply</th><th>handoff</th><th>predicted</th><th>confidence</th><th>answered</th><th>safety / escalated</th><th>LLM judge</th></tr>{fail_rows}</table>
</body></html>"""
    path = folder / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
