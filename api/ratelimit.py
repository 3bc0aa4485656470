"""Rate limits on the shopper endpoints (``POST /v1/chat``, WebSocket messages, offer
buttons, ratings): one per client IP and one per conversation (per client IP for a
message that starts a conversation). A refused call gets 429 ``{"detail": ...}`` with a
``Retry-After`` header; on the WebSocket, an error frame with status 429 (the socket
stays open).

Sliding windows from the ``limits`` package, kept in Redis when ``XIAOER_REDIS_URL`` is
set, so every worker and host counts together (each hit is one atomic step there);
otherwise in this process's memory, where each worker counts on its own (a client gets
up to N × the limit). With Redis away, calls are let through (and a warning logged)
rather than refused.
Behind a reverse proxy the client IP is the proxy's unless uvicorn trusts its
``X-Forwarded-For`` (``--forwarded-allow-ips``; by default it does for 127.0.0.1).
"""

from __future__ import annotations

import logging
import math
import threading
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import HTTPConnection

log = logging.getLogger(__name__)


SWEEP_SECONDS = 1.0


class _SweptMemoryStorage(MemoryStorage):
    """limits' in-process store, its expired entries swept once a second instead of every
    10 ms: each sweep visits every key (each conversation and address counted in the last
    window) and copies its entries, which took ~5 % of a busy worker (bench/load.py,
    py-spy --gil). Counting compares timestamps and never relies on the sweep; if a later
    ``limits`` renames the hook, it simply sweeps at its own pace again."""

    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            self.timer = threading.Timer(SWEEP_SECONDS, self._MemoryStorage__expire_events)
            self.timer.daemon = True
            self.timer.start()


class RateLimited(Exception):
    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


def _item(spec: str | None) -> RateLimitItem | None:
    if not spec or str(spec).strip() in ("0", "off", "none"):
        return None
    return parse(spec)


class RateLimiter:
    def __init__(self, per_ip: str | None, per_session: str | None, redis_url: str | None = None,
                 prefix: str = "xiaoer") -> None:
        self.per_ip = _item(per_ip)
        self.per_session = _item(per_session)
        if redis_url:
            storage = storage_from_string(redis_url, key_prefix=f"{prefix}:limits", socket_timeout=1)
        else:
            storage = _SweptMemoryStorage()
        self._limiter = MovingWindowRateLimiter(storage)
        self._lock = threading.Lock()  # test-then-hit of both limits as one step in this process

    @classmethod
    def from_settings(cls, settings) -> RateLimiter:
        return cls(settings.rate_limit_per_ip, settings.rate_limit_per_session, settings.redis_url, settings.chroma_prefix)

    @property
    def enabled(self) -> bool:
        return self.per_ip is not None or self.per_session is not None

    def check(self, ip: str, conversation_id: str | None) -> None:
        """Count one call from ``ip`` in ``conversation_id``; raise ``RateLimited`` if
        either limit is spent (a refused call is not counted)."""
        checks = []
        if self.per_ip is not None:
            checks.append((self.per_ip, ("ip", ip), "this client address"))
        if self.per_session is not None:
            key = ("conversation", conversation_id) if conversation_id else ("new-conversation", ip)
            checks.append((self.per_session, key, "this conversation" if conversation_id else "new conversations from this client address"))
        try:
            with self._lock:
                for item, key, who in checks:
                    if not self._limiter.test(item, *key):
                        self._refuse(item, key, who)
                for item, key, who in checks:
                    # Atomic in the store: another host's call since the test may have
                    # taken the last slot, and then this one is refused.
                    if not self._limiter.hit(item, *key):
                        self._refuse(item, key, who)
        except RateLimited:
            raise
        except Exception as exc:  # noqa: BLE001 - the shared store is away: let the call through
            log.warning("rate limits not counted (store unavailable): %s", exc)

    def _refuse(self, item: RateLimitItem, key: tuple, who: str) -> None:
        reset, _remaining = self._limiter.get_window_stats(item, *key)
        retry = max(1, math.ceil(reset - time.time()))
        raise RateLimited(f"too many messages: rate limit reached for {who} ({item}); retry in {retry} s", retry)


def client_ip(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


def enforce(connection: HTTPConnection, conversation_id: str | None) -> None:
    """Apply the app's limiter to an HTTP request or a WebSocket message."""
    limiter: RateLimiter | None = getattr(connection.app.state, "rate_limiter", None)
    if limiter is not None and limiter.enabled:
        limiter.check(client_ip(connection), conversation_id)
