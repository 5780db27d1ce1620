"""`witaj school …`: add, list and import schools; print a school's QR code."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.base import CliError, bot_username, command, load_settings, out, with_store

if TYPE_CHECKING:
    from pydantic import ValidationError

    from knowledge import schools
    from knowledge.models import School
    from knowledge.store import Store

school_app = typer.Typer(help="Schools with preparatory classes.", no_args_is_help=True)


@school_app.command("add")
@command
async def school_add(
    code: Annotated[str, typer.Argument(help="Link id: 1-40 of A-Z, a-z, 0-9, '_', '-'.")],
    name: Annotated[str, typer.Option(help="The school's full name.")],
    district: Annotated[str, typer.Option(help="District (osiedle) of Wrocław.")],
    address: Annotated[str, typer.Option(help="Street and number.")] = "",
    phone: Annotated[str, typer.Option()] = "",
    email: Annotated[str, typer.Option()] = "",
    website: Annotated[str, typer.Option(help="https://…")] = "",
    contact: Annotated[str, typer.Option(help="Contact person for parents.")] = "",
    languages: Annotated[str, typer.Option(help="Languages the staff speak: 'uk ru en'.")] = "",
    assistant: Annotated[
        bool, typer.Option(help="An intercultural assistant works at the school.")
    ] = False,
) -> None:
    """Add a school; its information per language is written in the workspace or imported."""
    from pydantic import ValidationError

    from knowledge import schools
    from knowledge.links import school_link

    try:
        doc = schools.SchoolDoc.model_validate(
            {
                "code": code,
                "name": name,
                "district": district,
                "address": address,
                "phone": phone,
                "email": email,
                "website": website,
                "contact_person": contact,
                "staff_languages": languages,
                "assistant": assistant,
            }
        )
    except ValidationError as exc:
        raise CliError(_problems(exc)) from None

    async def add(store: Store) -> None:
        async with store.transaction() as session:
            await schools.add_school(session, doc, actor="cli")

    try:
        await with_store(add, seed=False)
    except schools.SchoolError as exc:
        raise CliError(str(exc)) from None
    out.print(f"school {code} added: {school_link(await bot_username(load_settings()), code)}")


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: "
        + str(error["msg"]).removeprefix("Value error, ")
        for error in exc.errors()
    )


@school_app.command("list")
@command
async def school_list() -> None:
    """Every school, its languages and link opens in the last four weeks."""
    from rich.table import Table

    from knowledge import schools

    async def load(store: Store) -> list[tuple[str, ...]]:
        async with store.sessions() as session:
            rows = await schools.list_schools(session)
            opens = await schools.opens_by_week(session, date.today(), weeks=4)
        return [
            (
                row.code + (" (demo)" if row.demo else ""),
                row.name,
                row.district,
                _cells(row),
                str(sum(w.bot + w.web for w in opens.get(row.id, []))),
            )
            for row in rows
        ]

    table = Table(title="schools")
    for column in ("code", "name", "district", "information", "opens (4 weeks)"):
        table.add_column(column)
    for line in await with_store(load, seed=False):
        table.add_row(*line)
    out.print(table)


def _cells(row: School) -> str:
    """ "reviewed: pl uk · draft: en" — each language's state, grouped."""
    from knowledge import schools

    by_state: dict[str, list[str]] = {}
    for info in row.infos:
        by_state.setdefault(schools.cell(row, info.lang).value, []).append(info.lang)
    return " · ".join(f"{state}: {' '.join(langs)}" for state, langs in sorted(by_state.items()))


@school_app.command("import")
@command
async def school_import(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8; ',' or ';' separated).")],
) -> None:
    """Add or update schools from a spreadsheet: every row is checked before any is written."""
    from knowledge import school_csv, schools

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CliError(f"{file}: {exc.strerror or exc}") from None
    try:
        docs = school_csv.parse(data)
    except school_csv.CsvError as exc:
        raise CliError(f"{file}: nothing imported:\n  " + "\n  ".join(exc.problems)) from None

    async def run(store: Store) -> schools.ImportReport:
        async with store.transaction() as session:
            return await schools.import_schools(session, docs)

    report = await with_store(run, seed=False)
    out.print(
        f"{len(report.created)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged"
    )


@school_app.command("qr")
@command
async def school_qr(
    code: Annotated[str, typer.Argument(help="The school's code.")],
    out_file: Annotated[Path, typer.Option("--out", help="FILE.png or FILE.svg")],
) -> None:
    """Write the QR code of the school's deep link (PNG or SVG, by the file's extension)."""
    from knowledge import schools
    from knowledge.links import qr_bytes, school_link

    kind = out_file.suffix.lower().lstrip(".")
    if kind not in ("png", "svg"):
        raise CliError("--out must end in .png or .svg")

    async def exists(store: Store) -> bool:
        async with store.sessions() as session:
            return await schools.get_school(session, code) is not None

    if not await with_store(exists, seed=False):
        raise CliError(f"no school with code {code!r} (see: witaj school list)")
    link = school_link(await bot_username(load_settings()), code)
    try:
        out_file.write_bytes(qr_bytes(link, "png" if kind == "png" else "svg"))
    except OSError as exc:
        raise CliError(f"{out_file}: {exc.strerror or exc}") from None
    out.print(f"{out_file}: QR code of {link}")
