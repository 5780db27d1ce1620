"""The database side of the knowledge base: engine, sessions, schema, and seeding it.

Opening a `Store` connects and migrates — nothing more. The search index and the catalogue live
in a `Library` (see `knowledge.library`), built only by the parts that answer questions, so a
command such as `witaj user list` never pays for them.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from knowledge import leases, path_store, paths, repository, school_csv, schools, versions
from knowledge.content import TopicDoc, load_dir
from knowledge.db import make_engine, make_session_factory, upgrade
from knowledge.paths import PathDoc
from knowledge.repository import ImportReport

DEMO_SCHOOLS = Path(__file__).resolve().parent / "demo" / "schools.csv"
"""Invented schools for trying links and posters in the sandbox; never in production."""

log = logging.getLogger(__name__)


@dataclass
class Store:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    async def open(
        cls, database_url: str, *, seed_dir: Path | None = None, demo: bool | None = None
    ) -> Store:
        """Connect, migrate, and bring the seed in (an empty database gets everything).

        `demo=True` loads the example schools (the sandbox), `demo=False` deletes them (the bot
        runs for real); `None` leaves them as they are.
        """
        engine = make_engine(database_url)
        try:
            await upgrade(engine)
            store = cls(engine, make_session_factory(engine))
            if seed_dir is not None:
                await store.seed(seed_dir)
            if demo is not None:
                await store.set_up_demo(enabled=demo)
        except BaseException:
            await engine.dispose()
            raise
        return store

    async def close(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        async with self.sessions.begin() as session:
            yield session

    async def seed(self, directory: Path) -> ImportReport:
        """Bring the seed's changes in without touching what practitioners edited.

        Runs on every start: an empty database gets everything, an existing one gets the
        translations that changed in the seed and were not edited since (the rest are reported
        as conflicts and keep the database text). A seed brought in before and unchanged
        since (the same files, byte for byte) is not read again.
        """
        fingerprint = versions.seed_fingerprint(directory)
        async with self.sessions() as session:
            if await versions.seeded(session) == fingerprint:
                return ImportReport()  # brought in before, unchanged since: nothing to read
        docs = load_dir(directory)
        # Replicas starting together seed one at a time.
        async with self._exclusive("seed"), self.transaction() as session:
            report = await repository.import_topics(session, docs, actor="seed")
        if report.changed:
            log.info(
                "seed %s: %d created, %d updated",
                directory,
                len(report.created),
                len(report.updated),
            )
        if report.conflicts:
            log.warning("seed kept newer database edits of %s", ", ".join(report.conflicts))
        await self.seed_paths(directory / "paths")
        async with self.transaction() as session:
            await versions.mark_seeded(session, fingerprint)
        return report

    async def seed_paths(self, directory: Path) -> None:
        """The guided paths of the seed, under the same rule as the topics."""
        async with self._exclusive("seed-paths"):
            report = await self.import_paths(directory, actor="seed")
        if report.created or report.updated:
            log.info("seed paths: %s", ", ".join(report.created + report.updated))
        if report.conflicts:
            log.warning("seed kept newer database edits of %s", ", ".join(report.conflicts))

    async def import_paths(
        self, directory: Path, *, actor: str = "import", force: bool = False
    ) -> path_store.PathImport:
        """Guided paths from `directory` (a content folder's `paths/`), in one transaction."""
        found = paths.load_paths(directory)
        async with self.transaction() as session:
            return await path_store.import_paths(session, found, actor=actor, force=force)

    async def guided_paths(self) -> list[PathDoc]:
        async with self.sessions() as session:
            return await path_store.load_paths(session)

    @asynccontextmanager
    async def _exclusive(self, job: str, wait: float = 120.0) -> AsyncIterator[None]:
        """Hold the job's lease for the block, waiting while another process holds it."""
        holder = uuid.uuid4().hex
        deadline = time.monotonic() + wait
        while True:
            async with self.transaction() as session:
                if await leases.acquire(session, job, holder, timedelta(minutes=5)):
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"another process has held the {job} lease for {wait:.0f} s")
            await asyncio.sleep(0.25)
        try:
            yield
        finally:
            async with self.transaction() as session:
                await leases.release(session, job, holder)

    async def import_dir(self, directory: Path, *, force: bool = False) -> ImportReport:
        """Validate every file first, then upsert all of them in one transaction."""
        docs = load_dir(directory)
        async with self.transaction() as session:
            return await repository.import_topics(session, docs, force=force)

    async def import_content(
        self, directory: Path, *, force: bool = False
    ) -> tuple[ImportReport, path_store.PathImport]:
        """A content folder's topics and guided paths (`paths/`): every file validated first,
        then all of it in one transaction — a malformed path file changes no topic either."""
        docs = load_dir(directory)
        found = paths.load_paths(directory / "paths")
        async with self.transaction() as session:
            report = await repository.import_topics(session, docs, force=force)
            guided = await path_store.import_paths(session, found, actor="import", force=force)
        return report, guided

    async def set_up_demo(self, *, enabled: bool) -> None:
        async with self.transaction() as session:
            if enabled:
                docs = school_csv.parse(DEMO_SCHOOLS.read_bytes(), demo=True)
                await schools.import_schools(session, docs, actor="demo")
            elif removed := await schools.remove_demo(session):
                log.info("removed %d demo schools: the bot runs for real", removed)

    async def topics(self) -> list[TopicDoc]:
        async with self.sessions() as session:
            return await repository.load_topics(session)

    async def content_version(self) -> int:
        async with self.sessions() as session:
            return await versions.content_version(session)
