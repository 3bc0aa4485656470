"""The SQL database: the source of truth for knowledge, conversations and events.

SQLite under ``XIAOER_HOME`` by default; ``DATABASE_URL`` switches to Postgres.
"""

from __future__ import annotations

import fcntl
import hashlib
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from xiaoer.settings import get_settings


class Base(DeclarativeBase):
    pass


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


_created: list[Engine] = []  # every engine _engine_for made, for reset_engines to dispose


@lru_cache(maxsize=8)
def _engine_for(url: str, limits: tuple) -> Engine:  # limits: the settings it is made with (cache key)
    settings = get_settings()
    if url.startswith("sqlite"):
        # timeout: SQLite's busy wait for a lock; past it the statement raises "database is
        # locked" (OperationalError → 503 in the API) rather than hanging the request.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": settings.db_timeout})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL lets readers run beside one writer
            cur = dbapi_conn.cursor()
            _use_wal(cur, settings.db_timeout)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    else:
        engine = create_engine(url, pool_pre_ping=True, **_server_options(url, settings))
    _created.append(engine)
    return engine


def _use_wal(cursor: sqlite3.Cursor, wait: float) -> None:
    """Put the file in WAL mode (it stays so). Switching a new file needs the only lock on
    it, and while another process is mid-write SQLite answers "database is locked" at once
    rather than through the busy wait, so processes opening a new database together retry."""
    deadline = time.monotonic() + wait
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def _server_options(url: str, settings) -> dict:
    """Pool and timeouts for a database server. Each limit ends in an OperationalError or
    a pool TimeoutError, which the API answers with 503 + Retry-After, as SQLite's busy
    timeout does: a stalled database fails requests quickly instead of hanging them."""
    options = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_timeout,
    }
    if url.startswith("postgresql"):
        ms = lambda seconds: int(seconds * 1000)  # noqa: E731
        options["connect_args"] = {
            "connect_timeout": max(1, round(settings.db_connect_timeout)),
            "options": f"-c lock_timeout={ms(settings.db_timeout)} -c statement_timeout={ms(settings.db_statement_timeout)}",
        }
    return options


_initialised: set[str] = set()
# The settings object the engine was last looked up for, and that engine: every session of
# a turn asks, and the full lookup resolves the SQLite path on disk (a few syscalls) each time.
_last_engine: tuple[object, Engine] | None = None


def get_engine() -> Engine:
    global _last_engine
    settings = get_settings()
    last = _last_engine
    if last is not None and last[0] is settings:
        return last[1]
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.home.mkdir(parents=True, exist_ok=True)
    key = (settings.db_timeout, settings.db_statement_timeout, settings.db_connect_timeout,
           settings.db_pool_size, settings.db_max_overflow)
    engine = _engine_for(url, key)
    if url not in _initialised:
        from xiaoer.schema import upgrade

        upgrade(engine)  # a no-op once migrated; under a lock otherwise
        _initialised.add(url)
    _last_engine = (settings, engine)
    return engine


def after_commit(session: Session, callback) -> None:
    """Run ``callback()`` once ``session``'s transaction has committed (dropped on rollback)."""
    session.info.setdefault("after_commit", []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop("after_commit", []):
        callback()


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, previous) -> None:
    # Only when the transaction itself rolls back: a savepoint's rollback (the IntegrityError
    # paths of offers and order actions) used to drop the live-push notices of messages the
    # transaction still commits. A notice from inside the savepoint may then run: it only
    # prompts a fetch that finds nothing new.
    if previous.parent is None:
        session.info.pop("after_commit", None)


@lru_cache(maxsize=8)
def _sessionmaker_for(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A transaction: commit on success, roll back on any error."""
    session = _sessionmaker_for(get_engine())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def reset_engines() -> None:
    global _last_engine
    _last_engine = None
    for engine in _created:
        engine.dispose()
    _created.clear()
    _initialised.clear()
    _engine_for.cache_clear()
    _sessionmaker_for.cache_clear()


@contextmanager
def named_lock(engine: Engine, name: str, *, wait: bool = True) -> Iterator[bool]:
    """A lock shared by every process using ``engine``'s database: a Postgres advisory lock
    (held by a connection of its own), or a file lock beside a SQLite file. Yields whether
    it was taken: always with ``wait``, else only if nobody held it."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    if engine.dialect.name == "postgresql":
        key = int.from_bytes(digest, "big", signed=True)
        with engine.connect() as connection:
            sql = "SELECT pg_advisory_lock(:k)" if wait else "SELECT pg_try_advisory_lock(:k)"
            taken = connection.execute(text(sql), {"k": key}).scalar() is not False
            connection.commit()
            try:
                yield taken
            finally:
                if taken:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    connection.commit()
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with open(f"{engine.url.database}.lock-{digest.hex()}", "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    else:  # one process (in-memory SQLite): nothing to share with
        yield True
