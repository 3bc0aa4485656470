"""Wall time of one `xiaoer ask` command, through a running server and in-process.

    python bench/ask_latency.py [--runs 10]

Ingests the demo shop into a throw-away XIAOER_HOME and serves it on a free 127.0.0.1
port (bench/load.py's start_server), sends one warm-up question (the server loads its
models on its first turn), then times RUNS whole `python -m xiaoer.cli ask` processes
with XIAOER_URL pointing at the server, and two with XIAOER_URL=off (the CLI loads the
models itself). For the split, also times the same turns as bare HTTP calls from this
process (the server's share) and a CLI process that only starts (`xiaoer --help`).
Prints min / p50 / max seconds for each; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from load import percentile, start_server, stop_server  # bench/load.py

QUESTIONS = ["退货运费谁出？", "几天发货？", "Do you ship abroad?", "羽绒服可以机洗吗？"]


def time_ask(env: dict, question: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "xiaoer.cli", "ask", "-m", "demo", question, "--json"],
                   env=env, check=True, capture_output=True)
    return time.perf_counter() - t


def time_turn(base: str, question: str) -> float:
    t = time.perf_counter()
    httpx.post(f"{base}/v1/chat", json={"merchant_id": "demo", "message": question}, timeout=120).raise_for_status()
    return time.perf_counter() - t


def time_start(env: dict) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "xiaoer.cli", "--help"], env=env, check=True, capture_output=True)
    return time.perf_counter() - t


def report(label: str, seconds: list[float]) -> None:
    print(f"{label:<34} n={len(seconds):<3} min {min(seconds):.2f} s  p50 {statistics.median(seconds):.2f} s  "
          f"max {max(seconds):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xiaoer-ask-") as tmp:
        home = Path(tmp)
        proc, base = start_server(home, workers=1)
        try:
            env = {**os.environ, "XIAOER_HOME": str(home), "XIAOER_URL": base}
            print(f"first turn of a fresh server (it loads its models): {time_ask(env, QUESTIONS[0]):.2f} s")
            through_server = [time_ask(env, QUESTIONS[i % len(QUESTIONS)]) for i in range(args.runs)]
            turns = [time_turn(base, QUESTIONS[i % len(QUESTIONS)]) for i in range(args.runs)]
            starts = [time_start(env) for _ in range(args.runs)]
            local = {**env, "XIAOER_URL": "off"}
            in_process = [time_ask(local, QUESTIONS[i % len(QUESTIONS)]) for i in range(2)]
        finally:
            stop_server(proc)
    report("xiaoer ask, through the server", through_server)
    print(f"{'':<34} p95 {percentile(through_server, 95):.2f} s")
    report("  of which the turn over HTTP", turns)
    report("  of which starting the CLI", starts)
    report("xiaoer ask, in-process (off)", in_process)


if __name__ == "__main__":
    main()
