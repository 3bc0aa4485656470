"""Fit the answerability model (bot/data/answerability.json) and print how well it fits.

Examples come from the dev sets (the demo shop and the four blind dev shops), so figures on
those sets are dev figures; the held-out shops (eval/datasets/heldout_*) are never used:

* **positives and plain negatives**: each single-message case with an expected answer, with
  the best few candidates the answerer considers (right when the reply holds the expected
  answer), and each unanswerable (``abstain``) case, whose candidates are all near misses;
* **mined hard negatives** (the near misses a shop's own knowledge makes): every FAQ row of
  the demo shop asked back with that row removed, so the closest remaining rows (same
  product, same topic, other thing) are exactly the "almost answers" to decline.

    python bench/fit_answerability.py [--write]
"""

from __future__ import annotations

import argparse
import json
import uuid
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_predict
from sqlalchemy import select

from bot.answerability import NAMES, NOT_LEARNED, WEIGHTS_FILE
from bot.turn import ShopAssistant
from eval.dataset import load_dataset
from eval.metrics import answer_matches
from knowledge.models import Chunk
from xiaoer.db import session_scope
from xiaoer.lang import detect_language

# The held-out shops (eval/datasets/heldout_*) are never fitted on: they are the honest test.
DEV_SETS = ("demo_zh", "demo_en", "food_snacks", "home_furniture", "pet_supplies", "books_stationery")


def candidate_rows(assistant: ShopAssistant, merchant: str, message: str, lang: str, drop: int | None = None):
    result = assistant.retriever.search(merchant, message)
    evidence = [ev for ev in assistant._evidence_rows(merchant, result) if ev.chunk.id != drop]
    if not evidence:
        return []
    judged, _, _ = assistant.extractive.candidates(
        message, lang, evidence, result.query_tokens, result.query_vector, result.query_idf, result.unseen
    )
    return [c for c in judged if c.reply is not None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write bot/data/answerability.json")
    args = parser.parse_args()
    assistant = ShopAssistant()
    X, y, groups = [], [], []
    for name in DEV_SETS:
        dataset = load_dataset(Path("eval/datasets") / name)
        merchant = f"fit-{uuid.uuid4().hex[:8]}"
        assistant.knowledge.ensure_merchant(merchant)
        assistant.knowledge.ingest_paths(merchant, dataset.knowledge_files)
        try:
            for case in dataset.cases:
                if not (case.answer_contains or case.abstain) or case.turns or case.safety:
                    continue
                for c in candidate_rows(assistant, merchant, case.message, case.lang or detect_language(case.message)):
                    # Every candidate for a question the knowledge cannot answer is a near miss.
                    right = bool(case.answer_contains) and answer_matches(c.reply, case.answer_contains)
                    X.append(c.features.vector()); y.append(right); groups.append("abstain" if case.abstain else "case")
            # Leave-one-out near misses from each shop's own FAQ rows.
            with session_scope() as session:
                rows = session.execute(select(Chunk.id, Chunk.title, Chunk.lang).where(Chunk.merchant_id == merchant, Chunk.kind == "faq")).all()
            for chunk_id, title, lang in rows:
                for c in candidate_rows(assistant, merchant, title, lang, drop=chunk_id):
                    if c.evidence.chunk.lang == lang:
                        X.append(c.features.vector()); y.append(False); groups.append("mined")
        finally:
            assistant.knowledge.delete_merchant(merchant)
    X, y = np.asarray(X), np.asarray(y, dtype=bool)
    used = [i for i, n in enumerate(NAMES) if n not in NOT_LEARNED]
    # Balanced: a shop's traffic mixes answerable and near-miss questions in no known share.
    model = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")
    held_out = cross_val_predict(model, X[:, used], y, cv=5, method="predict_proba")[:, 1]
    model.fit(X[:, used], y)
    coef = np.zeros(len(NAMES))
    coef[used] = model.coef_[0]
    p = model.predict_proba(X[:, used])[:, 1]
    print(f"5-fold AUC {roc_auc_score(y, held_out):.3f} (the match score alone: {roc_auc_score(y, X[:, NAMES.index('match')]):.3f})")
    for t in (0.5, 0.6, 0.7):
        print(f"threshold {t}: right answers kept {np.mean(held_out[y] >= t):.2f}, wrong and near misses passed {np.mean(held_out[~y] >= t):.2f}")
    print(f"examples: {len(y)} ({int(y.sum())} right, {groups.count('mined')} mined near misses)")
    print("weights:", dict(zip(NAMES, np.round(coef, 3))), "bias", round(float(model.intercept_[0]), 3))
    bins = np.clip((p * 10).astype(int), 0, 9)
    ece = sum(abs(p[bins == b].mean() - y[bins == b].mean()) * (bins == b).sum() for b in range(10) if (bins == b).any()) / len(y)
    print(f"training ECE {ece:.3f}; accuracy at 0.5 {((p >= 0.5) == y).mean():.3f}")
    if args.write:
        WEIGHTS_FILE.write_text(json.dumps({
            "weights": dict(zip(NAMES, [round(float(w), 4) for w in coef])),
            "bias": round(float(model.intercept_[0]), 4),
            "fitted_on": f"{', '.join(DEV_SETS)} cases + leave-one-out FAQ near misses ({len(y)} candidates)",
        }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print("wrote", WEIGHTS_FILE)


if __name__ == "__main__":
    main()
