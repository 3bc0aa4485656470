"""The HTTP order connector (issue 14) against a stub order API on 127.0.0.1: signed
requests, the 1 s timeout, errors, the cache and the circuit breaker, and what the
shopper is told when the source is down."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from bot import order_source
from bot.order_access import order_settings, sign_shopper
from bot.order_models import OrderAction
from bot.order_source import HttpSource, SourceUnavailable, signature
from bot.turn import TurnRequest
from xiaoer.db import session_scope, utcnow

SECRET = "stub-order-api-secret-0123456789"
NOW = utcnow()
ORDERS = {
    "EXT100": {"order_id": "EXT100", "amount": 88, "status": "shipped", "shopper_id": "erin", "carrier": "京东物流",
               "tracking_no": "JD0099887766", "shipped_at": NOW.isoformat(),
               "events": [{"time": NOW.isoformat(), "location": "北京", "description": "已揽收"}]},
    "EXT200": {"order_id": "EXT200", "amount": 20, "status": "paid", "shopper_id": "erin"},
    "EXT300": {"order_id": "EXT300", "amount": 30, "status": "paid", "shopper_id": "fred"},
}


class StubOrderApi(BaseHTTPRequestHandler):
    mode = "ok"  # ok | slow | error | leaky (lists another shopper's order too)
    calls: list[str] = []
    actions: list[dict] = []

    def log_message(self, *args):
        pass

    def _verified(self, body: bytes = b"") -> bool:
        ts, sig = self.headers.get("X-Xiaoer-Timestamp", ""), self.headers.get("X-Xiaoer-Signature", "")
        fresh = ts.isdigit() and abs(time.time() - int(ts)) < 300
        return fresh and sig == signature(SECRET, ts, self.command, self.path, body)

    def _send(self, status: int, payload=None) -> None:
        body = json.dumps(payload).encode() if payload is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        type(self).calls.append(self.path)
        if self.mode == "slow":
            time.sleep(1.5)
        if self.mode == "error":
            return self._send(500, {"error": "boom"})
        if not self._verified():
            return self._send(401, {"error": "bad signature"})
        url = urlsplit(self.path)
        if url.path.startswith("/api/orders/"):
            order = ORDERS.get(url.path.rsplit("/", 1)[1])
            return self._send(200, order) if order else self._send(404, {"error": "no such order"})
        shopper = parse_qs(url.query).get("shopper_id", [""])[0]
        mine = [o for o in ORDERS.values() if o["shopper_id"] == shopper or self.mode == "leaky"]
        return self._send(200, {"orders": mine})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not self._verified(body):
            return self._send(401, {"error": "bad signature"})
        type(self).actions.append({"path": self.path, "key": self.headers["Idempotency-Key"], **json.loads(body)})
        return self._send(202, {"ok": True})


@pytest.fixture
def stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubOrderApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    StubOrderApi.mode, StubOrderApi.calls, StubOrderApi.actions = "ok", [], []
    order_source.reset_connectors()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()
    order_source.reset_connectors()


def test_signed_lookups_and_a_404_is_not_found(stub):
    source = HttpSource(stub, SECRET)
    assert source.order("EXT100").tracking_no == "JD0099887766"
    assert source.order("NOPE1") is None
    assert [o.order_id for o in source.orders_of("erin")] == ["EXT100", "EXT200"]
    with pytest.raises(SourceUnavailable, match="401"):  # the stub refuses a wrong signature
        HttpSource(stub, "another-secret-another-secret").order("EXT300")


def test_answers_are_cached_briefly(stub):
    source = HttpSource(stub, SECRET)
    source.order("EXT100")
    source.order("EXT100")
    source.order("NOPE1")
    source.order("NOPE1")
    assert StubOrderApi.calls == ["/api/orders/EXT100", "/api/orders/NOPE1"]


def test_timeout_and_errors_open_the_breaker(stub, monkeypatch):
    source = HttpSource(stub, SECRET)
    StubOrderApi.mode = "slow"
    started = time.perf_counter()
    with pytest.raises(SourceUnavailable, match="did not answer"):
        source.order("EXT100")
    assert time.perf_counter() - started < 1.4  # the 1 s timeout, not the stub's 1.5 s
    StubOrderApi.mode = "error"
    for _ in range(2):
        with pytest.raises(SourceUnavailable, match="500"):
            source.order("EXT200")
    calls = len(StubOrderApi.calls)
    StubOrderApi.mode = "ok"
    with pytest.raises(SourceUnavailable, match="for a while"):  # open: not even called
        source.order("EXT300")
    assert len(StubOrderApi.calls) == calls
    # after the cooldown one trial call goes through, and success closes the circuit
    monkeypatch.setattr(source.breaker, "cooldown", 0.0)
    assert source.order("EXT300").order_id == "EXT300"
    assert source.breaker.failures == 0 and source.breaker.opened_at is None


def test_a_leaky_source_still_shows_only_the_shoppers_orders(stub):
    StubOrderApi.mode = "leaky"
    assert {o.shopper_id for o in HttpSource(stub, SECRET).orders_of("erin")} == {"erin"}


@pytest.fixture
def connected(assistant, merchant_id, stub):
    assistant.knowledge.ensure_merchant(merchant_id)
    with session_scope() as s:
        settings = order_settings(s, merchant_id)
        settings.source_url, settings.source_secret = stub, SECRET
        secret = settings.identity_secret
    return merchant_id, {"shopper_id": "erin", "shopper_hmac": sign_shopper(secret, "erin")}


def say(assistant, merchant, text, conversation=None, **extra):
    return assistant.handle(TurnRequest(merchant_id=merchant, message=text, conversation_id=conversation, **extra))


def test_the_bot_answers_from_the_connector_and_sends_confirmed_actions_once(assistant, connected):
    merchant, erin = connected
    r = say(assistant, merchant, "EXT100 到哪了", **erin)
    assert "JD0099887766" in r.reply and "京东物流" in r.reply
    assert "没有找到" in say(assistant, merchant, "EXT300 到哪了", **erin).reply  # fred's
    r1 = say(assistant, merchant, "帮我取消订单EXT200", **erin)
    say(assistant, merchant, "确认", r1.conversation_id, **erin)
    r3 = say(assistant, merchant, "帮我取消订单EXT200", r1.conversation_id, **erin)
    say(assistant, merchant, "确认", r3.conversation_id, **erin)
    assert [(a["path"], a["kind"]) for a in StubOrderApi.actions] == [("/api/orders/EXT200/actions", "cancel")] * 2
    assert len({a["key"] for a in StubOrderApi.actions}) == 1  # the repeat carries the same idempotency key
    with session_scope() as s:
        rows = list(s.scalars(select(OrderAction).where(OrderAction.merchant_id == merchant)))
    assert [(a.kind, a.status) for a in rows] == [("cancel", "sent")]


def test_source_down_says_so_and_offers_a_person_never_a_guess(assistant, connected):
    merchant, erin = connected
    StubOrderApi.mode = "error"
    r = say(assistant, merchant, "我的快递到哪了", **erin)
    assert r.route == "order" and "暂时查不到" in r.reply
    assert r.handoff["reason"] == "order_source_down"
    assert "JD0099887766" not in r.reply
