"""Redis: live-message notices published after commit reach the shopper's socket at once,
and rate limits are counted together by every process."""

from __future__ import annotations

import time

import pytest
import redis

from api.ratelimit import RateLimited, RateLimiter
from bot.conversations import add_message, history, open_conversation
from knowledge import repository
from tests.conftest import app_client, shop_with_agent
from xiaoer.db import session_scope
from xiaoer.livebus import channel
from xiaoer.localstack import StackError, free_port, redis_server
from xiaoer.settings import get_settings, reset_settings


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    try:
        server = redis_server(tmp_path_factory.mktemp("redis")).start()
    except StackError as exc:
        pytest.skip(str(exc))
    yield f"redis://127.0.0.1:{server.port}/0"
    server.kill()


@pytest.fixture
def with_redis(redis_url, monkeypatch):
    monkeypatch.setenv("XIAOER_REDIS_URL", redis_url)
    reset_settings()
    yield redis_url
    monkeypatch.delenv("XIAOER_REDIS_URL")
    reset_settings()


def notices(url: str):
    subscriber = redis.Redis.from_url(url).pubsub()
    subscriber.subscribe(channel(get_settings().chroma_prefix))
    subscriber.get_message(timeout=2)  # the subscribe confirmation
    return subscriber


def test_after_commit_callbacks_outlive_a_savepoint_rollback_but_not_the_transactions():
    from xiaoer.db import after_commit

    ran = []
    with session_scope() as s:
        after_commit(s, lambda: ran.append("kept"))
        savepoint = s.begin_nested()  # as an IntegrityError path does
        savepoint.rollback()
    assert ran == ["kept"]
    with pytest.raises(RuntimeError), session_scope() as s:
        after_commit(s, lambda: ran.append("dropped"))
        raise RuntimeError("rolled back")
    assert ran == ["kept"]


def test_a_notice_is_published_after_commit_and_never_for_a_rollback(with_redis, merchant_id):
    subscriber = notices(with_redis)
    with session_scope() as s:
        repository.get_or_create_merchant(s, merchant_id)
        conversation = open_conversation(s, merchant_id, None, lang="en")
    with pytest.raises(RuntimeError), session_scope() as s:
        add_message(s, s.merge(conversation), "agent", "never sent")
        raise RuntimeError("rolled back")
    assert subscriber.get_message(timeout=0.5) is None
    with session_scope() as s:
        add_message(s, s.merge(conversation), "agent", "hello")
        assert subscriber.get_message(timeout=0.3) is None  # not before the commit…
    notice = subscriber.get_message(timeout=2)  # …but right after it
    assert notice["data"].decode() == conversation.id
    with session_scope() as s:  # and what it announces is there to read
        assert [m.text for m in history(s, conversation.id) if m.role == "agent"] == ["hello"]


def test_an_agent_reply_reaches_the_socket_on_the_notice_not_the_catch_up_poll(assistant, with_redis, merchant_id):
    with app_client(assistant, redis_url=with_redis) as client:
        _key, agent = shop_with_agent(client, merchant_id)
        turn = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "转人工"}).json()
        conversation, ticket = turn["conversation_id"], turn["handoff"]["ticket_id"]
        assert client.post(f"/v1/agent/tickets/{ticket}/claim", headers=agent).status_code == 200
        with client.websocket_connect(f"/v1/ws/chat?merchant_id={merchant_id}&conversation_id={conversation}") as ws:
            deadline = time.monotonic() + 10
            while not client.app.state.live_bus.connected and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(1.0)  # the socket is waiting on its notice (the catch-up poll is 30 s away)
            sent = time.monotonic()
            assert client.post(f"/v1/agent/tickets/{ticket}/messages", headers=agent, json={"text": "Hi, Amy here"}).status_code == 201
            frame = ws.receive_json()
            assert frame["type"] == "agent_message" and frame["message"]["text"] == "Hi, Amy here"
            assert time.monotonic() - sent < 5


def test_rate_limits_are_counted_together_through_redis(redis_url):
    prefix = f"t{time.time_ns()}"  # counts of this test only
    hosts = [RateLimiter("3/minute", "0", redis_url, prefix=prefix) for _ in range(2)]
    accepted = 0
    for i in range(8):
        try:
            hosts[i % 2].check("203.0.113.9", None)
            accepted += 1
        except RateLimited:
            pass
    assert accepted == 3


def test_with_redis_away_calls_go_through_and_nothing_fails(merchant_id, monkeypatch):
    away = f"redis://127.0.0.1:{free_port()}/0"
    RateLimiter("1/minute", "0", away).check("203.0.113.9", None)  # no exception: let through
    monkeypatch.setenv("XIAOER_REDIS_URL", away)
    reset_settings()
    try:
        with session_scope() as s:
            repository.get_or_create_merchant(s, merchant_id)
            conversation = open_conversation(s, merchant_id, None, lang="en")
            add_message(s, conversation, "agent", "still saved")
    finally:
        monkeypatch.delenv("XIAOER_REDIS_URL")
        reset_settings()
