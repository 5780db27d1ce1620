"""The one-way layout: cli → bot / workspace / sandbox → flows → knowledge, never back.

Read from the real import graph (grimp), so a shortcut that quietly crosses a boundary — a
dialog importing the database layer, the bot importing the sandbox — fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cli", "bot", "workspace", "sandbox", "flows", "knowledge")
MAY_IMPORT = {
    "cli": {"bot", "workspace", "sandbox", "flows", "knowledge"},
    "bot": {"flows", "knowledge"},
    "workspace": {"flows", "knowledge"},
    "sandbox": {"flows", "knowledge"},
    "flows": {"knowledge"},
    "knowledge": set(),
}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, include_external_packages=True)


def _chain(graph: grimp.ImportGraph, importer: str, imported: str) -> tuple[str, ...] | None:
    chain = graph.find_shortest_chain(importer=importer, imported=imported, as_packages=True)
    return tuple(chain) if chain else None


@pytest.mark.parametrize("importer", PACKAGES)
def test_dependencies_point_one_way(graph: grimp.ImportGraph, importer: str) -> None:
    for imported in PACKAGES:
        if imported != importer and imported not in MAY_IMPORT[importer]:
            assert _chain(graph, importer, imported) is None, (importer, imported)


def test_the_search_is_pure(graph: grimp.ImportGraph) -> None:
    """Plain data in, ranked slugs out: no database layer, no exchange format, no aiogram."""
    for imported in ("sqlalchemy", "knowledge.models", "knowledge.content", "aiogram"):
        assert _chain(graph, "knowledge.search", imported) is None, imported


def test_dialogs_neither_query_nor_commit(graph: grimp.ImportGraph) -> None:
    """Dialogs call knowledge services; the middleware that opens the session commits it."""
    for module in sorted(graph.find_descendants("flows")):
        direct = graph.find_modules_directly_imported_by(module)
        assert not {m for m in direct if m.split(".")[0] == "sqlalchemy"}, module


def test_production_never_imports_the_sandbox(graph: grimp.ImportGraph) -> None:
    for importer in ("bot", "workspace", "flows", "knowledge"):
        assert _chain(graph, importer, "sandbox") is None, importer


def test_the_telegram_runtime_renders_no_web_pages(graph: grimp.ImportGraph) -> None:
    assert _chain(graph, "bot", "jinja2") is None


def test_the_command_line_starts_without_the_heavy_parts() -> None:
    """`witaj --help` imports its commands, and they import what they use only when run; the
    settings every command reads import nothing heavy either (checking WORKING_HOURS once
    imported the hand-over desk, with SQLAlchemy and the models: half a second a command)."""
    probe = (
        "import sys, cli.app, cli.base; cli.base.load_settings(); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'aiogram', 'sqlalchemy', 'numpy', 'lingua', 'simplemma', 'rapidfuzz', 'aiohttp'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout
