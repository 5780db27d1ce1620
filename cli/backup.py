"""`witaj backup FILE` / `witaj restore FILE`: the knowledge base and the accounts, as a file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.base import CliError, command, out, with_store

if TYPE_CHECKING:
    from knowledge.store import Store

backup_app = typer.Typer()


@backup_app.command("backup")
@command
async def backup(
    file: Annotated[Path, typer.Argument(help="Where to write it (.json, or .json.gz).")],
) -> None:
    """Save topics with their history, schools, accounts and announcements — nothing a
    migrant wrote. The file holds password hashes: keep it as safe as the database."""
    from knowledge import backup as backups

    async def run(store: Store) -> None:
        async with store.sessions() as session:
            data = await backups.dump(session)
        backups.write(file, data)
        rows = sum(len(rows) for rows in data["tables"].values())
        out.print(f"backup written to {file}: {rows} rows")

    await with_store(run, seed=False)


@backup_app.command("restore")
@command
async def restore(
    file: Annotated[Path, typer.Argument(help="A file written by `witaj backup`.")],
    replace: Annotated[
        bool, typer.Option(help="Overwrite the knowledge base this database holds.")
    ] = False,
) -> None:
    """Load a backup into a new database (or, with --replace, over the current one)."""
    from knowledge import backup as backups

    try:
        data = backups.read(file)
    except backups.BackupError as exc:
        raise CliError(str(exc)) from None

    async def run(store: Store) -> None:
        try:
            async with store.transaction() as session:
                summary = await backups.restore(session, data, replace=replace)
        except backups.BackupError as exc:
            raise CliError(str(exc)) from None
        out.print(f"restored {summary.total} rows from {file}")

    await with_store(run, seed=False)
