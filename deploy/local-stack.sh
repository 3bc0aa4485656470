#!/usr/bin/env bash
# The compose set-up on one box without containers, for tests and benchmarks: Postgres
# (initdb in a temporary folder, run as an unprivileged user when we are root), redis-server,
# `chroma run`, and N `xiaoer serve` hosts on their own 127.0.0.1 ports (no proxy).
#   deploy/local-stack.sh [--hosts 2] [--folder DIR]
# Prints each server's address; Ctrl-C stops them all. Needs Debian's postgresql and
# redis-server (.ci/run installs them) and this package installed.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python -m xiaoer.localstack "$@"
