#!/usr/bin/env bash
# Install xiaoer and everything its tests need, on Debian (as root or with sudo):
# the package with its test extra (pytest, Playwright, ...), and Debian's Chromium and
# CJK fonts for the browser tests (Playwright drives the system browser; nothing is
# downloaded from a browser CDN). Run it again at any time: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

export PIP_DISABLE_PIP_VERSION_CHECK=1
# torch is pinned in pyproject (==2.13.0, the CPU wheel); httpx is pinned there too, or pip
# backtracks into ancient sdists.
python -m pip install -q -e ".[test]"

# fonts-noto-cjk: without it the browser draws Chinese as empty boxes.
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
# Postgres and Redis for the scale-out tests (a throw-away cluster by initdb in a temporary
# folder, a redis-server on a free port; tests/test_multihost.py); the tests skip without them.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v redis-server >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq postgresql redis-server >/dev/null
fi
echo "xiaoer installed: run 'xiaoer demo', or the tests with 'python -m pytest'"
