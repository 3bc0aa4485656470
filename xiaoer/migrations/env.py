"""Alembic's entry point: always handed a connection by xiaoer.schema (which holds the
migration lock on it), so there is no offline mode and no alembic.ini."""

from alembic import context

from xiaoer.schema import all_tables

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=all_tables(),
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
