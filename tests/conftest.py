"""Test set-up: every run gets its own XIAOER_HOME, and no test can reach a real
LLM, database server or Chroma server."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from xiaoer.db import reset_engines
from xiaoer.settings import reset_settings

REPO = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO.parent / "shared" / "datasets"

_counter = itertools.count()


@pytest.fixture(scope="session", autouse=True)
def xiaoer_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("xiaoer-home")
    os.environ["XIAOER_HOME"] = str(home)
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL", "CHROMA_HOST", "XIAOER_EMBEDDER", "XIAOER_LLM_MODEL"):
        os.environ.pop(var, None)
    reset_settings()
    reset_engines()
    return home


@pytest.fixture
def merchant_id() -> str:
    """A merchant no other test uses: merchants are isolated, so tests can share one home."""
    return f"m{next(_counter)}-{os.getpid()}"


@pytest.fixture(scope="session")
def assistant():
    from bot.turn import ShopAssistant

    return ShopAssistant()


@pytest.fixture(scope="session")
def demo_merchant(assistant) -> str:
    from xiaoer.demo import DEMO_MERCHANT, demo_files

    assistant.knowledge.ensure_merchant(DEMO_MERCHANT)
    assistant.knowledge.ingest_paths(DEMO_MERCHANT, demo_files())
    return DEMO_MERCHANT
