"""The `witaj` command: the composition root, the one place that wires the parts.

Each group lives in its own module and imports what it uses only when it runs, so `witaj
--help` and the commands that need no search start at once.
"""

from __future__ import annotations

import typer

from cli.announce import announce_app
from cli.backup import backup_app
from cli.base import CliError, fail
from cli.db import db_app
from cli.kb import kb_app
from cli.logs import basic_logging
from cli.schools import school_app
from cli.search import search_app
from cli.serve import serve_app
from cli.users import user_app

app = typer.Typer(
    help="Witaj: a multilingual assistant for migrants in Wrocław.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(kb_app, name="kb")
app.add_typer(user_app, name="user")
app.add_typer(school_app, name="school")
app.add_typer(announce_app, name="announce")
for group in (search_app, serve_app, backup_app):
    app.registered_commands += group.registered_commands


def main() -> None:
    basic_logging()
    try:
        app()
    except CliError as exc:  # from a command that runs outside `cli.base.command` (run, web…)
        fail(str(exc))
        raise SystemExit(2) from None
