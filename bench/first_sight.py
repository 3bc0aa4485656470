"""First-sight calibration: confidence as the share of answers right on shops the bot had never seen.

The answerer's own scores were fitted and tuned on the dev shops, so on those shops they are
optimistic: a shop nobody on the project has seen gets answers at 0.97 that are right ~90% of
the time. Every blind dev shop was committed before anything was measured on it, so the
commit that added it holds the code that had never seen it. ``collect`` checks out each of
those commits (git worktrees), runs its shops with that commit's code
(bench/first_sight_cases.py) and keeps every graded case's outcome in
bench/first_sight_outcomes.jsonl; ``fit`` maps the answerer's scores to the share right on
those outcomes and writes bot/data/first_sight.json (read by bot/calibration.py):

* FAQ rows and policy passages: an isotonic map of the answerer's probability, one per kind;
* product records: a logistic model of how the product was named (in full, in part, or the
  one in focus) and how many of the question's words its record does not explain.

Only dev shops are used; the held-out shops (eval/datasets/heldout_*) stay the honest test.
``fit`` also prints each map's leave-one-commit-out calibration error.

    python bench/first_sight.py collect        # ~15 min: 73 shops at 21 commits
    python bench/first_sight.py collect --only b742849 60bfb90   # those commits' shops again, the rest kept
    python bench/first_sight.py fit [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
OUTCOMES = ROOT / "bench" / "first_sight_outcomes.jsonl"
sys.path.insert(0, str(ROOT))

from bot.calibration import FIRST_SIGHT_FILE, record_features  # noqa: E402
from eval.metrics import expected_calibration_error  # noqa: E402

# The commit that added each round of blind dev shops (git log --diff-filter=A): the code
# that had never seen them. Earlier dev sets (the demo shop, the first four blind shops) were
# measured on code too different from today's to say anything about it.
BLIND_DEV_SHOPS = {
    "a922ab5": ["dev_car", "dev_jewelry"],
    "b1192f8": ["dev_garden", "dev_luggage", "dev_music"],
    "c84fc0c": ["dev_fishing", "dev_shoes", "dev_supplements", "dev_watches"],
    "f239ed3": ["dev_camping", "dev_hair"],
    "274ee8e": ["dev_hanfu", "dev_seafood"],
    "47075f3": ["dev_coffee", "dev_printing"],
    "7457167": ["dev_building", "dev_party"],
    "57353b7": ["dev_phonecase", "dev_underwear"],
    "bd95e26": ["dev_curtains", "dev_swimwear"],
    "c252b7f": ["dev_incense", "dev_nails", "dev_scooter"],
    "8576d9b": ["dev_cosplay", "dev_fabric", "dev_purifier"],
    "0f2da60": ["dev_drone", "dev_powerstation", "dev_tires", "dev_wallpaper"],
    "e93db1e": ["dev_bathroom", "dev_keyboard", "dev_massage", "dev_projector"],
    "f1bef89": ["dev_chair", "dev_knife", "dev_printer3d", "dev_router"],
    "daa471a": ["dev_calligraphy", "dev_honey", "dev_sewing", "dev_waterheater"],
    "19c3b40": ["dev_contacts", "dev_courses", "dev_leather", "dev_ski"],
    "ad33af8": ["dev_boardgames", "dev_frozen", "dev_pottery", "dev_workwear"],
    "c06edfc": ["dev_diving", "dev_grill", "dev_mattress", "dev_pcparts"],
    "83c79bb": ["dev_grain", "dev_helmet", "dev_robotvac", "dev_socks", "dev_tonic", "dev_topup"],
    "b742849": ["dev_hearingaid", "dev_solar", "dev_pool", "dev_coins", "dev_travel", "dev_ink"],
    "60bfb90": ["dev_telescope", "dev_aircon", "dev_repair", "dev_homebrew", "dev_equestrian", "dev_yarn"],
    "f901a3a": ["dev_modelkit", "dev_carrental", "dev_software", "dev_water", "dev_archery", "dev_smarthome"],
    "4098d3d": ["dev_vinyl", "dev_succulent", "dev_moving", "dev_esim", "dev_mahjong", "dev_tattoo"],
    "fd402bd": ["dev_beekeeping", "dev_petgrooming", "dev_paint", "dev_ebike", "dev_tickets", "dev_labkit"],
    "652ecb2": ["dev_laundry", "dev_cheese", "dev_climbing", "dev_reptile", "dev_photostudio", "dev_mobility"],
}

def collect(workers: int = 2, only: list[str] | None = None) -> None:
    """Every commit's shops, or (``only``) those commits' again, the others' outcomes kept."""
    commits = only or list(BLIND_DEV_SHOPS)
    unknown = [c for c in commits if c not in BLIND_DEV_SHOPS]
    if unknown:
        raise SystemExit(f"not a commit that added blind dev shops: {', '.join(unknown)}")
    runner = ROOT / "bench" / "first_sight_cases.py"
    with tempfile.TemporaryDirectory(prefix="first-sight-") as tmp:
        def one(commit: str) -> list[str]:
            tree, out = Path(tmp) / commit, Path(tmp) / f"{commit}.jsonl"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree), commit], check=True)
            try:
                env = {**os.environ, "PYTHONPATH": str(tree)}
                run = subprocess.run([sys.executable, str(runner), str(out), commit, str(ROOT / "eval" / "datasets"),
                                      *BLIND_DEV_SHOPS[commit]], env=env, cwd=tmp, capture_output=True, text=True)
                if run.returncode != 0:
                    raise RuntimeError(f"{commit}: {run.stderr[-2000:]}")
                print(f"{commit}: {', '.join(BLIND_DEV_SHOPS[commit])}", flush=True)
                return out.read_text(encoding="utf-8").splitlines()
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True)

        with ThreadPoolExecutor(workers) as pool:
            lines = [line for part in pool.map(one, commits) for line in part]
    if only and OUTCOMES.exists():
        kept = [line for line in OUTCOMES.read_text(encoding="utf-8").splitlines()
                if line.strip() and json.loads(line)["commit"] not in only]
        lines = kept + lines
    OUTCOMES.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} graded cases -> {OUTCOMES.relative_to(ROOT)}")


