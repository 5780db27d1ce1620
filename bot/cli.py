"""The `witaj` command line: database, content exchange, search and evaluation.

Every command opens the knowledge base the same way the bot does (migrate, seed when empty) and
turns the failures a person can fix — a broken YAML file, a wrong DATABASE_URL, a database that
is not there — into one line on stderr and a non-zero exit status.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from aiohttp import web
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from bot.cli_announce import announce_app
from bot.cli_base import (
    CliError,
    bot_username,
    command,
    err,
    load_settings,
    one_line,
    open_knowledge,
    out,
    with_knowledge,
)
from bot.cli_schools import school_app
from knowledge import accounts, lint, matrix
from knowledge.content import ContentError, TopicDoc, load_dir, topic_to_data, write_dir
from knowledge.db import DatabaseUrlError, make_engine, upgrade
from knowledge.evaluation import EvalReport, evaluate, read_jsonl
from knowledge.languages import LANGUAGES
from knowledge.models import Role
from knowledge.repository import load_topics
from knowledge.service import Knowledge

app = typer.Typer(
    help="Witaj: a multilingual assistant for migrants in Wrocław.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
kb_app = typer.Typer(help="Knowledge base content: import, export, check.", no_args_is_help=True)
app.add_typer(db_app, name="db")
user_app = typer.Typer(help="Workspace accounts.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.add_typer(user_app, name="user")
app.add_typer(school_app, name="school")
app.add_typer(announce_app, name="announce")

# --------------------------------------------------------------------------- db


@db_app.command("upgrade")
@command
async def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    engine = make_engine(load_settings().database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    out.print("database is up to date")


# --------------------------------------------------------------------------- kb


@kb_app.command("import")
@command
async def kb_import(
    directory: Annotated[Path | None, typer.Argument(help="Folder of topic YAML files.")] = None,
    force: Annotated[
        bool, typer.Option(help="Overwrite newer database edits (their text stays in history).")
    ] = False,
) -> None:
    """Upsert topics from YAML in one transaction; a malformed file changes nothing."""
    source = directory or load_settings().content_dir

    async def run(knowledge: Knowledge) -> None:
        report = await knowledge.import_dir(source, force=force)
        out.print(
            f"imported {source}: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, {len(report.conflicts)} conflicts"
        )
        for key in report.conflicts:
            err.print(
                f"conflict: {key} was edited in the database since it was last imported; "
                "kept the database text (use --force to overwrite, history keeps both)",
                markup=False,
            )
        if report.conflicts:
            raise typer.Exit(1)

    await with_knowledge(run, seed=False)


@kb_app.command("export")
@command
async def kb_export(
    destination: Annotated[
        str | None, typer.Argument(help="Folder for YAML files, or - for standard output.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="yaml or json")] = "yaml",
) -> None:
    """Write the knowledge base as YAML files (the seed format) or as one JSON document."""
    if fmt not in ("yaml", "json"):
        raise CliError("--format must be yaml or json")
    topics = await with_knowledge(lambda k: k.topics())
    if fmt == "json":
        text = json.dumps([topic_to_data(t) for t in topics], ensure_ascii=False, indent=2)
        if destination in (None, "-"):
            sys.stdout.write(text + "\n")
        else:
            Path(destination).write_text(text + "\n", encoding="utf-8")
        return
    if destination == "-":
        raise CliError("YAML export writes one file per topic: give a folder")
    folder = Path(destination) if destination else load_settings().content_dir
    written = write_dir(topics, folder)
    changed = sum(1 for w in written if w.changed)
    out.print(f"exported {len(written)} topics to {folder} ({changed} files changed)")


@kb_app.command("format")
def kb_format(
    directory: Annotated[Path | None, typer.Argument(help="Folder of topic YAML files.")] = None,
) -> None:
    """Rewrite hand-edited YAML files in the canonical layout `kb export` produces."""
    folder = directory or load_settings().content_dir
    try:
        written = write_dir(load_dir(folder), folder)
    except ContentError as exc:
        err.print(f"witaj: error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    changed = [w.path.name for w in written if w.changed]
    out.print(f"{len(written)} files, {len(changed)} reformatted: {', '.join(changed) or '-'}")


@kb_app.command("check")
@command
async def kb_check(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Check YAML files instead of the database.")
    ] = None,
    topics_file: Annotated[
        Path | None,
        typer.Option("--topics", help="YAML list of required slugs (category: {slug: text})."),
    ] = None,
) -> None:
    """Lint the content; errors give a non-zero exit status."""
    settings = load_settings()
    old: set[tuple[str, str]] = set()
    if directory:
        topics = load_dir(directory)
    else:
        topics, old = await with_knowledge(_topics_and_outdated)
    required = _required_slugs(topics_file) if topics_file else None
    findings = lint.check(
        topics,
        required_slugs=required,
        review_max_age=timedelta(days=settings.review_max_age_days),
        outdated=old,
    )
    errors = [f for f in findings if f.severity is lint.Severity.ERROR]
    table = Table(title=f"kb check: {len(topics)} topics", show_lines=False)
    for column in ("severity", "topic", "languages", "problem"):
        table.add_column(column)
    for f in sorted(findings, key=lambda f: (f.severity != lint.Severity.ERROR, f.slug)):
        style = "red" if f.severity is lint.Severity.ERROR else "yellow"
        table.add_row(f"[{style}]{f.severity}[/]", f.slug, f.langs, f.problem)
    if findings:
        out.print(table)
    out.print(f"{len(errors)} errors, {len(findings) - len(errors)} warnings")
    if errors:
        raise typer.Exit(1)


@kb_app.command("sources")
@command
async def kb_sources(
    check: Annotated[
        bool, typer.Option("--check", help="Fetch every cited page now (else: the last check).")
    ] = False,
    per_page: Annotated[float, typer.Option("--timeout", help="Seconds per page.")] = 15.0,
) -> None:
    """Dead links and pages that changed since a person reviewed the text citing them.

    Offline-safe: a page that cannot be reached is reported as such and keeps its last state.
    Exit status 1 when a cited page is gone (HTTP 404/410).
    """
    from knowledge import source_check

    async def run(k: Knowledge) -> list[source_check.Citation]:
        if check:
            async with k.sessions() as session:
                urls = await source_check.cited_urls(session)
            out.print(f"checking {len(urls)} pages …")
            results = await source_check.fetch_all(urls, per_page=per_page)
            async with k.sessions.begin() as session:
                await source_check.record(session, results)
        async with k.sessions() as session:
            return await source_check.citations(session)

    cited = await with_knowledge(run)
    by_url: dict[str, list[source_check.Citation]] = {}
    for c in cited:
        by_url.setdefault(c.url, []).append(c)
    counts: dict[str, int] = {}
    for url, group in by_url.items():
        worst = group[0].state
        counts[worst] = counts.get(worst, 0) + 1
        if worst is not source_check.SourceState.OK:
            cited_by = ", ".join(sorted({f"{c.slug}/{c.lang}" for c in group if c.state is worst}))
            problem = f" ({group[0].problem})" if group[0].problem else ""
            out.print(f"{worst}\t{url}{problem}\tcited by {cited_by}", markup=False)
    out.print(", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no sources")
    if counts.get(source_check.SourceState.DEAD):
        raise typer.Exit(1)


async def _topics_and_outdated(k: Knowledge) -> tuple[list[TopicDoc], set[tuple[str, str]]]:
    async with k.sessions() as session:
        return await load_topics(session), matrix.outdated(await matrix.load_matrix(session))


def _required_slugs(path: Path) -> set[str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CliError(f"{path}: {one_line(exc)}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise CliError(f"{path}: expected categories mapping to {{slug: description}}")
    return {slug for group in data.values() for slug in group}


# --------------------------------------------------------------------------- search


@app.command()
@command
async def ask(
    text: Annotated[str | None, typer.Argument(help="The question.")] = None,
    lang: Annotated[str | None, typer.Option(help="The asker's language (a hint).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    batch: Annotated[
        Path | None,
        typer.Option(help='JSONL with {"id", "text", "lang"?} per line; - for standard input.'),
    ] = None,
) -> None:
    """Answer one question, or a batch: one JSON line out per line in, in order."""
    if lang is not None and lang not in LANGUAGES:
        raise CliError(f"--lang must be one of {', '.join(LANGUAGES)}")
    if batch is None and text is None:
        raise CliError("give a question, or --batch FILE")
    knowledge = await open_knowledge()
    try:
        if batch is not None:
            lines = sys.stdin if str(batch) == "-" else _open_text(batch)
            for row in read_jsonl(lines):
                if row.error:
                    result: dict[str, Any] = {
                        "id": row.id,
                        "slug": None,
                        "score": 0.0,
                        "alternatives": [],
                        "error": row.error,
                    }
                else:
                    hit = knowledge.index.search(row.text, row.lang)
                    result = {
                        "id": row.id,
                        "slug": hit.slug,
                        "score": hit.score,
                        "alternatives": list(hit.alternatives),
                    }
                sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
            sys.stdout.flush()
            return
        assert text is not None
        result_ = knowledge.index.search(text, lang)
        if as_json:
            payload = {
                "slug": result_.slug,
                "score": result_.score,
                "alternatives": list(result_.alternatives),
                "language": result_.language,
                "sure": result_.sure,
            }
            sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
            return
        topics = {t.slug: t for t in await knowledge.topics()}
        from bot.console import show_result

        show_result(out, result_, topics, lang)
    finally:
        await knowledge.close()


def _open_text(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: {one_line(exc)}") from None


@app.command("eval")
@command
async def eval_(
    file: Annotated[Path, typer.Argument(help="Labelled JSONL: id, text, lang, slug, style.")],
    misses: Annotated[bool, typer.Option(help="List the misses.")] = True,
) -> None:
    """Top-1 accuracy overall, per language and per style (abstaining on "none" is correct)."""
    rows = list(read_jsonl(_open_text(file)))
    bad = [r for r in rows if r.error]
    if bad:
        raise CliError(f"{file}: line {bad[0].line}: {bad[0].error}")
    report = await with_knowledge(lambda k: asyncio.to_thread(evaluate, k.index, rows))
    _print_eval(report, misses)


def _print_eval(report: EvalReport, misses: bool) -> None:
    for title, groups in (("language", report.by_lang), ("style", report.by_style)):
        table = Table(title=f"accuracy by {title}")
        table.add_column(title)
        table.add_column("n", justify="right")
        table.add_column("accuracy", justify="right")
        for key, (n, acc) in sorted(groups.items()):
            table.add_row(key, str(n), f"{acc:.3f}")
        out.print(table)
    if misses and report.misses:
        table = Table(title=f"misses ({len(report.misses)})")
        for column in ("id", "lang", "expected", "got", "score", "text"):
            table.add_column(column)
        for m in report.misses:
            table.add_row(m.id, m.lang, m.expected, m.got or "—", f"{m.score:.2f}", m.text)
        out.print(table)
    out.print(f"accuracy {report.accuracy:.3f} ({report.correct}/{report.total})")


@app.command()
@command
async def chat(
    lang: Annotated[str | None, typer.Option(help="Your language (a hint).")] = None,
) -> None:
    """An interactive question prompt over the knowledge base."""
    from bot.console import prompt_loop

    await with_knowledge(lambda k: prompt_loop(out, k, lang))


# --------------------------------------------------------------------------- users


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
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    codes = [c.strip() for c in languages.split(",") if c.strip()]

    async def add(k: Knowledge) -> None:
        async with k.sessions.begin() as session:
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
        await with_knowledge(add, seed=False)
    except accounts.AccountError as exc:
        raise CliError(str(exc)) from None
    out.print(f"user {name.casefold()} added ({role.value})")


@user_app.command("list")
@command
async def user_list() -> None:
    """Workspace accounts."""

    async def load(k: Knowledge) -> list[tuple[str, str, str]]:
        async with k.sessions() as session:
            users = await accounts.list_users(session)
        return [(u.name, u.role.value, ",".join(u.languages)) for u in users]

    table = Table(title="workspace users")
    for column in ("name", "role", "languages"):
        table.add_column(column)
    for row in await with_knowledge(load, seed=False):
        table.add_row(*row)
    out.print(table)


@app.command("web")
def web_() -> None:
    """Only the practitioners' workspace (no bot), on WEB_HOST:WEB_PORT."""
    from bot.web.app import build_workspace

    settings = load_settings()
    logging.getLogger().setLevel(settings.log_level)

    async def serve() -> None:
        knowledge = await open_knowledge()
        app = await build_workspace(knowledge, settings, await bot_username(settings))
        runner = web.AppRunner(app, access_log=None)
        try:
            await runner.setup()
            await web.TCPSite(runner, settings.web_host, settings.web_port).start()
            out.print(f"Witaj workspace: http://{settings.web_host}:{settings.web_port}")
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
            await knowledge.close()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    except (DatabaseUrlError, ContentError, SQLAlchemyError, OSError) as exc:
        err.print(f"witaj: error: {one_line(exc)}", markup=False, highlight=False)
        raise typer.Exit(2) from None


