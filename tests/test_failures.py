"""Failures of real components, and recovery without restarting the app:

* a real Chroma server killed and restarted (chat falls back to BM25; knowledge writes
  are a 503 that changes nothing);
* the SQLite file write-locked by another connection (503 with Retry-After, nothing
  half-written);
* `kill -9` of a real server mid-traffic (everything acknowledged is still there).
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from api.app import create_app
from bot.models import Conversation, Message, MetricEvent, RecoveryOfferRow
from handoff.models import HandoffTicket
from knowledge import repository
from tests.conftest import ADMIN_TOKEN, _free_port
from xiaoer.db import reset_engines, session_scope
from xiaoer.settings import Settings, get_settings, reset_settings

FAQ = ("faq.csv", "question,answer\nDo you gift wrap?,Yes, gift wrap is free.\n".encode(), "text/csv")
SHIPPING = (
    "shipping.csv",
    "question,answer\nDo you ship to Canada?,Yes, we ship to Canada in 7 to 10 days.\n".encode(),
    "text/csv",
)


class ServerProcess:
    """A server subprocess on 127.0.0.1 in its own process group, so a finaliser can always
    kill it; ``start`` returns once ``ready_path`` answers 200."""

    def __init__(self, argv: list[str], port: int, ready_path: str, log_path: Path, env: dict | None = None) -> None:
        self.argv, self.port, self.ready_path, self.log_path, self.env = argv, port, ready_path, log_path, env
        self.base = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(self.base + self.ready_path, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"{self.argv[0]} did not come up:\n{self.log_path.read_text(errors='replace')[-3000:]}")

    def kill(self) -> None:
        """SIGKILL, no chance to flush or clean up."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


# ----------------------------------------------------------------------------- Chroma


class ChromaServer(ServerProcess):
    """`chroma run` with its files in ``path``."""

    def __init__(self, path: Path, port: int, log_path: Path) -> None:
        executable = shutil.which("chroma")
        if executable is None:
            pytest.skip("no `chroma` CLI (pip install chromadb)")
        argv = [executable, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
        super().__init__(argv, port, "/api/v2/heartbeat", log_path, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})

    def move_to(self, path: Path) -> None:
        """Serve from other files next start (as if the old ones were lost)."""
        self.argv[self.argv.index("--path") + 1] = str(path)


@pytest.fixture
def chroma(tmp_path):
    server = ChromaServer(tmp_path / "chroma", _free_port(), tmp_path / "chroma.log")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def chroma_shop(assistant, chroma):
    """The app over a ShopAssistant whose dense index lives in the Chroma server."""
    from bot.turn import ShopAssistant
    from retrieval.retriever import HybridRetriever

    settings = Settings(home=get_settings().home, admin_token=ADMIN_TOKEN, chroma_host="127.0.0.1", chroma_port=chroma.port)
    shop = ShopAssistant(
        settings=settings,
        retriever=HybridRetriever(embedder=assistant.retriever.embedder, settings=settings),
        classifier=assistant.classifier,
    )
    app = create_app(shop, settings)
    app.dependency_overrides[get_settings] = lambda: settings
    with TestClient(app) as client:
        yield client, shop


