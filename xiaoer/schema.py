"""The database schema, kept by alembic migrations (``xiaoer/migrations/versions``).

``xiaoer db upgrade`` runs them once at deploy; every process also upgrades on first use,
under a lock (a file lock beside a SQLite database, an advisory lock on Postgres), so
processes starting together on an empty database wait for one of them to migrate it
instead of racing to create the same tables. A database made by the old ``create_all``
(tables but no version) is stamped with the first revision, which it equals, first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection, Engine

from xiaoer.db import named_lock

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"  # the schema create_all made before migrations existed


def all_tables() -> MetaData:
    """The models' metadata, with every module that declares tables imported."""
    import bot.models  # noqa: F401
    import bot.order_models  # noqa: F401
    import handoff.models  # noqa: F401
    import knowledge.models  # noqa: F401
    from xiaoer.db import Base

    return Base.metadata


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection to migrate on, while holding the one-migrator-at-a-time lock."""
    with named_lock(engine, "xiaoer:migrate"), engine.connect() as connection:
        yield connection


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Migrate to ``revision`` (the newest by default) unless already there; the revision after."""
    with engine.connect() as connection:  # the common case, without taking the lock
        if revision == "head" and current(connection) == head():
            return head()
    with migration_lock(engine) as connection:
        if current(connection) is None and inspect(connection).has_table("merchants"):
            command.stamp(_config(connection), BASELINE)
            connection.commit()
        command.upgrade(_config(connection), revision)
        connection.commit()
        return current(connection)


def differences(engine: Engine) -> list:
    """What autogenerate would change to make the database match the models ([] = none)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, all_tables())


def new_revision(engine: Engine, message: str) -> None:
    """Write a migration for what the models changed (the database must be at head)."""
    with migration_lock(engine) as connection:
        command.revision(_config(connection), message=message, autogenerate=True)
