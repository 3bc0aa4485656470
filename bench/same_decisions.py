"""Check that a speed change changed no decision: every case's reply, route, intent,
handoff and confidence, before and after.

    python bench/same_decisions.py --out /tmp/before.json [DATASET...]
    python bench/same_decisions.py --out /tmp/after.json --compare /tmp/before.json [DATASET...]

Runs the datasets (default: the dev and held-out shops) through ``eval.runner.run_eval``
in a throw-away XIAOER_HOME and writes one record per case. With ``--compare`` it prints
every case whose reply, route, intent or handoff differs, or whose confidence moved by
more than ``--tolerance``, and exits 1 if any did.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT = ("demo_zh", "demo_en", "food_snacks", "home_furniture", "pet_supplies", "books_stationery",
           "heldout_electronics", "heldout_baby")
EXACT = ("reply", "route", "intent", "handoff")


def decisions(datasets: list[str]) -> dict[str, dict]:
    from bot.turn import ShopAssistant
    from eval.dataset import load_dataset
    from eval.runner import run_eval

    assistant = ShopAssistant()
    out = {}
    for name in datasets:
        path = Path(name) if Path(name).is_dir() else ROOT / "eval" / "datasets" / name
        run = run_eval(load_dataset(path), assistant=assistant)
        for o in run.outcomes:
            out[f"{run.dataset}/{o.id}"] = {"reply": o.reply, "route": o.route, "intent": o.intent_pred,
                                             "handoff": o.handoff_pred, "confidence": o.confidence}
    return out


def differences(before: dict[str, dict], after: dict[str, dict], tolerance: float) -> list[str]:
    lines = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a is None or b is None:
            lines.append(f"{key}: only {'after' if a is None else 'before'}")
            continue
        changed = [f for f in EXACT if a[f] != b[f]]
        if abs(a["confidence"] - b["confidence"]) > tolerance:
            changed.append("confidence")
        if changed:
            lines.append(f"{key}: {', '.join(changed)}\n    before {json.dumps({f: a[f] for f in changed}, ensure_ascii=False)}"
                         f"\n    after  {json.dumps({f: b[f] for f in changed}, ensure_ascii=False)}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="*", default=list(DEFAULT))
    parser.add_argument("--out", required=True, help="write the per-case records here")
    parser.add_argument("--compare", help="records of an earlier run to compare with")
    parser.add_argument("--tolerance", type=float, default=0.002, help="confidence difference still counted as equal")
    args = parser.parse_args()
    os.environ["XIAOER_HOME"] = tempfile.mkdtemp(prefix="xiaoer-decisions-")
    for var in ("OPENAI_API_KEY", "DATABASE_URL", "CHROMA_HOST"):
        os.environ.pop(var, None)
    records = decisions(args.datasets)
    Path(args.out).write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(records)} cases written to {args.out}")
    if args.compare:
        lines = differences(json.loads(Path(args.compare).read_text(encoding="utf-8")), records, args.tolerance)
        print("\n".join(lines) if lines else "no decision changed")
        print(f"{len(lines)} of {len(records)} cases differ")
        sys.exit(1 if lines else 0)


if __name__ == "__main__":
    main()
