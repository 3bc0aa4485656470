"""Score the intent classifier on the held-out dev set.

    python bench/intent_dev.py [--cases eval/datasets/intents_dev/cases.jsonl] [--errors]

Prints accuracy, macro-F1, per-label precision/recall/F1 and a confusion matrix
for zh, en and overall, plus training/loading time and mean per-message predict
latency (embedding included, and on top of a precomputed embedding).
The dev set is for measuring only: never train on it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.intents import INTENT_LABELS, IntentClassifier  # noqa: E402

DEFAULT_CASES = ROOT / "eval" / "datasets" / "intents_dev" / "cases.jsonl"


def load_cases(path: Path) -> list[dict]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        text = row["message"] if "message" in row else row["turns"][-1]  # multi-turn: score the last turn
        cases.append({"id": row.get("id", ""), "text": text, "lang": row["lang"], "gold": row["intent"]})
    return cases


def report(title: str, gold: list[str], pred: list[str]) -> dict:
    labels = list(INTENT_LABELS)
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    for g, p in zip(gold, pred):
        matrix[index[g], index[p]] += 1
    n = int(matrix.sum())
    accuracy = float(np.trace(matrix)) / max(n, 1)
    rows = []
    for i, label in enumerate(labels):
        tp = matrix[i, i]
        precision = tp / matrix[:, i].sum() if matrix[:, i].sum() else 0.0
        recall = tp / matrix[i, :].sum() if matrix[i, :].sum() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append((label, precision, recall, f1, int(matrix[i, :].sum())))
    present = [r for r in rows if r[4]]
    macro_f1 = float(np.mean([r[3] for r in present])) if present else 0.0

    print(f"\n=== {title}: n={n}  accuracy={accuracy:.3f}  macro-F1={macro_f1:.3f}")
    print(f"{'label':<10}{'prec':>7}{'rec':>7}{'f1':>7}{'n':>5}")
    for label, precision, recall, f1, support in rows:
        print(f"{label:<10}{precision:>7.3f}{recall:>7.3f}{f1:>7.3f}{support:>5}")
    short = [label[:6] for label in labels]
    print("confusion (rows = gold, columns = predicted)")
    print(" " * 10 + "".join(f"{s:>7}" for s in short))
    for i, label in enumerate(labels):
        print(f"{label:<10}" + "".join(f"{v:>7}" for v in matrix[i]))
    return {"accuracy": accuracy, "macro_f1": macro_f1, "per_label": {r[0]: r[1:4] for r in rows}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--errors", action="store_true", help="list every misclassified case")
    parser.add_argument("--latency-n", type=int, default=200, help="messages timed one by one")
    args = parser.parse_args()

    from retrieval.embedders import get_embedder

    t0 = time.perf_counter()
    embedder = get_embedder()
    t1 = time.perf_counter()
    clf = IntentClassifier.load_or_train(embedder=embedder)
    t2 = time.perf_counter()
    print(f"embedder {embedder.name} loaded in {t1 - t0:.2f}s; classifier {clf.source} in {t2 - t1:.2f}s -> {clf.cache_path}")
    if clf.source == "cache":
        t3 = time.perf_counter()
        IntentClassifier.load_or_train(embedder=embedder)
        print(f"cache reload: {(time.perf_counter() - t3) * 1000:.0f} ms")
    print(f"training meta: {clf.meta}")

    cases = load_cases(args.cases)
    intents = clf.predict_many([c["text"] for c in cases])
    pred = [i.label for i in intents]
    gold = [c["gold"] for c in cases]

    results = {}
    for lang in ("zh", "en"):
        mask = [c["lang"] == lang for c in cases]
        results[lang] = report(lang, [g for g, m in zip(gold, mask) if m], [p for p, m in zip(pred, mask) if m])
    results["all"] = report("overall", gold, pred)

    reasons: dict[str, int] = {}
    for i in intents:
        kind = i.reason.split(":")[0] + (":" + i.reason.split(":")[1] if i.reason.startswith("fallback") else "")
        reasons[kind] = reasons.get(kind, 0) + 1
    rule_right = sum(1 for i, g in zip(intents, gold) if i.reason.startswith("rule:") and i.label == g)
    rule_all = sum(1 for i in intents if i.reason.startswith("rule:"))
    print(f"\ndecision sources: {reasons}; rules correct {rule_right}/{rule_all}")

    if args.errors:
        print("\nerrors:")
        for c, i in zip(cases, intents):
            if i.label != c["gold"]:
                print(f"  [{c['lang']}] {c['gold']:>9} -> {i.label:<9} {i.confidence:.2f} {i.reason:<20} {c['text']}")

    # Latency: one message at a time, as the bot does per turn.
    sample = [c["text"] for c in cases][: args.latency_n]
    for text in sample[:5]:
        clf.predict(text)  # warm-up
    t = time.perf_counter()
    for text in sample:
        clf.predict(text)
    full_ms = (time.perf_counter() - t) * 1000 / len(sample)
    vectors = embedder.embed(sample)
    t = time.perf_counter()
    for text, vector in zip(sample, vectors):
        clf.predict_vector(text, vector)
    model_ms = (time.perf_counter() - t) * 1000 / len(sample)
    print(f"\nlatency: predict {full_ms:.2f} ms/message (with embedding); predict_vector {model_ms:.2f} ms/message (on top of embedding)")
    print(
        f"SUMMARY overall acc={results['all']['accuracy']:.3f} macroF1={results['all']['macro_f1']:.3f} "
        f"zh acc={results['zh']['accuracy']:.3f} F1={results['zh']['macro_f1']:.3f} "
        f"en acc={results['en']['accuracy']:.3f} F1={results['en']['macro_f1']:.3f} "
        f"refund recall={results['all']['per_label']['refund'][1]:.3f}"
    )


if __name__ == "__main__":
    main()
