"""Alembic environment: runs on a connection handed in by `knowledge.db.upgrade`.

`alembic` on the command line is not needed: `witaj db upgrade` is the entry point.
"""

from __future__ import annotations

from alembic import context

from knowledge.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `witaj db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