def make_merchant(client, merchant_id) -> dict:
    r = client.post("/v1/merchants", json={"id": merchant_id, "name": "Shop"}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert r.status_code == 201, r.text
    return {"X-Api-Key": r.json()["api_key"]}


def upload(client, merchant_id, key, *files):
    return client.post(f"/v1/merchants/{merchant_id}/documents", headers=key, files=[("files", f) for f in files])


def document_names(client, merchant_id, key) -> list[str]:
    r = client.get(f"/v1/merchants/{merchant_id}/documents", headers=key)
    assert r.status_code == 200, r.text
    return [d["name"] for d in r.json()]


def sql_knowledge(merchant_id) -> tuple[int, int]:
    with session_scope() as s:
        return repository.chunk_count(s, merchant_id), repository.kb_version(s, merchant_id)


def assert_unavailable(response, what: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["Retry-After"]) > 0
    assert what in response.json()["detail"] and "retry" in response.json()["detail"]


def used_dense(shop, merchant_id, question) -> bool:
    return shop.retriever.search(merchant_id, question).hits[0].dense_rank is not None


def test_chroma_outage_degrades_chat_to_bm25_refuses_knowledge_writes_and_recovers(chroma, chroma_shop, merchant_id, caplog):
    client, shop = chroma_shop
    key = make_merchant(client, merchant_id)
    assert upload(client, merchant_id, key, FAQ).status_code == 201
    chat = {"merchant_id": merchant_id, "message": "Do you gift wrap?"}
    assert client.post("/v1/chat", json=chat).json()["reply"] == "Yes, gift wrap is free."
    assert used_dense(shop, merchant_id, "Do you gift wrap?")
    before = (document_names(client, merchant_id, key), sql_knowledge(merchant_id))

    chroma.kill()
    with caplog.at_level(logging.WARNING, logger="retrieval.retriever"):
        answered = client.post("/v1/chat", json=chat)
    # (a) the shopper still gets the answer, from BM25 (similarities re-embedded from SQL)
    assert answered.status_code == 200, answered.text
    assert answered.json()["reply"] == "Yes, gift wrap is free." and answered.json()["handoff"] is None
    assert "BM25 only" in caplog.text and shop.retriever.dense_unavailable
    assert not used_dense(shop, merchant_id, "Do you gift wrap?")

    # (b) knowledge writes are refused whole
    assert_unavailable(upload(client, merchant_id, key, SHIPPING), "nothing was changed")
    assert_unavailable(client.delete(f"/v1/merchants/{merchant_id}/documents/faq.csv", headers=key), "vector store")
    assert (document_names(client, merchant_id, key), sql_knowledge(merchant_id)) == before

    # (c) same path and port again: writes work and dense retrieval is back, same app
    chroma.start()
    assert upload(client, merchant_id, key, SHIPPING).status_code == 201
    shipped = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "Do you ship to Canada?"}).json()
    assert shipped["reply"] == "Yes, we ship to Canada in 7 to 10 days."
    assert used_dense(shop, merchant_id, "Do you ship to Canada?") and not shop.retriever.dense_unavailable
    assert client.delete(f"/v1/merchants/{merchant_id}/documents/faq.csv", headers=key).status_code == 204
    assert document_names(client, merchant_id, key) == ["shipping.csv"]
    assert shop.retriever.vectors.count(merchant_id, shop.retriever.embedder.name) == sql_knowledge(merchant_id)[0]


def test_vectors_in_memory_over_a_chroma_server_see_another_hosts_upload_and_ride_out_an_outage(chroma, assistant, merchant_id):
    from bot.turn import ShopAssistant
    from retrieval.retriever import HybridRetriever

    settings = Settings(home=get_settings().home, chroma_host="127.0.0.1", chroma_port=chroma.port, vectors_in_memory=True)
    hosts = [ShopAssistant(settings=settings, retriever=HybridRetriever(embedder=assistant.retriever.embedder, settings=settings),
                           classifier=assistant.classifier) for _ in range(2)]
    a, b = hosts
    a.knowledge.ensure_merchant(merchant_id)
    a.knowledge.ingest_files(merchant_id, [(FAQ[0], FAQ[1])])
    assert used_dense(b, merchant_id, "Do you gift wrap?")
    queried = []
    b.retriever.vectors.query = lambda *args, **kw: queried.append(args)  # searches must not ask the server
    a.knowledge.ingest_files(merchant_id, [(SHIPPING[0], SHIPPING[1])])  # host A's upload bumps the version…
    assert used_dense(b, merchant_id, "Do you ship to Canada?") and not queried  # …so B reloads and finds it
    chroma.kill()
    assert used_dense(b, merchant_id, "Do you ship to Canada?")  # an outage: searches go on from memory
    chroma.start()


def test_chroma_that_comes_back_empty_is_refilled_from_sql(chroma, chroma_shop, merchant_id, tmp_path):
    client, shop = chroma_shop
    key = make_merchant(client, merchant_id)
    assert upload(client, merchant_id, key, FAQ, SHIPPING).status_code == 201
    chroma.kill()
    assert client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "Do you gift wrap?"}).status_code == 200
    chroma.move_to(tmp_path / "blank-chroma")
    chroma.start()
    assert used_dense(shop, merchant_id, "Do you gift wrap?")  # ensure_indexed rebuilt it from SQL
    assert shop.retriever.vectors.count(merchant_id, shop.retriever.embedder.name) == 2


def test_an_app_started_while_chroma_is_down_answers_and_connects_once_it_is_up(chroma, chroma_shop, merchant_id, assistant):
    from bot.turn import ShopAssistant
    from retrieval.retriever import HybridRetriever

    client, first = chroma_shop
    key = make_merchant(client, merchant_id)
    assert upload(client, merchant_id, key, FAQ).status_code == 201
    chroma.kill()
    late = ShopAssistant(  # built (no connection yet) while Chroma is down
        settings=first.settings,
        retriever=HybridRetriever(embedder=assistant.retriever.embedder, settings=first.settings),
        classifier=assistant.classifier,
    )
    with TestClient(create_app(late, first.settings)) as fresh:
        r = fresh.post("/v1/chat", json={"merchant_id": merchant_id, "message": "Do you gift wrap?"})
        assert r.status_code == 200 and r.json()["reply"] == "Yes, gift wrap is free."
        chroma.start()
        assert used_dense(late, merchant_id, "Do you gift wrap?")


