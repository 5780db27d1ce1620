"""What the bot answers from: an immutable snapshot of the content, swapped whole after an edit.

A `Library` holds the catalogue of topics, the search index built from them, the schools and
the content version they are all from; it never changes once built, so an update handled
while a practitioner saves reads one consistent version. The `Librarian` keeps the current one
and, when the database's content version moves (an edit here or on another replica), builds
the next in a thread and swaps it in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from knowledge import path_store, repository, schools, versions
from knowledge.catalog import Catalog, Packing
from knowledge.content import TopicDoc
from knowledge.paths import PathDoc
from knowledge.schools import SchoolDoc
from knowledge.search import SearchDocument, SearchIndex
from knowledge.store import Store

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)


def search_document(topic: TopicDoc) -> SearchDocument:
    """The search's plain input: per language, the topic's title, keywords and phrasings."""
    return (
        topic.slug,
        {
            lang: [
                ("title", tr.title),
                *(("keyword", k) for k in tr.keywords),
                *(("phrasing", p) for p in tr.phrasings),
            ]
            for lang, tr in topic.translations.items()
        },
    )


def search_documents(topics: Iterable[TopicDoc]) -> list[SearchDocument]:
    return [search_document(topic) for topic in topics]


def corpus_texts(topics: Iterable[TopicDoc]) -> list[str]:
    """Every text the index learns words from (the topics and the out-of-scope decoy)."""
    from knowledge.search.index import load_out_of_scope

    texts = [text for _, by_lang in search_documents(topics) for entries in by_lang.values()
             for _, text in entries]  # fmt: skip
    for group in load_out_of_scope().values():
        texts += group["phrasings"] + group["keywords"]
    return texts


def build_index(
    topics: Iterable[TopicDoc], version: int = 0, cache: Path | None = None
) -> SearchIndex:
    """The search index of these topics; with `cache`, read from (or saved to) that folder."""
    from knowledge.search import cache as index_cache

    return index_cache.build(search_documents(topics), version, cache)


class Shelf:
    """A library being read: topics come in batches and each is reduced at once to what the
    library keeps (its packed card), the index's key and, unless the index is already built,
    what the search is built from (its documents)."""

    def __init__(self, *, documents: bool = True) -> None:
        from knowledge.search.cache import Key

        self.documents: list[SearchDocument] | None = [] if documents else None
        self._key = Key()
        self._cards = Packing()

    def add(self, topics: Iterable[TopicDoc]) -> None:
        for topic in topics:
            document = search_document(topic)
            if self.documents is not None:
                self.documents.append(document)
            self._key.add(document)
            self._cards.add(topic.card())

    def __len__(self) -> int:
        return len(self._cards)

    @property
    def key(self) -> str:
        return self._key.value()

    def holds(self, library: Library) -> bool:
        """Whether the library has these very topics: the same cards and the same index."""
        return self.key == library.searched and self._cards.same_as(library.catalog)

    def library(
        self,
        schools_: Mapping[str, SchoolDoc] | None = None,
        version: int = 0,
        cache: Path | None = None,
        index: SearchIndex | None = None,
    ) -> Library:
        """The library of these topics, with `index` (already built for them) or building it."""
        from knowledge.search import cache as index_cache

        if index is None:
            if self.documents is None:
                raise ValueError("the topics were read without their search documents")
            index = index_cache.build(self.documents, version, cache, self.key)
        return Library(
            version,
            self._cards.catalog(),
            index,
            MappingProxyType(dict(schools_ or {})),
            searched=self.key,
        )


@dataclass(frozen=True)
class Library:
    version: int
    catalog: Catalog
    """The topics, by slug: what answer cards are rendered from."""
    index: SearchIndex
    schools: Mapping[str, SchoolDoc] = field(default_factory=dict)
    """The schools with preparatory classes, by code."""
    paths: Mapping[str, PathDoc] = field(default_factory=dict)
    """The guided paths, by slug, in their order."""
    searched: str = ""
    """The index's key (`knowledge.search.cache.Key`): the catalogue's cards leave out the
    phrasings, so they alone cannot tell that a phrasing was added."""

    @classmethod
    def build(
        cls,
        topics: Iterable[TopicDoc],
        schools_: Mapping[str, SchoolDoc] | None = None,
        version: int = 0,
        cache: Path | None = None,
    ) -> Library:
        shelf = Shelf()
        shelf.add(topics)
        return shelf.library(schools_, version, cache)

    def with_schools(self, schools_: Mapping[str, SchoolDoc], version: int) -> Library:
        """The same topics and index with another schools directory (a school was edited)."""
        return replace(self, version=version, schools=MappingProxyType(dict(schools_)))

    def with_paths(self, paths_: Iterable[PathDoc]) -> Library:
        return replace(self, paths=MappingProxyType({p.slug: p for p in paths_}))

    def in_category(self, category: str) -> list[TopicDoc]:
        return [doc for doc in self.catalog.values() if doc.category == category]


class Librarian:
    """Keeps this process's current `Library` and replaces it when the content moved on."""

    def __init__(
        self,
        store: Store,
        library: Library | None = None,
        *,
        demo: bool = False,
        cache: Path | None = None,
        one_pass: bool = False,
    ) -> None:
        self.store = store
        self.demo = demo
        """Whether example schools are shown (the sandbox) or kept out (the real bot)."""
        self.cache = cache
        """Where built indexes are kept between starts (None: build every time)."""
        self.one_pass = one_pass
        """Read the search input with the cards even when the index may be in the cache: for
        the start-up helper, whose job is building it (a second reading of ten thousand
        topics takes ten seconds; holding their search input, a few hundred megabytes)."""
        self._library = library
        self._lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, store: Store, *, demo: bool = False, cache: Path | None = None, one_pass: bool = False
    ) -> Librarian:
        librarian = cls(store, demo=demo, cache=cache, one_pass=one_pass)
        await librarian.refresh(force=True)
        return librarian

    @property
    def current(self) -> Library:
        if self._library is None:
            raise RuntimeError("the library is opened with Librarian.open")
        return self._library

    async def refresh(self, *, force: bool = False) -> bool:
        """Build the next library when the content version moved (or always, with `force`).

        Only what changed is rebuilt: a school's edit keeps the topics' index.
        """
        from knowledge.search.cache import cached

        async with self._lock:
            current = self._library
            async with self.store.sessions() as session:
                version = await versions.content_version(session)
                if not force and current is not None and version == current.version:
                    return False
                # With a cache the index is most often built already (by the start-up helper
                # or another replica): the topics are read for their cards and the index's key
                # only, and read again with the search's input when it must be built.
                shelf = await _read(session, documents=self.cache is None or self.one_pass)
                directory = await schools.load_directory(session, demo=self.demo)
                guided = await path_store.load_paths(session)
                same = not force and current is not None and shelf.holds(current)
                index = None
                if not same and self.cache is not None:
                    index = await asyncio.to_thread(cached, self.cache, shelf.key, version)
                    if index is None and shelf.documents is None:
                        shelf = await _read(session, documents=True)
            if same and current is not None:
                library = current.with_schools(directory, version)
            else:
                library = await asyncio.to_thread(
                    shelf.library, directory, version, self.cache, index
                )
            self._library = library.with_paths(guided)
        log.info("library built: %d topics, content version %d", len(shelf), version)
        return True


async def _read(session: AsyncSession, *, documents: bool) -> Shelf:
    shelf = Shelf(documents=documents)
    async for batch in repository.topic_batches(session):
        await asyncio.to_thread(shelf.add, batch)
    return shelf
