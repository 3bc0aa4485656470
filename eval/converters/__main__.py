"""``python -m eval.converters NAME --out DIR [--limit N] [--seed S] [--shared PATH]``.

NAME is one of the converters in eval.converters.CONVERTERS, or ``all`` to write each of
them into ``DIR/<name>/``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eval.converters import CONVERTERS, DEFAULT_SEED, SharedDataMissing, default_shared, run


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("--limit must be at least 1")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eval.converters",
        description="Convert a public customer-support corpus from shared/datasets into an xiaoer eval dataset folder.",
    )
    parser.add_argument("name", choices=[*CONVERTERS, "all"], help="converter to run, or 'all'")
    parser.add_argument("--out", type=Path, required=True, help="output folder (for 'all': one sub-folder per converter)")
    parser.add_argument("--limit", type=_positive, default=None, help="number of cases (default: per converter)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"sampling seed (default {DEFAULT_SEED})")
    parser.add_argument(
        "--shared", type=Path, default=None, help=f"shared datasets folder (default {default_shared()})"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    names = list(CONVERTERS) if args.name == "all" else [args.name]
    shared = args.shared or default_shared()
    try:
        for name in names:
            out = args.out / name if args.name == "all" else args.out
            conversion = run(name, out, shared, limit=args.limit, seed=args.seed)
            files = ", ".join(sorted(conversion.knowledge))
            print(f"{name}: {len(conversion.cases)} cases, knowledge/{{{files}}} -> {out}")
    except SharedDataMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
