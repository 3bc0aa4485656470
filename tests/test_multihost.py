"""Two hosts: two `xiaoer serve` processes on one Postgres, one Chroma server and one Redis
(xiaoer.localstack.Stack, what deploy/local-stack.sh starts). One stack for the module;
the hosts start together on an empty database. Every request names its own client
address (X-Forwarded-For, trusted from 127.0.0.1) so rate limits apply per test."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from collections import Counter

import httpx
import pytest
from sqlalchemy import create_engine, text
from websockets.sync.client import connect

from tests.conftest import ADMIN_TOKEN
from xiaoer.localstack import Stack, StackError, postgres_available

PER_IP = 20  # per minute, on both hosts together
_addresses = (f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}" for i in itertools.count(1))

FAQ = ("faq.csv", "question,answer\nDo you gift wrap?,Yes, gift wrap is free.\n"
       "How long does delivery take?,Delivery takes 3 to 5 days.\n".encode(), "text/csv")
SAME_SIZE = ("faq.csv", "question,answer\nDo you gift wrap?,No, gift wrap is gone.\n"
             "How long does delivery take?,Delivery takes 3 to 5 days.\n".encode(), "text/csv")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not postgres_available():
        pytest.skip("Postgres is not installed (apt-get install postgresql)")
    env = {"XIAOER_ADMIN_TOKEN": ADMIN_TOKEN, "XIAOER_ENGLISH_EMBEDDER": "", "XIAOER_RATE_LIMIT_PER_IP": f"{PER_IP}/minute"}
    try:
        running = Stack(tmp_path_factory.mktemp("stack"), hosts=2, extra_env=env).start()
    except StackError as exc:
        if "not installed" in str(exc) or "no `chroma`" in str(exc):
            pytest.skip(str(exc))
        raise
    yield running
    running.stop()


def client(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, timeout=60, headers={"X-Forwarded-For": next(_addresses)})


def chat(http: httpx.Client, merchant: str, message: str, conversation: str | None = None) -> httpx.Response:
    """One turn, from a client address of its own (only the rate-limit test shares one)."""
    body = {"merchant_id": merchant, "message": message}
    if conversation:
        body["conversation_id"] = conversation
    return http.post("/v1/chat", json=body, headers={"X-Forwarded-For": next(_addresses)})


def test_both_hosts_migrate_the_empty_database_at_once_and_serve(stack):
    """Their first requests race to migrate: every one is answered."""
    results: list[int] = []

    def create(base: str, merchant: str) -> None:
        with client(base) as http:
            results.append(http.post("/v1/merchants", json={"id": merchant, "name": merchant},
                                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).status_code)

    threads = [threading.Thread(target=create, args=(base, f"first-{i}")) for i, base in enumerate(stack.bases * 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert results == [201] * 4
    engine = create_engine(stack.postgres.url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM merchants WHERE id LIKE 'first-%'")).scalar() == 4
    engine.dispose()


@pytest.fixture(scope="module")
def shop(stack) -> dict:
    """A merchant whose FAQ was uploaded on host A, and an agent of theirs."""
    a, _ = stack.bases
    with client(a) as http:
        r = http.post("/v1/merchants", json={"id": "twohost", "name": "Two hosts"},
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        key = {"X-Api-Key": r.json()["api_key"]}
        assert http.post("/v1/merchants/twohost/documents", headers=key, files=[("files", FAQ)]).status_code == 201
        agent = http.post("/v1/merchants/twohost/agents", headers=key, json={"id": "amy", "name": "Amy"}).json()
    return {"merchant": "twohost", "key": key, "agent": {"X-Agent-Key": agent["api_key"]}}


def test_an_upload_on_a_is_answered_on_b_by_keyword_and_by_paraphrase(stack, shop):
    _, b = stack.bases
    with client(b) as http:
        for question in ("Do you gift wrap?", "can you wrap it as a gift"):
            r = chat(http, shop["merchant"], question)
            assert r.status_code == 200 and r.json()["reply"] == "Yes, gift wrap is free.", (question, r.text)


def test_a_same_size_replacement_on_a_is_never_answered_from_the_old_text_on_b(stack, shop):
    a, b = stack.bases
    with client(a) as http:
        assert http.post("/v1/merchants/twohost/documents", headers=shop["key"], files=[("files", SAME_SIZE)]).json()
    with client(b) as http:
        assert chat(http, shop["merchant"], "Do you gift wrap?").json()["reply"] == "No, gift wrap is gone."
    with client(a) as http:  # back, for the tests after this one
        assert http.post("/v1/merchants/twohost/documents", headers=shop["key"], files=[("files", FAQ)]).status_code == 201


def test_reindex_from_a_third_process_while_both_hosts_chat(stack, shop):
    statuses: Counter = Counter()
    replies: Counter = Counter()
    stop = threading.Event()

    def chatter(base: str) -> None:
        with client(base) as http:
            while not stop.is_set():
                r = chat(http, shop["merchant"], "How long does delivery take?")
                statuses[r.status_code] += 1
                if r.status_code == 200:
                    replies[r.json()["reply"]] += 1

    threads = [threading.Thread(target=chatter, args=(base,)) for base in stack.bases]
    for t in threads:
        t.start()
    try:
        done = subprocess.run([sys.executable, "-m", "xiaoer.cli", "reindex", "-m", shop["merchant"]],
                              env={**stack.env, "XIAOER_ENGLISH_EMBEDDER": ""}, capture_output=True, text=True, timeout=300)
        time.sleep(1.0)  # a few turns on the new collection too
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sum(statuses.values()) >= 4
    assert set(statuses) == {200}, statuses
    assert set(replies) == {"Delivery takes 3 to 5 days."}


def test_an_agent_reply_on_a_reaches_the_shopper_socket_on_b(stack, shop):
    a, b = stack.bases
    with client(b) as http:
        turn = chat(http, shop["merchant"], "转人工").json()
    conversation, ticket = turn["conversation_id"], turn["handoff"]["ticket_id"]
    ws_url = f"ws://127.0.0.1:{stack.hosts[1].port}/v1/ws/chat?merchant_id=twohost&conversation_id={conversation}"
    with connect(ws_url, additional_headers={"X-Forwarded-For": next(_addresses)}) as ws, client(a) as http:
        time.sleep(0.5)  # subscribed
        assert http.post(f"/v1/agent/tickets/{ticket}/claim", headers=shop["agent"]).status_code == 200
        assert http.post(f"/v1/agent/tickets/{ticket}/messages", headers=shop["agent"],
                         json={"text": "Amy here, on host A"}).status_code == 201
        texts = []
        deadline = time.monotonic() + 10  # a notice, not the 30 s catch-up poll
        while "Amy here, on host A" not in texts and time.monotonic() < deadline:
            frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if frame["type"] == "agent_message":
                texts.append(frame["message"]["text"])
        assert "Amy here, on host A" in texts


def test_rate_limits_hold_across_hosts(stack, shop):
    address = next(_addresses)
    statuses = []
    for i in range(PER_IP + 6):
        with httpx.Client(base_url=stack.bases[i % 2], timeout=60, headers={"X-Forwarded-For": address}) as http:
            statuses.append(http.post("/v1/chat", json={"merchant_id": shop["merchant"], "message": f"hello {i}"}).status_code)
    assert statuses.count(200) == PER_IP and statuses.count(429) == 6


def test_a_claim_on_a_racing_the_queue_timeout_on_b_is_never_lost(stack):
    """The issue's lost update: a shopper's message on B expires the ticket while an agent
    on A claims it. Whichever wins, the other is refused, and a 200 claim holds."""
    a, b = stack.bases
    with client(a) as http:
        r = http.post("/v1/merchants", json={"id": "racer", "name": "Racer"}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        key = {"X-Api-Key": r.json()["api_key"]}
        policy = http.get("/v1/merchants/racer/policy", headers=key).json()
        assert http.put("/v1/merchants/racer/policy", headers=key, json={**policy, "queue_timeout_minutes": 0.005}).status_code == 200
        agent = {"X-Agent-Key": http.post("/v1/merchants/racer/agents", headers=key,
                                          json={"id": "racer-ann", "name": "Ann"}).json()["api_key"]}
    outcomes: Counter = Counter()
    with client(a) as on_a, client(b) as on_b:
        for _ in range(6):
            turn = chat(on_b, "racer", "转人工").json()
            conversation, ticket = turn["conversation_id"], turn["handoff"]["ticket_id"]
            time.sleep(0.4)  # past the 0.3 s queue timeout
            results: dict[str, httpx.Response] = {}
            racers = [
                threading.Thread(target=lambda: results.__setitem__(
                    "claim", on_a.post(f"/v1/agent/tickets/{ticket}/claim", headers=agent))),
                threading.Thread(target=lambda: results.__setitem__(
                    "shopper", chat(on_b, "racer", "还在吗？", conversation))),
            ]
            for t in racers:
                t.start()
            for t in racers:
                t.join(timeout=60)
            assert results["shopper"].status_code == 200 and results["claim"].status_code in (200, 409)
            status = on_a.get(f"/v1/agent/tickets/{ticket}", headers=agent).json()["status"]
            if results["claim"].status_code == 200:
                assert status == "claimed"
                assert on_a.post(f"/v1/agent/tickets/{ticket}/messages", headers=agent, json={"text": "Ann here"}).status_code == 201
            else:
                assert status == "handed_back"
            outcomes[status] += 1
    assert sum(outcomes.values()) == 6


def test_kill_9_of_one_host_mid_traffic_loses_no_acknowledged_message(stack, shop):
    """Shoppers on both hosts; host B is SIGKILLed under them. Every message answered 200
    is in Postgres. (Runs last: B stays down.)"""
    acked: list[tuple[str, str]] = []
    refused: Counter = Counter()
    stop = threading.Event()

    def shopper(base: str, n: int) -> None:
        with client(base) as http:
            conversation = None
            for i in itertools.count():
                if stop.is_set():
                    return
                message = f"shopper {n} message {i}: do you gift wrap?"
                try:
                    r = chat(http, shop["merchant"], message, conversation)
                except httpx.HTTPError as exc:
                    refused[type(exc).__name__] += 1
                    return  # the host is gone
                if r.status_code != 200:
                    refused[r.status_code] += 1
                    continue
                conversation = r.json()["conversation_id"]
                acked.append((conversation, message))
                if i >= 20:
                    return

    threads = [threading.Thread(target=shopper, args=(base, n)) for n, base in enumerate(stack.bases * 2)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    stack.hosts[1].kill()  # SIGKILL: no shutdown, no flush
    for t in threads:
        t.join(timeout=120)
    stop.set()
    assert not [s for s in refused if isinstance(s, int) and s >= 500], refused
    engine = create_engine(stack.postgres.url)
    with engine.connect() as connection:
        stored = set(connection.execute(text("SELECT conversation_id, text FROM messages WHERE role = 'shopper'")).all())
    engine.dispose()
    assert acked and [m for m in acked if m not in stored] == []
