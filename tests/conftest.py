"""Test set-up: every run gets its own XIAOER_HOME, and no test can reach a real
LLM, database server or Chroma server."""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

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
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL", "CHROMA_HOST", "XIAOER_REDIS_URL", "XIAOER_EMBEDDER",
                "XIAOER_LLM_MODEL"):
        os.environ.pop(var, None)
    # `xiaoer ask` runs in the test process, never against a server someone left on :8000.
    os.environ["XIAOER_URL"] = "off"
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
    from xiaoer.demo import DEMO_MERCHANT, demo_files, install_demo_policy

    assistant.knowledge.ensure_merchant(DEMO_MERCHANT)
    assistant.knowledge.ingest_paths(DEMO_MERCHANT, demo_files())
    install_demo_policy()
    return DEMO_MERCHANT


ADMIN_TOKEN = "e2e-admin-token"
# Browser tests leave their screenshots in an ignored folder, so a test run changes no
# tracked file; `scripts/screenshots.sh` sets XIAOER_SCREENSHOTS=docs/screenshots to
# refresh the README's images.
SCREENSHOTS = REPO / os.environ.get("XIAOER_SCREENSHOTS", "tests/artifacts/screenshots")


@pytest.fixture(scope="module")
def client(assistant):
    """The API in process (FastAPI's TestClient), merchant creation on with ADMIN_TOKEN."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from xiaoer.settings import Settings, get_settings

    app = create_app(assistant)
    settings = Settings(home=get_settings().home, admin_token=ADMIN_TOKEN)
    app.dependency_overrides[get_settings] = lambda: settings
    with TestClient(app) as c:
        yield c


def make_merchant(client, merchant_id) -> dict[str, str]:
    """A new merchant; its key header."""
    r = client.post("/v1/merchants", json={"id": merchant_id, "name": "Shop"}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert r.status_code == 201, r.text
    return {"X-Api-Key": r.json()["api_key"]}


@contextmanager
def app_client(assistant, **settings):
    """The API in process on these settings (merchant creation on with ADMIN_TOKEN)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from xiaoer.settings import Settings, get_settings

    config = Settings(**{"home": get_settings().home, "admin_token": ADMIN_TOKEN, **settings})
    app = create_app(assistant, config)
    app.dependency_overrides[get_settings] = lambda: config
    with TestClient(app) as client:
        yield client


def shop_with_agent(client, merchant_id) -> tuple[dict[str, str], dict[str, str]]:
    """A new merchant and one agent of theirs: the merchant's and the agent's key headers."""
    key = make_merchant(client, merchant_id)
    r = client.post(f"/v1/merchants/{merchant_id}/agents", headers=key, json={"id": f"{merchant_id}-amy", "name": "Amy"})
    assert r.status_code == 201, r.text
    return key, {"X-Agent-Key": r.json()["api_key"]}


def upload(client, merchant_id, key, *files):
    return client.post(f"/v1/merchants/{merchant_id}/documents", headers=key, files=[("files", f) for f in files])


FAQ = ("faq.csv", "question,answer\nDo you gift wrap?,Yes, gift wrap is free.\n".encode(), "text/csv")


@dataclass
class LiveServer:
    base: str
    home: Path
    merchant_key: str
    agent_keys: dict[str, str]
    admin_token: str = ADMIN_TOKEN


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> LiveServer:
    """`xiaoer demo` ingests the shop in its own home, then uvicorn serves it on 127.0.0.1."""
    home = tmp_path_factory.mktemp("live-home")
    # Every browser these tests drive is one address (127.0.0.1): the limits meant for one
    # shopper's address (120 messages and 30 new conversations a minute) would cap the whole
    # session's shoppers together and turn a late test's chat into a 429. The limits have tests
    # of their own (test_ratelimit, test_multihost).
    env = {**os.environ, "XIAOER_HOME": str(home), "XIAOER_ADMIN_TOKEN": ADMIN_TOKEN,
           "XIAOER_RATE_LIMIT_PER_IP": "100000/minute", "XIAOER_RATE_LIMIT_PER_SESSION": "100000/minute"}
    subprocess.run([sys.executable, "-m", "xiaoer.cli", "demo", "--no-serve"], env=env, check=True, capture_output=True)
    keys = json.loads((home / "demo-keys.json").read_text(encoding="utf-8"))
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "xiaoer.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("server did not start: " + proc.stderr.read().decode()[-2000:])
    yield LiveServer(base=base, home=home, merchant_key=keys["merchant_key"], agent_keys=keys["agent_keys"])
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def postgres_server():
    """A throw-away Postgres (initdb in a temporary folder) for the whole session; skipped
    when Debian's postgresql is not installed (.ci/run installs it)."""
    from xiaoer.localstack import Postgres, postgres_available

    if not postgres_available():
        pytest.skip("Postgres is not installed (apt-get install postgresql)")
    server = Postgres().start()  # in /tmp: pytest's folders are closed to the unprivileged user
    yield server
    server.remove()


def use_database(url: str | None) -> None:
    """Point every later session_scope() of this process at ``url`` (None = the SQLite default)."""
    if url:
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
    reset_settings()
    reset_engines()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request) -> str:
    """Run the test once on the SQLite default and once on Postgres (when installed)."""
    if request.param == "postgres":
        use_database(request.getfixturevalue("postgres_server").url)
    yield request.param
    use_database(None)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright; only 127.0.0.1 is ever loaded."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("XIAOER_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.skip(f"no Chromium at {executable} (.ci/run installs Debian's chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def fake_llm():
    """A small OpenAI-compatible server on 127.0.0.1 (tests/fake_openai.py)."""
    from tests.fake_openai import FakeOpenAI

    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def llm_settings(fake_llm):
    """Settings that turn the LLM on, pointed at the fake server."""
    from xiaoer.settings import Settings, get_settings

    return Settings(
        home=get_settings().home, openai_api_key="sk-test", openai_base_url=fake_llm.base_url,
        llm_model="test-model", llm_timeout=1.0,
    )


@pytest.fixture
def llm_assistant(llm_settings, assistant, demo_merchant):
    """The real pipeline with the LLM answerer pointed at the fake server."""
    from bot.turn import ShopAssistant

    return ShopAssistant(settings=llm_settings, retriever=assistant.retriever, classifier=assistant.classifier)
