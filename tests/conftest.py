"""Shared fixtures: the real content, one library built from it per test session, databases.

Tests that need an outside service skip with a reason where it is absent — except when
WITAJ_REQUIRE_SERVICES is set (CI), where an absent service is a failure.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import bot  # noqa: F401 - first: Telegram's types built when used, as in production
from cli.process import fewer_collections
from knowledge.content import TopicDoc, load_dir
from knowledge.library import Library
from knowledge.search import SearchIndex
from knowledge.settings import CONTENT_DIR
from knowledge.store import Store

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
POSTGRES_ADMIN_URL = os.environ.get(
    "WITAJ_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_SERVICES = bool(os.environ.get("WITAJ_REQUIRE_SERVICES"))

# The tests run bots in this process: tune its collector as `witaj run` does. With Python's
# default, full collections over the whole test session's heap took a seventh of the e2e time.
fewer_collections()


def unavailable(reason: str) -> None:
    """Skip, or fail when CI requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(reason)


def shared_file(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        unavailable(f"{path} is not beside the project")
    return path


@pytest.fixture(scope="session")
def topics() -> list[TopicDoc]:
    return load_dir(CONTENT_DIR)


@pytest.fixture(scope="session")
def library(topics: list[TopicDoc]) -> Library:
    """Built once per test session and shared read-only (a Library never changes)."""
    return shared_library()


@pytest.fixture(scope="session")
def index(library: Library) -> SearchIndex:
    return library.index


_SHARED: list[Library] = []


def shared_library() -> Library:
    """The seed's library, built on first use; e2e harnesses adopt it instead of rebuilding."""
    if not _SHARED:
        _SHARED.append(Library.build(load_dir(CONTENT_DIR)))
    return _SHARED[0]


async def _postgres_database() -> tuple[str, str]:
    import asyncpg  # type: ignore[import-untyped]

    admin = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg", "postgresql")
    name = f"witaj_test_{uuid.uuid4().hex[:12]}"
    try:
        conn = await asyncpg.connect(admin, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise ConnectionError(str(exc)) from exc
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return admin, f"{base}/{name}"


async def _drop_postgres_database(admin: str, url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(admin, timeout=3)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'witaj.sqlite3'}"
        return
    try:
        admin, url = asyncio.run(_postgres_database())
    except ConnectionError as exc:
        unavailable(f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable: {exc}")
    yield url
    asyncio.run(_drop_postgres_database(admin, url))


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A migrated, seeded knowledge base on each kind of database."""
    opened = await Store.open(database_url, seed_dir=CONTENT_DIR)
    try:
        yield opened
    finally:
        await opened.close()
