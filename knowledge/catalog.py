"""The answer cards the bot renders from, kept packed: a few kilobytes per topic, not thirty.

A topic's card as pydantic objects takes about 27 KB of live objects (six translations, their
sources, a dozen small objects each). Packed, a card is its JSON compressed with zlib, stored in
one buffer for the whole catalogue (3.5 KB per topic for bench/search.py's synthetic ones). The
cards in use are unpacked on demand and the most recent few hundred are kept unpacked, so a
knowledge base of a few dozen topics is unpacked once and one of ten thousand stays within a
few dozen megabytes.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Iterator, Mapping
from functools import lru_cache, partial

from knowledge.content import TopicDoc

UNPACKED = 512
"""How many cards are kept unpacked (the knowledge base's own few dozen, all of them)."""


def pack(card: TopicDoc) -> bytes:
    """A card as stored: equal cards pack to equal bytes (compared on a refresh)."""
    return zlib.compress(card.model_dump_json().encode(), 6)


class Packing:
    """A catalogue being filled, card by card: a large one is read from the database in
    batches, and each batch's topics are dropped once packed."""

    def __init__(self) -> None:
        self._slugs: list[str] = []
        self._buffer = bytearray()
        self._ends = array("Q")

    def add(self, card: TopicDoc) -> None:
        self._slugs.append(card.slug)
        self._buffer += pack(card)
        self._ends.append(len(self._buffer))

    def __len__(self) -> int:
        return len(self._slugs)

    def _packed(self, n: int) -> bytearray:
        return self._buffer[self._ends[n - 1] if n else 0 : self._ends[n]]

    def same_as(self, catalog: Catalog) -> bool:
        """Whether these are the catalogue's cards, in its order."""
        return list(catalog) == self._slugs and all(
            catalog.packed(slug) == self._packed(n) for n, slug in enumerate(self._slugs)
        )

    def catalog(self) -> Catalog:
        return Catalog(self)


def _unpack(packing: Packing, position: dict[str, int], slug: str) -> TopicDoc:
    return TopicDoc.model_validate_json(zlib.decompress(packing._packed(position[slug])))


class Catalog(Mapping[str, TopicDoc]):
    """Immutable: topics by slug, in the knowledge base's order."""

    def __init__(self, packing: Packing) -> None:
        self._packing = packing
        self._position = {slug: n for n, slug in enumerate(packing._slugs)}
        # Not a cache of a bound method: that would be a reference cycle, and the bot freezes
        # its start-up objects out of the collector's reach (bot/runner.py), so a catalogue
        # replaced by an edit would never be freed.
        self._card = lru_cache(maxsize=UNPACKED)(partial(_unpack, packing, self._position))

    def packed(self, slug: str) -> bytearray | None:
        """The card as stored, or None for a slug the catalogue does not hold."""
        n = self._position.get(slug)
        return None if n is None else self._packing._packed(n)

    def __getitem__(self, slug: str) -> TopicDoc:
        if slug not in self._position:  # checked first: a miss must not evict a cached card
            raise KeyError(slug)
        return self._card(slug)

    def __contains__(self, slug: object) -> bool:
        return slug in self._position

    def __iter__(self) -> Iterator[str]:
        return iter(self._position)

    def __len__(self) -> int:
        return len(self._position)

    def size(self) -> int:
        """Bytes the packed cards take (for the benchmarks)."""
        return len(self._packing._buffer) + self._packing._ends.itemsize * len(self)
