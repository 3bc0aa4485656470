"""Live-message notices across processes and hosts, through Redis pub/sub
(``XIAOER_REDIS_URL``).

When a transaction that wrote an agent's or a system message commits, the conversation
id is published on the deployment's channel. Each API process keeps one subscription
and wakes the shopper sockets of that conversation, which then read the new messages
from SQL (the source of truth: the notice carries no text). Pub/sub may drop a notice
(Redis restarting): sockets also catch up by a slow poll, and every socket is woken when
the subscription comes back. Without Redis, sockets poll SQL often instead.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache

from sqlalchemy.orm import Session

from xiaoer.db import after_commit
from xiaoer.settings import get_settings

log = logging.getLogger(__name__)

# Written outside a shopper's turn, and pushed to their socket: an agent's words, and
# notices such as "resolved".
PUSHED_ROLES = ("agent", "system")


def channel(prefix: str) -> str:
    return f"{prefix}:live"


@lru_cache(maxsize=4)
def _publisher(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def publish_after_commit(session: Session, conversation_id: str) -> None:
    """Announce the conversation's new pushed message once ``session`` commits (never
    before: a socket woken early would find nothing, and a rolled-back one nothing ever)."""
    settings = get_settings()
    if not settings.redis_url:
        return
    url, name = settings.redis_url, channel(settings.chroma_prefix)

    def publish() -> None:
        try:
            _publisher(url).publish(name, conversation_id)
        except Exception as exc:  # noqa: BLE001 - Redis away: the sockets' catch-up poll delivers
            log.warning("could not publish a live notice (sockets catch up by polling): %s", exc)

    after_commit(session, publish)


class LiveBus:
    """One process's subscription: conversation id → the events of its sockets."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url, self.channel = url, channel(prefix)
        self.connected = False
        self._watchers: dict[str, set[asyncio.Event]] = {}
        self._task: asyncio.Task | None = None

    def watch(self, conversation_id: str, event: asyncio.Event) -> None:
        self._watchers.setdefault(conversation_id, set()).add(event)

    def unwatch(self, conversation_id: str, event: asyncio.Event) -> None:
        events = self._watchers.get(conversation_id)
        if events is not None:
            events.discard(event)
            if not events:
                del self._watchers[conversation_id]

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def _wake_all(self) -> None:
        for events in self._watchers.values():
            for event in events:
                event.set()

    async def _listen(self) -> None:
        import redis.asyncio as aioredis

        while True:
            client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.connected = True
                    self._wake_all()  # notices may have been missed while unsubscribed
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        for event in self._watchers.get(message["data"].decode(), ()):
                            event.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep trying; sockets poll meanwhile
                if self.connected:
                    log.warning("live notices from Redis lost, sockets poll SQL until it is back: %s", exc)
                self.connected = False
                await asyncio.sleep(1.0)
            finally:
                self.connected = False
                await client.aclose()
