"""Where a merchant's orders come from: the built-in table (imported files) or, when the
merchant set an order-source URL, its own order system over HTTP.

Both answer the same two questions: one order by id, and a shopper's orders. A source
that cannot answer raises SourceUnavailable, and the bot says it cannot see the order
right now (never a guess).

The HTTP connector calls, on the merchant's base URL:

    GET  {url}/orders/{order_id}            → an order in the import format, or 404
    GET  {url}/orders?shopper_id={id}       → a list of orders (or {"orders": [...]})
    POST {url}/orders/{order_id}/actions    ← {"kind", "payload"} with an Idempotency-Key

Every request carries ``X-Xiaoer-Timestamp`` (unix seconds) and ``X-Xiaoer-Signature`` =
hex HMAC-SHA256(secret, "{timestamp}\\n{METHOD}\\n{path?query}\\n{body}"), so the merchant
can check it came from us and is fresh. Each call has a 1 s timeout; answers are cached
for a short while; after repeated failures a circuit breaker stops calling for a cooldown.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import OrderedDict
from typing import Protocol
from urllib.parse import quote, urlencode, urlsplit

import httpx
from pydantic import TypeAdapter, ValidationError

from bot.orders import OrderRecord, stored_order, stored_orders_of
from xiaoer.db import session_scope

TIMEOUT_SECONDS = 1.0
CACHE_SECONDS = 30.0
CACHE_ENTRIES = 2048
FAILURES_TO_OPEN = 3  # consecutive failures that open the circuit
COOLDOWN_SECONDS = 30.0  # then one trial call is let through


class SourceUnavailable(RuntimeError):
    pass


class OrderSource(Protocol):
    def order(self, order_id: str) -> OrderRecord | None: ...

    def orders_of(self, shopper_id: str) -> list[OrderRecord]: ...

    def send_action(self, order_id: str, kind: str, payload: dict | None, key: str) -> bool: ...


class TableSource:
    """The built-in ``orders`` table."""

    def __init__(self, merchant_id: str) -> None:
        self.merchant_id = merchant_id

    def order(self, order_id: str) -> OrderRecord | None:
        with session_scope() as session:
            return stored_order(session, self.merchant_id, order_id)

    def orders_of(self, shopper_id: str) -> list[OrderRecord]:
        with session_scope() as session:
            return stored_orders_of(session, self.merchant_id, shopper_id)

    def send_action(self, order_id: str, kind: str, payload: dict | None, key: str) -> bool:
        return False  # nothing to send to: the recorded action is the merchant's to-do


class CircuitBreaker:
    """Closed → (FAILURES_TO_OPEN failures in a row) → open for COOLDOWN_SECONDS → one trial."""

    def __init__(self, failures: int = FAILURES_TO_OPEN, cooldown: float = COOLDOWN_SECONDS) -> None:
        self.failures_to_open, self.cooldown = failures, cooldown
        self.failures = 0
        self.opened_at: float | None = None
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            if self.opened_at is None:
                return True
            if time.monotonic() - self.opened_at >= self.cooldown:
                self.opened_at = time.monotonic()  # half-open: this caller tries, others wait a cooldown
                return True
            return False

    def succeeded(self) -> None:
        with self._lock:
            self.failures, self.opened_at = 0, None

    def failed(self) -> None:
        with self._lock:
            self.failures += 1
            if self.failures >= self.failures_to_open:
                self.opened_at = time.monotonic()


class _TTLCache:
    def __init__(self, seconds: float, size: int) -> None:
        self.seconds, self.size = seconds, size
        self._items: OrderedDict[tuple, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple):
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] < time.monotonic():
                return None
            return hit[1]

    def put(self, key: tuple, value) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + self.seconds, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


# Shared by every turn in the process: one breaker per source URL, one cache, one client.
_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()
_cache = _TTLCache(CACHE_SECONDS, CACHE_ENTRIES)
_client = httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
_MISSING = object()
_ORDER_LIST = TypeAdapter(list[OrderRecord])


def breaker_for(url: str) -> CircuitBreaker:
    with _breakers_lock:
        return _breakers.setdefault(url, CircuitBreaker())


def reset_connectors() -> None:
    """Forget cached answers and breaker state (tests; a merchant changing its source)."""
    _cache.clear()
    with _breakers_lock:
        _breakers.clear()


def signature(secret: str, timestamp: str, method: str, target: str, body: bytes = b"") -> str:
    message = f"{timestamp}\n{method}\n{target}\n".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class HttpSource:
    """The merchant's own order API."""

    def __init__(self, url: str, secret: str) -> None:
        self.url, self.secret = url.rstrip("/"), secret
        self.breaker = breaker_for(self.url)

    def order(self, order_id: str) -> OrderRecord | None:
        data = self._get(f"/orders/{quote(order_id, safe='')}")
        if data is None:
            return None
        try:
            record = OrderRecord.model_validate(data)
        except ValidationError:
            raise SourceUnavailable("the order source sent an order that is not valid") from None
        if record.order_id != order_id:
            raise SourceUnavailable("the order source answered with another order")
        return record

    def orders_of(self, shopper_id: str) -> list[OrderRecord]:
        data = self._get("/orders?" + urlencode({"shopper_id": shopper_id}))
        if isinstance(data, dict):
            data = data.get("orders")
        try:
            records = _ORDER_LIST.validate_python(data or [])
        except ValidationError:
            raise SourceUnavailable("the order source sent orders that are not valid") from None
        # Never trust the filter to have run: only this shopper's orders are shown.
        return [r for r in records if r.shopper_id == shopper_id]

    def send_action(self, order_id: str, kind: str, payload: dict | None, key: str) -> bool:
        body = json.dumps({"kind": kind, "payload": payload}, ensure_ascii=False).encode()
        try:
            self._request("POST", f"/orders/{quote(order_id, safe='')}/actions", body, {"Idempotency-Key": key})
        except SourceUnavailable:
            return False
        return True

    def _get(self, target: str):
        cached = _cache.get((self.url, target))
        if cached is not None:
            return None if cached is _MISSING else cached
        response = self._request("GET", target)
        value = None if response.status_code == 404 else _json(response)
        _cache.put((self.url, target), _MISSING if value is None else value)
        return value

    def _request(self, method: str, target: str, body: bytes = b"", headers: dict | None = None) -> httpx.Response:
        if not self.breaker.allow():
            raise SourceUnavailable("the order source is failing; not calling it for a while")
        timestamp = str(int(time.time()))
        signed = {
            "X-Xiaoer-Timestamp": timestamp,
            "X-Xiaoer-Signature": signature(self.secret, timestamp, method, _path(self.url) + target, body),
            **(headers or {}),
        }
        if body:
            signed["Content-Type"] = "application/json"
        try:
            response = _client.request(method, self.url + target, content=body or None, headers=signed)
        except httpx.HTTPError as exc:
            self.breaker.failed()
            raise SourceUnavailable(f"the order source did not answer: {type(exc).__name__}") from None
        if response.status_code == 404 and method == "GET" or response.is_success:
            self.breaker.succeeded()
            return response
        self.breaker.failed()
        raise SourceUnavailable(f"the order source answered {response.status_code}")


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/")


def _json(response: httpx.Response):
    try:
        return response.json()
    except ValueError:
        raise SourceUnavailable("the order source did not send JSON") from None


def source_for(merchant_id: str, url: str | None, secret: str | None) -> OrderSource:
    if url and secret:
        return HttpSource(url, secret)
    return TableSource(merchant_id)