def _isotonic(scores: np.ndarray, right: np.ndarray) -> IsotonicRegression:
    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, right.astype(float))


def _record_x(rows: list[dict]) -> np.ndarray:
    return np.array([record_features(r["how"], r.get("unexplained") or 0) for r in rows])


def _record_model(rows: list[dict]) -> LogisticRegression:
    return LogisticRegression(C=10.0).fit(_record_x(rows), np.array([r["right"] for r in rows]))


def _ece(p: np.ndarray, right: np.ndarray) -> float:
    return expected_calibration_error(list(zip(p.tolist(), right.tolist())))


def load_outcomes() -> list[dict]:
    return [json.loads(line) for line in OUTCOMES.read_text(encoding="utf-8").splitlines() if line.strip()]


def _grounded_group(rows: list[dict], basis: str) -> list[dict]:
    # Sent and held back alike: the map must hold below the threshold the shops ran at.
    return [r for r in rows if r["basis"] == basis and (r["answered"] or r.get("held_back"))]


def _record_group(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["answered"] and r["basis"] == "product" and r.get("how")]


def fit_maps(rows: list[dict]) -> dict:
    """The maps bot/calibration.py reads, fitted on first-sight outcomes."""
    out: dict = {"fitted_on": {"shops": sorted({r["dataset"] for r in rows}), "cases": len(rows)}}
    for basis in ("faq", "passage"):
        group = _grounded_group(rows, basis)
        model = _isotonic(np.array([r["confidence"] for r in group]), np.array([bool(r["right"]) for r in group]))
        out[basis] = {"x": [round(float(v), 4) for v in model.X_thresholds_], "y": [round(float(v), 4) for v in model.y_thresholds_]}
    model = _record_model(_record_group(rows))
    out["product"] = {"weights": [round(float(w), 4) for w in model.coef_[0]], "bias": round(float(model.intercept_[0]), 4)}
    return out


