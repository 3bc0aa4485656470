"""The schema comes from alembic migrations, on SQLite and Postgres alike: the migrated
database equals the models, processes racing to migrate an empty database all succeed,
an old create_all database is adopted, and a database that stalls or is away is a 503."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect

from tests.conftest import app_client, shop_with_agent, use_database
from xiaoer import schema
from xiaoer.db import get_engine
from xiaoer.localstack import free_port

FIRST_USE = (
    "from xiaoer.db import session_scope\n"
    "from knowledge import repository\n"
    "import sys\n"
    "with session_scope() as s:\n"
    "    repository.get_or_create_merchant(s, sys.argv[1])\n"
)


def test_the_migrated_schema_equals_the_models(database):
    assert schema.differences(get_engine()) == []
    with get_engine().connect() as connection:
        assert schema.current(connection) == schema.head()


def test_processes_migrating_an_empty_database_at_once_all_succeed(database, tmp_path, postgres_server):
    """Three processes' first use of an empty database: one migrates, the others wait for
    its lock, and all of them then write."""
    if database == "postgres":
        url = postgres_server.create_database(f"empty_{os.getpid()}")
    else:
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    processes = [
        subprocess.Popen([sys.executable, "-c", FIRST_USE, f"shop{i}"], env=env, stderr=subprocess.PIPE, text=True)
        for i in range(3)
    ]
    failures = [p.stderr.read()[-2000:] for p in processes if p.wait(timeout=120) != 0]
    assert failures == []
    engine = create_engine(url)
    with engine.connect() as connection:
        assert schema.current(connection) == schema.head()
    assert schema.differences(engine) == []
    engine.dispose()


def test_a_database_made_by_create_all_is_adopted_without_losing_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    schema.upgrade(engine, schema.BASELINE)  # the tables create_all made then…
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version")  # …with no version recorded
        connection.exec_driver_sql("INSERT INTO merchants (id, name, created_at, kb_version) VALUES ('old', 'Old', '2026-01-01', 3)")
    assert schema.upgrade(engine) == schema.head()
    assert schema.differences(engine) == []
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT kb_version FROM merchants WHERE id = 'old'").scalar() == 3
    engine.dispose()


def test_xiaoer_db_upgrade_migrates_the_configured_database(tmp_path):
    env = {**os.environ, "XIAOER_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "xiaoer.cli", "db", "upgrade"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"database at revision {schema.head()}" in done.stdout
    assert "merchants" in inspect(create_engine(f"sqlite:///{tmp_path / 'xiaoer.db'}")).get_table_names()


@pytest.fixture
def quick_postgres(postgres_server, monkeypatch):
    """Postgres with a half-second lock timeout; the API on it."""
    monkeypatch.setenv("XIAOER_DB_TIMEOUT", "0.5")
    use_database(postgres_server.url)
    yield postgres_server
    monkeypatch.delenv("XIAOER_DB_TIMEOUT")
    use_database(None)


def test_postgres_lock_timeout_is_a_503_with_retry_after_and_the_write_is_not_half_done(
    assistant, quick_postgres, merchant_id
):
    with app_client(assistant) as client:
        _key, agent = shop_with_agent(client, merchant_id)
        ticket = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "转人工"}).json()["handoff"]["ticket_id"]
        dsn = f"host=127.0.0.1 port={quick_postgres.port} user={quick_postgres.user} dbname={quick_postgres.database}"
        with closing(psycopg.connect(dsn)) as other:  # another transaction holds the ticket's row
            other.execute("SELECT id FROM handoff_tickets WHERE id = %s FOR UPDATE", (ticket,))
            refused = client.post(f"/v1/agent/tickets/{ticket}/claim", headers=agent)
            assert refused.status_code == 503 and refused.headers["Retry-After"]
            assert "nothing was saved" in refused.json()["detail"]
        queue = client.get("/v1/agent/queue", headers=agent).json()
        assert [(t["id"], t["status"]) for t in queue] == [(ticket, "queued")]
        assert client.post(f"/v1/agent/tickets/{ticket}/claim", headers=agent).status_code == 200


def test_a_database_server_that_is_away_is_a_503_not_a_hang(assistant, merchant_id, monkeypatch):
    from api.app import create_app

    use_database(f"postgresql+psycopg://xiaoer@127.0.0.1:{free_port()}/xiaoer")  # nothing listens there
    try:
        app = create_app(assistant)
        with TestClient(app) as client:
            r = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "hi"})
        assert r.status_code == 503 and r.headers["Retry-After"]
    finally:
        use_database(None)


def test_a_postgres_statement_past_its_timeout_is_cancelled_as_an_operational_error(postgres_server, monkeypatch):
    """The API answers every OperationalError with 503 + Retry-After (tested above)."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from xiaoer.db import session_scope

    monkeypatch.setenv("XIAOER_DB_STATEMENT_TIMEOUT", "0.2")
    use_database(postgres_server.url)
    try:
        with pytest.raises(OperationalError, match="statement timeout"), session_scope() as session:
            session.execute(text("SELECT pg_sleep(5)"))
    finally:
        monkeypatch.delenv("XIAOER_DB_STATEMENT_TIMEOUT")
        use_database(None)


def test_a_new_sqlite_file_another_process_is_writing_to_is_opened_once_the_write_ends(tmp_path):
    """Switching a new file to WAL while another connection writes gets "locked" at once,
    without SQLite's busy wait (the CI flake of the racing-processes test): we wait instead."""
    path = tmp_path / "busy.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE other (x)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO other VALUES (1)")
    threading.Timer(0.3, writer.execute, ["COMMIT"]).start()
    use_database(f"sqlite:///{path}")
    try:
        with get_engine().connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert schema.current(connection) == schema.head()
    finally:
        use_database(None)
        writer.close()
