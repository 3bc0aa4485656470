"""Rate limits on the shopper endpoints: 429 + Retry-After over HTTP, an error frame
with status 429 on the WebSocket (which stays open), per IP and per conversation."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import RateLimited, RateLimiter
from xiaoer.settings import Settings, get_settings


def limited_client(assistant, per_ip: str, per_session: str) -> TestClient:
    settings = Settings(home=get_settings().home, rate_limit_per_ip=per_ip, rate_limit_per_session=per_session)
    return TestClient(create_app(assistant, settings=settings))


def chat(client, message="几天发货？", conversation_id=None, **headers):
    body = {"merchant_id": "demo", "message": message}
    if conversation_id:
        body["conversation_id"] = conversation_id
    return client.post("/v1/chat", json=body, headers=headers)


def assert_429(response, within: int = 60):
    assert response.status_code == 429, response.text
    assert "too many messages" in response.json()["detail"]
    assert 1 <= int(response.headers["retry-after"]) <= within


def test_chat_is_limited_per_conversation_then_per_ip(assistant, demo_merchant):
    with limited_client(assistant, per_ip="5/minute", per_session="3/minute") as client:
        first = chat(client)
        assert first.status_code == 200
        cid = first.json()["conversation_id"]
        assert [chat(client, "支持七天无理由吗？", cid).status_code for _ in range(3)] == [200, 200, 200]
        refused = chat(client, "还有别的问题", cid, origin="https://shop.example")
        assert_429(refused)
        assert "this conversation" in refused.json()["detail"]
        # The widget on a shop's own site can read the header.
        assert "retry-after" in refused.headers["access-control-expose-headers"].lower()
        # Another conversation from the same address: one more turn, then the per-IP limit.
        other = chat(client)
        assert other.status_code == 200
        refused = chat(client, "再问一次", other.json()["conversation_id"])
        assert_429(refused)
        assert "client address" in refused.json()["detail"]


def test_new_conversations_count_per_address(assistant, demo_merchant):
    with limited_client(assistant, per_ip="0", per_session="2/minute") as client:
        assert [chat(client).status_code for _ in range(2)] == [200, 200]
        refused = chat(client)
        assert_429(refused)
        assert "new conversations" in refused.json()["detail"]


def test_offer_buttons_and_ratings_are_limited(assistant, demo_merchant):
    with limited_client(assistant, per_ip="0", per_session="2/minute") as client:
        cid = chat(client).json()["conversation_id"]
        rate = {"merchant_id": "demo", "rating": 5}
        assert [client.post(f"/v1/conversations/{cid}/rating", json=rate).status_code for _ in range(2)] == [204, 204]
        assert_429(client.post(f"/v1/conversations/{cid}/rating", json=rate))
        assert_429(client.post(f"/v1/conversations/{cid}/offer", json={"merchant_id": "demo", "decision": "accept"}))
        # Reading the transcript is not limited.
        assert client.get(f"/v1/conversations/{cid}/messages", params={"merchant_id": "demo"}).status_code == 200


def test_websocket_gets_a_429_frame_and_stays_open(assistant, demo_merchant):
    with limited_client(assistant, per_ip="0", per_session="2/minute") as client, \
            client.websocket_connect("/v1/ws/chat?merchant_id=demo") as ws:
        def turn(message):
            ws.send_json({"type": "message", "message": message})
            while (frame := ws.receive_json())["type"] == "token":
                pass
            return frame

        first = turn("几天发货？")
        assert first["type"] == "result"
        assert turn("支持七天无理由吗？")["type"] == "result"
        assert turn("可以开发票吗？")["type"] == "result"  # the conversation's own limit: 2 after the first
        refused = turn("还在吗？")
        assert refused["type"] == "error" and refused["status"] == 429
        assert "too many messages" in refused["detail"] and 1 <= refused["retry_after"] <= 60
        # Still open: the next frame is answered.
        ws.send_json({"type": "bogus"})
        assert ws.receive_json()["status"] == 400


def test_limits_off_and_defaults():
    assert not RateLimiter("0", "0").enabled
    for _ in range(500):
        RateLimiter("0", "0").check("1.2.3.4", None)
    defaults = Settings()
    assert (defaults.rate_limit_per_ip, defaults.rate_limit_per_session) == ("120/minute", "30/minute")
    with pytest.raises(ValueError):
        Settings(rate_limit_per_ip="lots")


def test_window_slides_and_retry_after_is_honest():
    limiter = RateLimiter("100/minute", "2/second")
    limiter.check("1.2.3.4", "c1")
    limiter.check("1.2.3.4", "c1")
    with pytest.raises(RateLimited) as refused:
        limiter.check("1.2.3.4", "c1")
    assert refused.value.retry_after == 1
    limiter.check("1.2.3.4", "c2")  # another conversation is not affected
    limiter.check("5.6.7.8", None)
    time.sleep(1.05)
    limiter.check("1.2.3.4", "c1")  # the window slid


def test_turn_threads_per_process(assistant):
    """Offline, a turn is CPU-bound: 2 threads (anyio's default of 40 let 100 concurrent
    shoppers time each other out on SQLite's write lock; see bench/load.py)."""
    import anyio.to_thread

    assert Settings().threads == 2
    assert Settings(openai_api_key="sk-x").threads == 32
    settings = Settings(home=get_settings().home, api_threads=3)

    async def tokens() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    with TestClient(create_app(assistant, settings=settings)) as client:
        assert client.portal.call(tokens) == 3
