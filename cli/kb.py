"""`witaj kb`: the knowledge base's content — import, export, format, check, sources."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.base import CliError, command, err, load_settings, one_line, out, with_store

if TYPE_CHECKING:
    from knowledge.content import TopicDoc
    from knowledge.store import Store

kb_app = typer.Typer(help="Knowledge base content: import, export, check.", no_args_is_help=True)


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

    async def run(store: Store) -> None:
        report, guided = await store.import_content(source, force=force)
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
        out.print(
            f"paths: {len(guided.created)} created, {len(guided.updated)} updated, "
            f"{len(guided.conflicts)} conflicts"
        )
        for key in guided.conflicts:
            err.print(f"conflict: path {key} was edited in the database; kept", markup=False)
        if report.conflicts or guided.conflicts:
            raise typer.Exit(1)

    await with_store(run, seed=False)


@kb_app.command("export")
@command
async def kb_export(
    destination: Annotated[
        str | None, typer.Argument(help="Folder for YAML files, or - for standard output.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="yaml or json")] = "yaml",
) -> None:
    """Write the knowledge base as YAML files (the seed format) or as one JSON document."""
    from knowledge.content import topic_to_data, write_dir

    if fmt not in ("yaml", "json"):
        raise CliError("--format must be yaml or json")
    topics = await with_store(lambda store: store.topics())
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
    guided = await with_store(lambda store: store.guided_paths())
    if guided:
        from knowledge.paths import dump_path

        (folder / "paths").mkdir(parents=True, exist_ok=True)
        for path in guided:
            (folder / "paths" / f"{path.slug}.yaml").write_text(dump_path(path), encoding="utf-8")
        out.print(f"exported {len(guided)} guided paths to {folder / 'paths'}")


@kb_app.command("format")
def kb_format(
    directory: Annotated[Path | None, typer.Argument(help="Folder of topic YAML files.")] = None,
) -> None:
    """Rewrite hand-edited YAML files in the canonical layout `kb export` produces."""
    from knowledge.content import ContentError, load_dir, write_dir

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
    from rich.table import Table

    from knowledge import lint, safety
    from knowledge.content import load_dir

    settings = load_settings()
    old: set[tuple[str, str]] = set()
    stored_paths: list[Any] = []
    if directory:
        topics = load_dir(directory)
    else:  # one opening of the store (each one reads the seed)
        topics, old, stored_paths = await with_store(_topics_outdated_and_paths)
    required = _required_slugs(topics_file) if topics_file else None
    findings = lint.check(
        topics,
        required_slugs=required,
        review_max_age=timedelta(days=settings.review_max_age_days),
        outdated=old,
    )
    findings += lint.check_safety(safety.file_in(directory or settings.content_dir))
    slugs = {t.slug for t in topics}
    if directory:
        findings += lint.check_paths(directory / "paths", slugs)
    else:
        findings += lint.check_paths(None, slugs, stored_paths)
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

    async def run(store: Store) -> list[source_check.Citation]:
        if check:
            async with store.sessions() as session:
                urls = await source_check.cited_urls(session)
            out.print(f"checking {len(urls)} pages …")
            results = await source_check.fetch_all(urls, per_page=per_page)
            async with store.transaction() as session:
                await source_check.record(session, results)
        async with store.sessions() as session:
            return await source_check.citations(session)

    cited = await with_store(run)
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


async def _topics_outdated_and_paths(
    store: Store,
) -> tuple[list[TopicDoc], set[tuple[str, str]], list[Any]]:
    from knowledge import matrix, path_store
    from knowledge.repository import load_topics

    async with store.sessions() as session:
        topics = await load_topics(session)
        outdated = matrix.outdated(await matrix.load_matrix(session))
        return topics, outdated, list(await path_store.load_paths(session))


def _required_slugs(path: Path) -> set[str]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CliError(f"{path}: {one_line(exc)}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise CliError(f"{path}: expected categories mapping to {{slug: description}}")
    return {slug for group in data.values() for slug in group}


@kb_app.command("lemmas")
def kb_lemmas(
    directory: Annotated[Path | None, typer.Argument(help="Folder of topic YAML files.")] = None,
) -> None:
    """Remake the search's table of word forms for the seed's vocabulary (needs the dev
    dependencies: it reads simplemma's full dictionaries, about 700 MB, for a few seconds)."""
    from knowledge.content import load_dir
    from knowledge.library import corpus_texts
    from knowledge.search.morphology import TABLE, make_table, vocabulary

    folder = directory or load_settings().content_dir
    count = make_table(vocabulary(corpus_texts(load_dir(folder))))
    out.print(f"{TABLE.name}: {count} word forms")
