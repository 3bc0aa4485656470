#!/usr/bin/env bash
# Refresh the README's images in docs/screenshots/ from the browser tests (a plain test
# run leaves its screenshots in the ignored tests/artifacts/screenshots/ instead).
set -euo pipefail
cd "$(dirname "$0")/.."
XIAOER_SCREENSHOTS=docs/screenshots python -m pytest tests/test_web_widget.py tests/test_web_widget_handover.py tests/test_web_console.py tests/test_web_agent_desk.py tests/test_web_knowledge_loop.py "$@"
git status --short docs/screenshots
