"""Use cases over the knowledge base: open it, seed it, export it, and keep a search index fresh."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from knowledge import repository, school_csv, schools
from knowledge.content import TopicDoc, load_dir
from knowledge.db import make_engine, make_session_factory, upgrade
from knowledge.repository import ImportReport
from knowledge.schools import SchoolDoc
from knowledge.search import SearchIndex

DEMO_SCHOOLS = Path(__file__).resolve().parent / "demo" / "schools.csv"
"""Invented schools for trying links and posters in the sandbox; never in production."""

log = logging.getLogger(__name__)


@dataclass
class Knowledge:
    """The database handle plus the search index built from it."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    index: SearchIndex = field(default_factory=lambda: SearchIndex.build([]))
    catalog: dict[str, TopicDoc] = field(default_factory=dict)
    """The topics the index was built from, by slug: what answer cards are rendered from."""
    schools: dict[str, SchoolDoc] = field(default_factory=dict)
    """The schools with preparatory classes, by code, as of the same content version."""
    demo: bool = False
    """Whether example schools are shown (the sandbox) or kept out (the real bot)."""
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @classmethod
    async def open(
        cls, database_url: str, *, seed_dir: Path | None = None, demo: bool | None = None
    ) -> Knowledge:
        """Connect, migrate, seed an empty database from `seed_dir`, and build the index.

        `demo=True` loads the example schools (the sandbox), `demo=False` deletes them (the bot
        runs for real); `None` leaves them as they are and out of sight.
        """
        engine = make_engine(database_url)
        try:
            await upgrade(engine)
            knowledge = cls(engine, make_session_factory(engine), demo=bool(demo))
            if seed_dir is not None:
                await knowledge.seed(seed_dir)
            if demo is not None:
                await knowledge.set_up_demo(enabled=demo)
            await knowledge.refresh_index(force=True)
        except BaseException:
            await engine.dispose()
            raise
        return knowledge

    async def close(self) -> None:
        await self.engine.dispose()

    async def seed(self, directory: Path) -> ImportReport:
        """Bring the seed's changes in without touching what practitioners edited.

        Runs on every start: an empty database gets everything, an existing one gets the
        translations that changed in the seed and were not edited since (the rest are reported
        as conflicts and keep the database text).
        """
        docs = load_dir(directory)
        async with self.sessions.begin() as session:
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
        return report

    async def import_dir(self, directory: Path, *, force: bool = False) -> ImportReport:
        """Validate every file first, then upsert all of them in one transaction."""
        docs = load_dir(directory)
        async with self.sessions.begin() as session:
            report = await repository.import_topics(session, docs, force=force)
        if report.changed:
            await self.refresh_index(force=True)
        return report

    async def set_up_demo(self, *, enabled: bool) -> None:
        async with self.sessions.begin() as session:
            if enabled:
                docs = school_csv.parse(DEMO_SCHOOLS.read_bytes(), demo=True)
                await schools.import_schools(session, docs, actor="demo")
            elif removed := await schools.remove_demo(session):
                log.info("removed %d demo schools: the bot runs for real", removed)

    def in_category(self, category: str) -> list[TopicDoc]:
        return [doc for doc in self.catalog.values() if doc.category == category]

    async def topics(self) -> list[TopicDoc]:
        async with self.sessions() as session:
            return await repository.load_topics(session)

    async def refresh_index(self, *, force: bool = False) -> bool:
        """Rebuild the index when the content version moved (or always, with `force`)."""
        async with self._lock:
            async with self.sessions() as session:
                version = await repository.content_version(session)
                if not force and version == self.index.version:
                    return False
                docs = await repository.load_topics(session)
                directory = await schools.load_directory(session, demo=self.demo)
            self.schools = directory
            self.index = await asyncio.to_thread(SearchIndex.build, docs, version)
            self.catalog = {doc.slug: doc for doc in docs}
        log.info("search index built: %d topics, content version %d", len(docs), version)
        return True