# ----------------------------------------------------------------------------- SQLite locked


@pytest.fixture
def quick_db_timeout(monkeypatch):
    """SQLite gives up on a held lock after half a second (XIAOER_DB_TIMEOUT), not 30."""
    monkeypatch.setenv("XIAOER_DB_TIMEOUT", "0.5")
    reset_settings()
    yield get_settings()
    monkeypatch.delenv("XIAOER_DB_TIMEOUT")
    reset_settings()
    reset_engines()


@contextmanager
def sqlite_write_lock(path: Path):
    """Another connection holding BEGIN EXCLUSIVE: other writers wait, then fail with
    "database is locked". In WAL mode readers carry on."""
    locker = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        locker.close()  # rolls back, releasing the lock


def test_a_locked_database_is_a_503_with_retry_after_and_nothing_half_written(assistant, quick_db_timeout, merchant_id):
    settings = Settings(home=quick_db_timeout.home, admin_token=ADMIN_TOKEN)
    app = create_app(assistant, settings)
    app.dependency_overrides[get_settings] = lambda: settings
    with TestClient(app) as client:
        key = make_merchant(client, merchant_id)
        assert upload(client, merchant_id, key, FAQ).status_code == 201
        agent = {"X-Agent-Key": client.post(f"/v1/merchants/{merchant_id}/agents", headers=key,
                                            json={"id": "amy", "name": "Amy"}).json()["api_key"]}
        ask = {"merchant_id": merchant_id, "message": "Do you gift wrap?"}
        conversation = client.post("/v1/chat", json=ask).json()["conversation_id"]
        ticket = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "转人工"}).json()["handoff"]["ticket_id"]

        def transcript():
            r = client.get(f"/v1/conversations/{conversation}/messages", params={"merchant_id": merchant_id})
            assert r.status_code == 200, r.text
            return [(m["role"], m["text"]) for m in r.json()]

        def queue():
            r = client.get("/v1/agent/queue", headers=agent)
            assert r.status_code == 200, r.text
            return [(t["id"], t["status"]) for t in r.json()]

        writes = {
            "chat": lambda: client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "hello", "conversation_id": conversation}),
            "new conversation": lambda: client.post("/v1/chat", json=ask),
            "upload": lambda: upload(client, merchant_id, key, SHIPPING),
            "claim": lambda: client.post(f"/v1/agent/tickets/{ticket}/claim", headers=agent),
            "rating": lambda: client.post(f"/v1/conversations/{conversation}/rating", json={"merchant_id": merchant_id, "rating": 5}),
        }
        with session_scope() as s:
            conversations = s.scalar(select(func.count()).select_from(Conversation).where(Conversation.merchant_id == merchant_id))
        before = (transcript(), queue(), document_names(client, merchant_id, key))

        with client.websocket_connect(f"/v1/ws/chat?merchant_id={merchant_id}&conversation_id={conversation}") as ws:
            with sqlite_write_lock(quick_db_timeout.home / "xiaoer.db"):
                for name, send in writes.items():
                    started = time.monotonic()
                    response = send()
                    assert time.monotonic() - started < 5, name
                    assert_unavailable(response, "database")
                ws.send_json({"type": "message", "message": "hello"})
                refused = ws.receive_json()
                assert (refused["type"], refused["status"], refused["retry_after"]) == ("error", 503, 5)
                # Reads are still served, and show nothing of the refused writes.
                assert (transcript(), queue(), document_names(client, merchant_id, key)) == before
                with session_scope() as s:
                    merchant_conversations = select(func.count()).select_from(Conversation).where(Conversation.merchant_id == merchant_id)
                    assert s.scalar(merchant_conversations) == conversations
                    assert s.get(Conversation, conversation).rating is None  # not stored after a 2xx

            # The lock is gone: the same requests succeed, same app, same socket.
            ws.send_json({"type": "message", "message": "hello"})
            while (frame := ws.receive_json())["type"] == "token":
                pass
            assert frame["type"] == "result", frame
        for name, send in writes.items():
            response = send()
            assert response.status_code in (200, 201, 204), (name, response.text)
        roles = [role for role, _ in transcript()]
        assert roles == ["shopper", "bot"] * 3  # the refused turns left no shopper message behind
        assert queue() == [(ticket, "claimed")]
        assert document_names(client, merchant_id, key) == ["faq.csv", "shipping.csv"]
        with session_scope() as s:
            assert s.get(Conversation, conversation).rating == 5


