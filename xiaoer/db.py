"""The SQL database: the source of truth for knowledge, conversations and events.

SQLite under ``XIAOER_HOME`` by default; ``DATABASE_URL`` switches to Postgres.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from xiaoer.settings import get_settings


class Base(DeclarativeBase):
    pass


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


_created: list[Engine] = []  # every engine _engine_for made, for reset_engines to dispose


@lru_cache(maxsize=8)
def _engine_for(url: str, timeout: float = 30.0) -> Engine:
    if url.startswith("sqlite"):
        # timeout: SQLite's busy wait for a lock; past it the statement raises "database is
        # locked" (OperationalError → 503 in the API) rather than hanging the request.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": timeout})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL lets readers run beside one writer
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    else:
        engine = create_engine(url, pool_pre_ping=True)
    _created.append(engine)
    return engine


_initialised: set[str] = set()


def get_engine() -> Engine:
    settings = get_settings()
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.home.mkdir(parents=True, exist_ok=True)
    engine = _engine_for(url, settings.db_timeout)
    if url not in _initialised:
        _create_tables(engine)
        _initialised.add(url)
    return engine


def _create_tables(engine: Engine) -> None:
    # Import every module that declares tables so metadata is complete.
    import bot.models  # noqa: F401
    import bot.order_models  # noqa: F401
    import handoff.models  # noqa: F401
    import knowledge.models  # noqa: F401

    Base.metadata.create_all(engine)


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
    for engine in _created:
        engine.dispose()
    _created.clear()
    _initialised.clear()
    _engine_for.cache_clear()
    _sessionmaker_for.cache_clear()