@app.command()
def sandbox() -> None:
    """The local Telegram sandbox with the real bot, and a web chat page to talk to it."""
    from bot.sandbox.run import serve

    settings = load_settings()
    logging.getLogger().setLevel(settings.log_level)
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        pass
    except (DatabaseUrlError, ContentError, SQLAlchemyError, OSError) as exc:
        err.print(f"witaj: error: {one_line(exc)}", markup=False, highlight=False)
        raise typer.Exit(2) from None


@app.command()
def run() -> None:
    """Run the bot against Telegram (or TELEGRAM_API_URL), in polling or webhook mode."""
    from bot.runner import BotRuntime

    settings = load_settings()
    logging.getLogger().setLevel(settings.log_level)
    if settings.bot_token is None:
        err.print("witaj: error: BOT_TOKEN is not set (try `witaj sandbox`)", markup=False)
        raise typer.Exit(2)
    runtime = BotRuntime(settings, settings.bot_token.get_secret_value(), settings.telegram_api_url)
    try:
        asyncio.run(runtime.run_forever())
    except KeyboardInterrupt:
        pass
    except (DatabaseUrlError, ContentError, SQLAlchemyError, OSError, ValueError) as exc:
        err.print(f"witaj: error: {one_line(exc)}", markup=False, highlight=False)
        raise typer.Exit(2) from None


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