# ----------------------------------------------------------------------------- kill -9


@dataclass
class Ack:
    """A response that came back 200: the server said this turn happened."""

    conversation_id: str
    message: str | None  # None for an offer button (the server words the shopper's message)
    body: dict


SHOP_FAQ = (
    "faq.csv",
    "question,answer\n"
    "退货运费谁出？,质量问题由我们承担运费，其他原因的退货运费由买家承担。\n"
    "How long does delivery take?,Orders arrive in 3 to 5 days.\n"
    "Do you gift wrap?,Yes, gift wrap is free.\n".encode(),
    "text/csv",
)
SCENARIOS = [
    [("say", "退货运费谁出？"), ("say", "How long does delivery take?")],
    [("say", "I want to return it, the parcel arrived way too late"), ("accept", None)],
    [("say", "你好"), ("say", "转人工")],
]


@pytest.fixture
def xiaoer_server(tmp_path, assistant, xiaoer_home):
    """`xiaoer serve` on a fresh home (``assistant`` has put the trained intent model in the
    session home's cache); killed at the end whatever happened."""
    home = tmp_path / "home"
    shutil.copytree(xiaoer_home / "cache", home / "cache")  # the trained intent model: no retraining
    port = _free_port()
    env = {
        **os.environ, "XIAOER_HOME": str(home), "XIAOER_ADMIN_TOKEN": ADMIN_TOKEN,
        "XIAOER_RATE_LIMIT_PER_IP": "0", "XIAOER_RATE_LIMIT_PER_SESSION": "0",
    }
    server = ServerProcess(
        [sys.executable, "-m", "xiaoer.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        port, "/healthz", tmp_path / "server.log", env=env,
    )
    yield server, home
    server.kill()


def drive_shopper(base: str, first: int, acks: list[Ack], cut: list[str], refused: list[str], stop: threading.Event) -> None:
    """Run the scenarios round-robin until told to stop or the server is gone."""
    with httpx.Client(base_url=base, timeout=30) as http:
        for n in itertools.count(first):
            scenario = SCENARIOS[n % len(SCENARIOS)]
            conversation_id = None
            for step, message in scenario:
                if stop.is_set():
                    return
                try:
                    if step == "say":
                        r = http.post("/v1/chat", json={"merchant_id": "shop", "message": message, "conversation_id": conversation_id})
                    else:
                        r = http.post(f"/v1/conversations/{conversation_id}/offer", json={"merchant_id": "shop", "decision": "accept"})
                except httpx.ConnectError:  # already dead before this request
                    return
                except httpx.TransportError as exc:  # killed while handling it: unacknowledged
                    cut.append(repr(exc))
                    return
                if r.status_code != 200:
                    refused.append(f"{r.status_code} {r.text}")
                    return
                body = r.json()
                conversation_id = body["conversation_id"]
                acks.append(Ack(conversation_id, message, body))
                if step == "say" and body["offer"] is None and ("accept", None) in scenario:
                    break  # no offer this time (budget spent): nothing to accept


def test_kill_9_mid_conversation_loses_nothing_that_was_acknowledged(xiaoer_server):
    server, home = xiaoer_server
    server.start()
    with httpx.Client(base_url=server.base, timeout=60) as http:
        created = http.post("/v1/merchants", json={"id": "shop", "name": "Shop"}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        key = {"X-Api-Key": created.json()["api_key"]}
        assert http.post("/v1/merchants/shop/documents", headers=key, files=[("files", SHOP_FAQ)]).status_code == 201
        agent = {"X-Agent-Key": http.post("/v1/merchants/shop/agents", headers=key, json={"id": "amy", "name": "Amy"}).json()["api_key"]}

    acks: list[Ack] = []
    cut: list[str] = []  # requests in flight at the kill
    refused: list[str] = []
    stop = threading.Event()
    shoppers = [
        threading.Thread(target=drive_shopper, args=(server.base, first, acks, cut, refused, stop)) for first in (0, 1, 2)
    ]
    for t in shoppers:
        t.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
            len(acks) >= 20 and any(a.body["handoff"] for a in acks) and any(a.body["offer"] for a in acks)
        ):
            time.sleep(0.05)
        server.kill()  # SIGKILL while the shoppers are still sending
    finally:
        stop.set()
        for t in shoppers:
            t.join(timeout=60)
    assert not refused, refused
    assert len(acks) >= 20 and cut, f"{len(acks)} turns acknowledged, {len(cut)} cut off: the kill came too late"

    server.start()  # same home, same port
    by_conversation: dict[str, list[Ack]] = defaultdict(list)
    for ack in acks:
        by_conversation[ack.conversation_id].append(ack)
    with httpx.Client(base_url=server.base, timeout=60) as http:
        # Every acknowledged shopper message and bot reply, in order; at most one more
        # turn (in flight at the kill) after them, and it is whole.
        for conversation_id, turns in by_conversation.items():
            r = http.get(f"/v1/conversations/{conversation_id}/messages", params={"merchant_id": "shop"})
            assert r.status_code == 200, r.text
            messages = r.json()
            assert [m["role"] for m in messages] == ["shopper", "bot"] * (len(messages) // 2), messages
            pairs = list(zip(messages[0::2], messages[1::2]))
            assert len(pairs) - len(turns) in (0, 1), (conversation_id, len(pairs), len(turns))
            for (asked, replied), ack in zip(pairs, turns):
                assert ack.message is None or asked["text"] == ack.message
                assert replied["text"] == ack.body["reply"]

        assert [d["name"] for d in http.get("/v1/merchants/shop/documents", headers=key).json()] == ["faq.csv"]
        acked_tickets = {a.body["handoff"]["ticket_id"]: a.conversation_id for a in acks if a.body["handoff"]}
        queue = {t["id"]: t["conversation_id"] for t in http.get("/v1/agent/queue", headers=agent).json()}
        assert acked_tickets.items() <= queue.items()

        # The restarted server carries on: an old conversation continues, a ticket is claimed.
        some = next(iter(by_conversation))
        assert http.post("/v1/chat", json={"merchant_id": "shop", "message": "谢谢", "conversation_id": some}).status_code == 200
        assert http.post(f"/v1/agent/tickets/{next(iter(acked_tickets))}/claim", headers=agent).status_code == 200

    engine = create_engine(f"sqlite:///{home / 'xiaoer.db'}")
    try:
        with Session(engine) as s:
            assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert s.execute(text("PRAGMA foreign_key_check")).all() == []
            events = defaultdict(list)
            for e in s.scalars(select(MetricEvent).where(MetricEvent.merchant_id == "shop")):
                events[e.kind].append(e)

            # Acknowledged offers and their decisions.
            offers = {o.id: o for o in s.scalars(select(RecoveryOfferRow).where(RecoveryOfferRow.merchant_id == "shop"))}
            for ack in acks:
                if ack.body["offer"]:
                    stored = offers[ack.body["offer"]["id"]]
                    assert stored.conversation_id == ack.conversation_id
                    if ack.body["offer"]["status"] == "accepted":
                        assert stored.status == "accepted"
            # Whatever was committed, acknowledged or in flight, is whole: every ticket has
            # its conversation and event, every shopper message its event, every offer its event.
            conversations = set(s.scalars(select(Conversation.id).where(Conversation.merchant_id == "shop")))
            assert set(by_conversation) <= conversations
            assert {e.conversation_id for e in events["conversation_started"]} == conversations
            tickets = list(s.scalars(select(HandoffTicket).where(HandoffTicket.merchant_id == "shop")))
            assert set(acked_tickets) <= {t.id for t in tickets}
            assert all(t.conversation_id in conversations for t in tickets)
            assert sorted(e.data["ticket_id"] for e in events["escalated"]) == sorted(t.id for t in tickets)
            shopper = list(s.scalars(select(Message).where(Message.merchant_id == "shop", Message.role == "shopper")))
            assert sorted(e.data["message_id"] for e in events["shopper_message"]) == sorted(m.id for m in shopper)
            assert sorted(e.data["message_id"] for e in events["responded"]) == sorted(m.id for m in shopper if m.responded_at)
            assert sorted(e.data["offer_id"] for e in events["offer_made"]) == sorted(offers)
            accepted = {o.id for o in offers.values() if o.status == "accepted"}
            assert sorted(e.data["offer_id"] for e in events["offer_accepted"]) == sorted(accepted)
            answered = defaultdict(int)
            for e in events["answered"] + events["unanswered"]:
                answered[e.conversation_id] += 1
            for conversation_id, turns in by_conversation.items():
                assert answered[conversation_id] >= sum(a.body["route"] == "answer" for a in turns)
    finally:
        engine.dispose()
