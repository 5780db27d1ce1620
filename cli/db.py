"""`witaj db`: the database schema."""

from __future__ import annotations

import typer

from cli.base import command, load_settings, out

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
@command
async def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    from knowledge.db import make_engine, upgrade

    engine = make_engine(load_settings().database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    out.print("database is up to date")
