"""`witaj ask`, `witaj eval`, `witaj chat`: the search, as the held-out evaluation calls it."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.base import CliError, command, one_line, out, with_library
from knowledge.languages import LANGUAGES

if TYPE_CHECKING:
    from knowledge.evaluation import EvalReport
    from knowledge.library import Librarian

search_app = typer.Typer()


@search_app.command()
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
    from knowledge.evaluation import read_jsonl

    async def answer(librarian: Librarian) -> None:
        library = librarian.current
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
                    hit = library.index.search(row.text, row.lang)
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
        result_ = library.index.search(text, lang)
        if as_json:
            payload = {
                "slug": result_.slug,
                "score": result_.score,
                "alternatives": list(result_.alternatives),
                "language": result_.language,
                "sure": result_.sure,
                "foreign": result_.foreign,
            }
            sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
            return
        from cli.console import show_result

        show_result(out, result_, dict(library.catalog), lang)

    await with_library(answer)


def _open_text(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: {one_line(exc)}") from None


@search_app.command("eval")
@command
async def eval_(
    file: Annotated[Path, typer.Argument(help="Labelled JSONL: id, text, lang, slug, style.")],
    misses: Annotated[bool, typer.Option(help="List the misses.")] = True,
) -> None:
    """Top-1 accuracy overall, per language and per style (abstaining on "none" is correct)."""
    from knowledge.evaluation import evaluate, read_jsonl

    rows = list(read_jsonl(_open_text(file)))
    bad = [r for r in rows if r.error]
    if bad:
        raise CliError(f"{file}: line {bad[0].line}: {bad[0].error}")
    report = await with_library(lambda k: asyncio.to_thread(evaluate, k.current.index, rows))
    _print_eval(report, misses)


def _print_eval(report: EvalReport, misses: bool) -> None:
    from rich.table import Table

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


@search_app.command()
@command
async def chat(
    lang: Annotated[str | None, typer.Option(help="Your language (a hint).")] = None,
) -> None:
    """An interactive question prompt over the knowledge base."""
    from cli.console import prompt_loop

    await with_library(lambda k: prompt_loop(out, k, lang))
