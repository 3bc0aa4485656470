"""Error analysis of the intent classifier on Bitext's *training* split (a dev set here).

    python bench/intent_public.py [--split train|validation] [--errors N] [--intent NAME]
                                  [--shared ../shared/datasets]
    python bench/intent_public.py --dupes [--train FILE]

Runs the classifier alone (no retrieval, no turn pipeline: the turn reports exactly
the classifier's label) over the Bitext rows whose intent maps onto xiaoer's labels
(eval.converters.BITEXT_TO_XIAOER, documented in shared/datasets/README.md) and prints
accuracy, macro-F1, refund precision/recall, per-label figures, the confusion matrix,
accuracy per *Bitext* intent (which request types we miss) and a sample of errors.

The training split is for looking at errors only: never copy its utterances into
bot/data/intents_train.jsonl. ``--split validation`` reads the split the converted
eval set (``python -m eval.converters bitext_intent``) is built from: report it, do not
tune on it. Bitext's test split is held out elsewhere.

``--dupes`` instead checks bot/data/intents_train.jsonl (or ``--train FILE``) against both
Bitext splits, CLINC150, BANKING77 and the intents_dev set for exact and near-duplicate
utterances (numbers masked; character-trigram Jaccard ≥ 0.8 or edit similarity ≥ 0.85)
and lists them. tests/test_intents.py runs the same check against intents_dev and Bitext.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bot.intents import DEFAULT_TRAIN_PATH, INTENT_LABELS, IntentClassifier, _normalise  # noqa: E402
from eval.converters import BITEXT_TO_XIAOER, squash  # noqa: E402

SPLITS = {
    "train": "bitext_intent/Bitext_Sample_Customer_Service_Training_Dataset.csv",
    "validation": "bitext_intent/Bitext_Sample_Customer_Service_Validation_Dataset.csv",
}
DEV_CASES = ROOT / "eval" / "datasets" / "intents_dev" / "cases.jsonl"


def load_bitext(shared: Path, split: str) -> list[dict]:
    import pandas as pd

    frame = pd.read_csv(shared / SPLITS[split], dtype=str, keep_default_na=False)
    rows = []
    for utterance, intent in zip(frame["utterance"], frame["intent"]):
        label = BITEXT_TO_XIAOER.get(intent)
        text = squash(utterance)
        if label and text:
            rows.append({"text": text, "bitext": intent, "gold": label})
    return rows


def _key(text: str) -> str:
    """Normalised, numbers masked, punctuation dropped: for duplicate checks."""
    text = re.sub(r"[#$]?\d[\d,.]*", "0", _normalise(text))
    return re.sub(r"[^\w]+", " ", text).strip()


def _grams(text: str, n: int) -> set[str]:
    padded = f" {text} "
    return {padded[i : i + n] for i in range(len(padded) - n + 1)}


def near_duplicates(
    train: list[str], others: dict[str, list[str]], jaccard: float = 0.8, ratio: float = 0.85
) -> list[tuple[str, str, str, float]]:
    """(training text, source, other text, similarity) for exact and near matches.

    Keys are normalised with numbers masked. A pair is near when its character-trigram
    Jaccard is ≥ ``jaccard`` or its edit similarity (difflib ratio, which also catches
    Chinese sentences one word apart) is ≥ ``ratio``; the similarity reported is the
    larger of the two over its threshold (≥ 1 means near). Candidates: the 30 texts with
    the highest character-bigram Jaccard."""
    from difflib import SequenceMatcher

    import numpy as np
    from scipy.sparse import csr_matrix

    train_keys = [_key(t) for t in train]
    vocab: dict[str, int] = {}

    def bigram_matrix(keys: list[str]) -> csr_matrix:
        rows, cols = [], []
        for r, k in enumerate(keys):
            for gram in _grams(k, 2):
                rows.append(r)
                cols.append(vocab.setdefault(gram, len(vocab)))
        assert len(vocab) < 1 << 20, "character-bigram vocabulary larger than the matrix width"
        return csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(keys), 1 << 20))

    hits = []
    for source, texts in others.items():
        keys = [_key(t) for t in texts]
        exact = {k: t for k, t in zip(keys, texts) if k}
        a, b = bigram_matrix(train_keys), bigram_matrix(keys)  # binary: _grams is a set
        a_sizes = np.asarray(a.sum(axis=1)).ravel()
        b_sizes = np.asarray(b.sum(axis=1)).ravel()
        bt = b.T.tocsc()
        for start in range(0, len(train_keys), 256):
            overlap = (a[start : start + 256] @ bt).toarray()
            union = a_sizes[start : start + 256, None] + b_sizes[None, :] - overlap
            score = overlap / np.maximum(union, 1.0)
            top = np.argsort(-score, axis=1)[:, :30]
            for offset, candidates in enumerate(top):
                text, k = train[start + offset], train_keys[start + offset]
                if not k:  # emoji or punctuation only
                    continue
                if k in exact:
                    hits.append((text, source, exact[k], 1.0))
                    continue
                if len(k) < 5:  # very short messages ("refund pls") are bound to coincide
                    continue
                g3 = _grams(k, 3)
                matcher = SequenceMatcher(None, autojunk=False)
                matcher.set_seq2(k)  # SequenceMatcher caches what it learns about seq2
                best, best_sim = None, 0.0
                for i in candidates:
                    other3 = _grams(keys[i], 3)
                    sim = len(g3 & other3) / len(g3 | other3) / jaccard
                    matcher.set_seq1(keys[i])
                    if matcher.real_quick_ratio() / ratio > sim and matcher.quick_ratio() / ratio > sim:
                        sim = max(sim, matcher.ratio() / ratio)
                    if sim > best_sim:
                        best, best_sim = i, sim
                if best is not None and best_sim >= 1.0:
                    hits.append((text, source, texts[best], round(best_sim, 3)))
    return hits


def dev_texts() -> list[str]:
    """Every message of the intents_dev set."""
    dev = []
    for line in DEV_CASES.open(encoding="utf-8"):
        if line.strip():
            row = json.loads(line)
            dev += [row["message"]] if "message" in row else row["turns"]
    return dev


def benchmark_texts(shared: Path) -> dict[str, list[str]]:
    """The texts of every set no training line may copy: intents_dev, Bitext's two splits,
    CLINC150 and BANKING77 (those present under ``shared``)."""
    others = {"intents_dev": dev_texts()}
    import pandas as pd

    for split in SPLITS:
        if (shared / SPLITS[split]).exists():
            others[f"bitext_{split}"] = list(pd.read_csv(shared / SPLITS[split], dtype=str, keep_default_na=False)["utterance"])
    clinc = shared / "clinc150" / "data_full.json"
    if clinc.exists():
        others["clinc150"] = [text for rows in json.loads(clinc.read_text()).values() for text, _ in rows]
    for split in ("train", "test"):
        path = shared / "banking77" / f"{split}.csv"
        if path.exists():
            others[f"banking77_{split}"] = list(pd.read_csv(path, dtype=str, keep_default_na=False)["text"])
    return others


def dupes(shared: Path, train_path: Path = DEFAULT_TRAIN_PATH) -> None:
    train = [json.loads(line)["text"] for line in train_path.open(encoding="utf-8") if line.strip()]
    hits = near_duplicates(train, benchmark_texts(shared))
    for text, source, other, sim in hits:
        print(f"{sim:.2f} {source:<16} {text!r}  ~  {other!r}")
    print(f"{len(hits)} near-duplicates among {len(train)} training utterances")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=tuple(SPLITS), default="train")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--errors", type=int, default=0, help="print this many errors (random sample)")
    parser.add_argument("--intent", default=None, help="only errors of this Bitext intent")
    parser.add_argument("--dupes", action="store_true", help="check the training file for near-duplicates")
    parser.add_argument("--train", type=Path, default=DEFAULT_TRAIN_PATH, help="training file for --dupes")
    args = parser.parse_args()

    if args.dupes:
        dupes(args.shared, args.train)
        return

    from intent_dev import report  # bench/intent_dev.py

    rows = load_bitext(args.shared, args.split)
    clf = IntentClassifier.load_or_train()
    intents = clf.predict_many([r["text"] for r in rows])
    gold = [r["gold"] for r in rows]
    pred = [i.label for i in intents]
    res = report(f"bitext {args.split} (mapped rows)", gold, pred)

    by_intent: dict[str, Counter] = defaultdict(Counter)
    for r, p in zip(rows, pred):
        by_intent[r["bitext"]][p] += 1
    print("\nper Bitext intent: accuracy, predictions")
    for name in sorted(by_intent, key=lambda n: by_intent[n][BITEXT_TO_XIAOER[n]] / sum(by_intent[n].values())):
        c = by_intent[name]
        n = sum(c.values())
        print(f"  {name:<26}{BITEXT_TO_XIAOER[name]:<10}{c[BITEXT_TO_XIAOER[name]] / n:6.3f}  {dict(c.most_common())}")
    reasons = Counter(i.reason.split(":")[0] if not i.reason.startswith("fallback") else i.reason for i in intents)
    print(f"decision sources: {dict(reasons)}")

    if args.errors:
        errs = [(r, i) for r, i in zip(rows, intents) if i.label != r["gold"] and (not args.intent or r["bitext"] == args.intent)]
        random.Random(0).shuffle(errs)
        print(f"\n{len(errs)} errors; sample:")
        for r, i in errs[: args.errors]:
            print(f"  {r['bitext']:<24} {r['gold']:>9} -> {i.label:<9} {i.confidence:.2f} {i.reason:<18} {r['text']}")
    refund = res["per_label"]["refund"]
    print(
        f"SUMMARY {args.split} acc={res['accuracy']:.3f} macroF1={res['macro_f1']:.3f} "
        f"refund P={refund[0]:.3f} R={refund[1]:.3f}"
    )


if __name__ == "__main__":
    assert set(BITEXT_TO_XIAOER.values()) <= set(INTENT_LABELS)
    main()
