"""`witaj user`: the practitioners' workspace accounts."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from cli.base import CliError, command, out, with_store
from knowledge.enums import Role

if TYPE_CHECKING:
    from knowledge.store import Store

user_app = typer.Typer(help="Workspace accounts.", no_args_is_help=True)


@user_app.command("add")
@command
async def user_add(
    name: Annotated[str, typer.Argument(help="Login name: a-z, 0-9, '.', '_', '-'.")],
    role: Annotated[Role, typer.Option(help="What the account may do.")] = Role.EDITOR,
    languages: Annotated[
        str, typer.Option(help="Comma-separated languages the person works in (translators).")
    ] = "",
    telegram_id: Annotated[
        int | None, typer.Option(help="Telegram user id for review reminders.")
    ] = None,
    school: Annotated[
        str | None, typer.Option(help="For --role school: the code of the school it edits.")
    ] = None,
    intercultural_assistant: Annotated[
        bool, typer.Option(help="Named first on tickets in the languages they speak.")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a workspace account (the password is asked for, or read from stdin)."""
    password = _read_password(password_stdin)
    codes = [c.strip() for c in languages.split(",") if c.strip()]

    from knowledge import accounts

    async def add(store: Store) -> None:
        async with store.transaction() as session:
            await accounts.add_user(
                session,
                name,
                role,
                password,
                languages=codes,
                telegram_id=telegram_id,
                school=school,
                intercultural_assistant=intercultural_assistant,
            )

    try:
        await with_store(add, seed=False)
    except accounts.AccountError as exc:
        raise CliError(str(exc)) from None
    out.print(f"user {name.casefold()} added ({role.value})")


@user_app.command("list")
@command
async def user_list() -> None:
    """Workspace accounts."""

    from rich.table import Table

    from knowledge import accounts

    async def load(store: Store) -> list[tuple[str, str, str, str]]:
        async with store.sessions() as session:
            users = await accounts.list_users(session)
        return [
            (u.name, u.role.value, ",".join(u.languages), "disabled" if u.disabled else "")
            for u in users
        ]

    table = Table(title="workspace users")
    for column in ("name", "role", "languages", "state"):
        table.add_column(column)
    for row in await with_store(load, seed=False):
        table.add_row(*row)
    out.print(table)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("New password", hide_input=True, confirmation_prompt=True))


async def _change(name: str, change: str, password: str = "") -> None:
    from knowledge import accounts

    async def run(store: Store) -> None:
        async with store.transaction() as session:
            if change == "disable":
                await accounts.set_disabled(session, name, disabled=True)
            elif change == "enable":
                await accounts.set_disabled(session, name, disabled=False)
            elif change == "remove":
                await accounts.remove_user(session, name)
            else:
                await accounts.set_password(session, name, password)

    try:
        await with_store(run, seed=False)
    except accounts.AccountError as exc:
        raise CliError(str(exc)) from None


@user_app.command("disable")
@command
async def user_disable(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Stop an account from logging in; its open sessions end at once."""
    await _change(name, "disable")
    out.print(f"user {name} disabled; their sessions have ended")


@user_app.command("enable")
@command
async def user_enable(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Let a disabled account log in again."""
    await _change(name, "enable")
    out.print(f"user {name} enabled")


@user_app.command("remove")
@command
async def user_remove(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Delete an account (its edits stay in the history under its name)."""
    await _change(name, "remove")
    out.print(f"user {name} removed")


@user_app.command("password")
@command
async def user_password(
    name: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a new password; the account's open sessions end."""
    await _change(name, "password", _read_password(password_stdin))
    out.print(f"password of {name} changed; their sessions have ended")
