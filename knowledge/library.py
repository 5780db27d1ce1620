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

from knowledge import path_store, repository, schools, versions
from knowledge.content import TopicDoc
from knowledge.paths import PathDoc
from knowledge.schools import SchoolDoc
from knowledge.search import SearchDocument, SearchIndex
from knowledge.store import Store

log = logging.getLogger(__name__)


def search_documents(topics: Iterable[TopicDoc]) -> list[SearchDocument]:
    """The search's plain input: per topic and language, its titles, keywords and phrasings."""
    return [
        (
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
        for topic in topics
    ]


def corpus_texts(topics: Iterable[TopicDoc]) -> list[str]:
    """Every text the index learns words from (the topics and the out-of-scope decoy)."""
    from knowledge.search.index import load_out_of_scope

    texts = [text for _, by_lang in search_documents(topics) for entries in by_lang.values()
             for _, text in entries]  # fmt: skip
    for group in load_out_of_scope().values():
        texts += group["phrasings"] + group["keywords"]
    return texts


def fingerprint(documents: Iterable[SearchDocument]) -> int:
    """Equal for documents that give the same index (within one process: `hash`)."""
    return hash(
        tuple(
            (slug, tuple((lang, tuple(entries)) for lang, entries in by_lang.items()))
            for slug, by_lang in documents
        )
    )


def build_index(
    topics: Iterable[TopicDoc], version: int = 0, cache: Path | None = None
) -> SearchIndex:
    """The search index of these topics; with `cache`, read from (or saved to) that folder."""
    from knowledge.search import cache as index_cache

    return index_cache.build(search_documents(topics), version, cache)


@dataclass(frozen=True)
class Library:
    version: int
    catalog: Mapping[str, TopicDoc]
    """The topics, by slug: what answer cards are rendered from."""
    index: SearchIndex
    schools: Mapping[str, SchoolDoc] = field(default_factory=dict)
    """The schools with preparatory classes, by code."""
    paths: Mapping[str, PathDoc] = field(default_factory=dict)
    """The guided paths, by slug, in their order."""
    searched: int = 0
    """A fingerprint of what the index was built from: the catalogue's cards leave out the
    phrasings, so it alone cannot tell that a phrasing was added."""

    @classmethod
    def build(
        cls,
        topics: Iterable[TopicDoc],
        schools_: Mapping[str, SchoolDoc] | None = None,
        version: int = 0,
        cache: Path | None = None,
    ) -> Library:
        from knowledge.search import cache as index_cache

        topics = list(topics)
        documents = search_documents(topics)
        return cls(
            version,
            MappingProxyType({t.slug: t.card() for t in topics}),
            index_cache.build(documents, version, cache),
            MappingProxyType(dict(schools_ or {})),
            searched=fingerprint(documents),
        )

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
    ) -> None:
        self.store = store
        self.demo = demo
        """Whether example schools are shown (the sandbox) or kept out (the real bot)."""
        self.cache = cache
        """Where built indexes are kept between starts (None: build every time)."""
        self._library = library
        self._lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, store: Store, *, demo: bool = False, cache: Path | None = None
    ) -> Librarian:
        librarian = cls(store, demo=demo, cache=cache)
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
        async with self._lock:
            async with self.store.sessions() as session:
                version = await versions.content_version(session)
                if not force and self._library is not None and version == self._library.version:
                    return False
                topics = await repository.load_topics(session)
                directory = await schools.load_directory(session, demo=self.demo)
                guided = await path_store.load_paths(session)
            current = self._library
            if not force and current is not None and _same_topics(current, topics):
                library = current.with_schools(directory, version)
            else:
                library = await asyncio.to_thread(
                    Library.build, topics, directory, version, self.cache
                )
            self._library = library.with_paths(guided)
        log.info("library built: %d topics, content version %d", len(topics), version)
        return True


def _same_topics(library: Library, topics: list[TopicDoc]) -> bool:
    return (
        len(topics) == len(library.catalog)
        and all(library.catalog.get(t.slug) == t.card() for t in topics)
        and fingerprint(search_documents(topics)) == library.searched
    )
