"""The dev shops' labelled messages as intent training data, and what they are worth.

    python bench/intent_shops.py build [--shared ../shared/datasets]
    python bench/intent_shops.py cv [--folds 6]

``build`` writes bot/data/intents_shops.jsonl from the single-turn cases of every dev
shop under eval/datasets (never a ``heldout_*`` shop, nor the intents_dev and orders_dev
sets): one line per distinct message, with its shop. A message two cases label
differently is left out, and so is one that copies a line of bot/data/intents_train.jsonl
or near-duplicates intents_dev, Bitext, CLINC150 or BANKING77 (bench/intent_public.py's
checker), so those benches stay unseen.

``cv`` says what the lines are worth on shops they did not come from: the dev shops are
split into folds by shop; each fold's cases (single- and multi-turn, read the way the turn
reads them) are classified by a model trained on the hand-written lines alone and by one
trained on them plus the other folds' shop lines. A dev shop's own intent figure after the
build is in-sample; this cross-validated figure, and the held-out shops, are the evidence.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.intents import DEFAULT_TRAIN_PATH, INTENT_LABELS, SHOP_CASES_PATH, IntentClassifier, _normalise  # noqa: E402

DATASETS = ROOT / "eval" / "datasets"
NOT_SHOPS = {"intents_dev", "orders_dev"}


def dev_shops() -> list[str]:
    return sorted(
        p.name for p in DATASETS.iterdir()
        if (p / "cases.jsonl").exists() and not p.name.startswith("heldout_") and p.name not in NOT_SHOPS
    )


def shop_cases(shops: list[str]) -> list[dict]:
    """Every labelled case of ``shops``: {"shop", "turns", "label", "lang"}."""
    rows = []
    for shop in shops:
        for line in (DATASETS / shop / "cases.jsonl").open(encoding="utf-8"):
            if not line.strip():
                continue
            case = json.loads(line)
            if case.get("intent") in INTENT_LABELS:
                turns = case.get("turns") or [case["message"]]
                rows.append({"shop": shop, "turns": turns, "label": case["intent"], "lang": case.get("lang", "zh")})
    return rows


def _checker():
    spec = importlib.util.spec_from_file_location("intent_public", ROOT / "bench" / "intent_public.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(shared: Path) -> None:
    rows = [r for r in shop_cases(dev_shops()) if len(r["turns"]) == 1]
    labels: dict[str, set[str]] = defaultdict(set)
    first: dict[str, dict] = {}
    for r in rows:
        key = _normalise(r["turns"][0]).strip().lower()
        labels[key].add(r["label"])
        first.setdefault(key, r)
    written = {_normalise(json.loads(line)["text"]).strip().lower() for line in DEFAULT_TRAIN_PATH.open(encoding="utf-8") if line.strip()}
    conflicting = [k for k, v in labels.items() if len(v) > 1]
    keep = [first[k] for k in first if len(labels[k]) == 1 and k not in written]

    checker = _checker()
    others = checker.benchmark_texts(shared)
    near = {text for text, *_ in checker.near_duplicates([r["turns"][0] for r in keep], others)}
    keep = [r for r in keep if r["turns"][0] not in near]

    with SHOP_CASES_PATH.open("w", encoding="utf-8") as fh:
        for r in keep:
            fh.write(json.dumps({"text": r["turns"][0], "label": r["label"], "lang": r["lang"], "shop": r["shop"]}, ensure_ascii=False) + "\n")
    print(f"{len(rows)} single-turn cases of {len(dev_shops())} dev shops -> {len(keep)} lines in {SHOP_CASES_PATH.relative_to(ROOT)}")
    print(f"left out: {len(conflicting)} labelled two ways, {len(near)} near-duplicates of benchmark sets, "
          f"{sum(1 for k in first if k in written)} already in {DEFAULT_TRAIN_PATH.name}")
    print("by label:", dict(Counter(r["label"] for r in keep).most_common()))


def _classify(clf: IntentClassifier, embedder, turns: list[str]) -> str:
    """The label the turn pipeline reads: a follow-up with the message before it."""
    vector = embedder.embed([turns[-1]])[0]
    if len(turns) > 1:
        return clf.predict_follow_up(turns[-1], vector, turns[-2], embedder.embed([turns[-2]])[0]).label
    return clf.predict_vector(turns[-1], vector).label


def cv(folds: int) -> None:
    from retrieval.embedders import get_embedder

    embedder = get_embedder()
    shops = dev_shops()
    cases = shop_cases(shops)
    lines = [json.loads(line) for line in SHOP_CASES_PATH.open(encoding="utf-8") if line.strip()]
    fold_of = {shop: i % folds for i, shop in enumerate(shops)}
    alone = IntentClassifier.train(embedder, DEFAULT_TRAIN_PATH)
    right = Counter()
    per_shop: dict[str, Counter] = defaultdict(Counter)
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(folds):
            extra = Path(tmp) / f"fold{k}.jsonl"
            extra.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines if fold_of.get(x["shop"]) != k), encoding="utf-8")
            with_shops = IntentClassifier.train(embedder, [DEFAULT_TRAIN_PATH, extra])
            test = [c for c in cases if fold_of[c["shop"]] == k]
            for c in test:
                a = _classify(alone, embedder, c["turns"]) == c["label"]
                b = _classify(with_shops, embedder, c["turns"]) == c["label"]
                right["alone"] += a
                right["with"] += b
                per_shop[c["shop"]].update({"n": 1, "alone": a, "with": b})
            n = len(test)
            print(f"fold {k + 1}/{folds}: {n} cases of {sum(1 for s in shops if fold_of[s] == k)} shops: "
                  f"hand-written lines {sum(per_shop[s]['alone'] for s in shops if fold_of[s] == k) / n:.3f}, "
                  f"plus other shops' lines {sum(per_shop[s]['with'] for s in shops if fold_of[s] == k) / n:.3f}", flush=True)
    n = len(cases)
    print(f"all {n} cases of {len(shops)} dev shops, each shop unseen: {right['alone'] / n:.3f} -> {right['with'] / n:.3f}")
    below = lambda key: sum(1 for s in shops if per_shop[s][key] / per_shop[s]["n"] < 0.9)
    print(f"shops under 0.90: {below('alone')} -> {below('with')} of {len(shops)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("build", "cv"))
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--folds", type=int, default=6)
    args = parser.parse_args()
    build(args.shared) if args.command == "build" else cv(args.folds)


if __name__ == "__main__":
    main()
