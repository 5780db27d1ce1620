"""`witaj announce status`: how far each announcement got."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cli.base import command, out, with_store

if TYPE_CHECKING:
    from knowledge import announcements
    from knowledge.store import Store

announce_app = typer.Typer(help="Announcements to subscribers.", no_args_is_help=True)


@announce_app.command("status")
@command
async def announce_status() -> None:
    """Every announcement: audience, state and a progress bar."""
    from rich.table import Table

    from knowledge import announcements

    async def load(store: Store) -> list[announcements.Progress]:
        async with store.sessions() as session:
            return await announcements.progress(session)

    table = Table(title="announcements")
    for column in ("#", "audience", "status", "progress", "sent", "blocked", "failed", "by"):
        table.add_column(column, no_wrap=column in ("audience", "status", "progress"))
    for p in await with_store(load, seed=False):
        filled = p.percent // 10
        bar = "█" * filled + "░" * (10 - filled) + f" {p.done}/{p.total}"
        a = p.announcement
        table.add_row(
            str(a.id), a.audience, a.status.value, bar, str(p.sent), str(p.blocked),
            str(p.failed), a.created_by,
        )  # fmt: skip
    out.print(table)