def fit(write: bool) -> None:
    rows = load_outcomes()
    print(f"{len(rows)} graded cases of {len({r['dataset'] for r in rows})} blind dev shops at {len({r['commit'] for r in rows})} commits; "
          f"{sum(r['answered'] for r in rows)} answered, {sum(bool(r.get('held_back')) for r in rows)} declined with their best answer held back")
    out = fit_maps(rows)
    for basis in ("faq", "passage"):
        group = _grounded_group(rows, basis)
        p, right = np.array([r["confidence"] for r in group]), np.array([bool(r["right"]) for r in group])
        model = _isotonic(p, right)
        # Leave one commit out: each commit's answers mapped by the fit on the others.
        mapped = np.zeros(len(group))
        for commit in {r["commit"] for r in group}:
            inside = np.array([r["commit"] == commit for r in group])
            mapped[inside] = _isotonic(p[~inside], right[~inside]).predict(p[inside])
        print(f"{basis}: {len(group)} answers (sent or held back), right {right.mean():.3f}; isotonic map of "
              f"{len(model.X_thresholds_)} points; ECE raw {_ece(p, right):.3f} -> mapped (leave one commit out) {_ece(mapped, right):.3f}")
        for lo, hi in ((0.0, 0.4), (0.4, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.75), (0.75, 0.8), (0.8, 0.85), (0.85, 0.9),
                       (0.9, 0.95), (0.95, 1.01)):
            inside = (p >= lo) & (p < hi)
            if inside.any():
                print(f"   raw {lo:.2f}-{min(hi, 1):.2f}: {inside.sum():4d} answers, right {right[inside].mean():.3f}, "
                      f"mapped {float(model.predict(p[inside]).mean()):.3f}")
    group = _record_group(rows)
    right = np.array([bool(r["right"]) for r in group])
    raw = np.array([r["confidence"] for r in group])
    mapped = np.zeros(len(group))
    for commit in {r["commit"] for r in group}:
        inside = np.array([r["commit"] == commit for r in group])
        others = _record_model([r for r, i in zip(group, inside) if not i])
        mapped[inside] = others.predict_proba(_record_x([r for r, i in zip(group, inside) if i]))[:, 1]
    print(f"product: {len(group)} answers, right {right.mean():.3f}; ECE raw {_ece(raw, right):.3f} -> mapped "
          f"(leave one commit out) {_ece(mapped, right):.3f}")
    cells = defaultdict(list)
    for r in group:
        cells[(r["how"], min(r.get("unexplained") or 0, 2))].append(bool(r["right"]))
    model = _record_model(group)
    for (how, unexplained), got in sorted(cells.items()):
        p = float(model.predict_proba([record_features(how, unexplained)])[0, 1])
        print(f"   {how:5s} unexplained {unexplained}{'+' if unexplained == 2 else ' '}: {len(got):4d} answers, "
              f"right {np.mean(got):.3f}, mapped {p:.3f}")
    if write:
        FIRST_SIGHT_FILE.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {FIRST_SIGHT_FILE.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    collecting = sub.add_parser("collect", help="run every blind dev shop with the code of the commit that added it")
    collecting.add_argument("--only", nargs="+", metavar="COMMIT", help="collect these commits again, keeping the others' outcomes")
    fitting = sub.add_parser("fit", help="fit the maps on the collected outcomes")
    fitting.add_argument("--write", action="store_true", help="write bot/data/first_sight.json")
    args = parser.parse_args()
    if args.command == "collect":
        collect(only=args.only)
    else:
        fit(args.write)


if __name__ == "__main__":
    main()
