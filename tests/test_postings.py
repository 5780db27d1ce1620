"""The index's postings, counted a block of topics at a time, against counting entry by entry.

The block counter is array arithmetic over packed keys; a mistake in a shift or a mask would
not fail loudly, it would quietly give topics the wrong words. So it is checked against the
plain, slow way: each entry's words, a set of their features and word pairs, summed per topic
and language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import pytest

from knowledge.content import TopicDoc
from knowledge.library import search_documents
from knowledge.search import postings
from knowledge.search.index import (
    COUNT_BITS,
    COUNT_MASK,
    LANGUAGE_BITS,
    OTHER_LANGUAGES,
    WEIGHT_UNITS,
    SearchDocument,
    pairs,
    word_ids,
)
from knowledge.search.normalize import clean, words


def one_by_one(docs: Sequence[SearchDocument]) -> tuple[list[int], dict[str, set[str]]]:
    """Packed postings and each language's words, entry by entry."""
    packed: list[int] = []
    seen: dict[str, set[str]] = defaultdict(set)
    for owner, (_, by_lang) in enumerate(docs):
        uses: dict[tuple[int, str], float] = defaultdict(float)
        for lang, entries in by_lang.items():
            for kind, text in entries:
                found = words(clean(text))
                seen[lang].update(found)
                ids = {f for word in found for f in word_ids(word)} | set(pairs(found)) - {0}
                for key in {f >> 32 for f in ids}:
                    uses[key, lang] += WEIGHT_UNITS[kind]
        by_key: dict[int, list[float]] = defaultdict(list)
        for (key, _), used in uses.items():
            by_key[key].append(used)
        for key, per_language in by_key.items():
            top = max(per_language)
            count = round(top + OTHER_LANGUAGES * (sum(per_language) - top))
            packed.append(key << 32 | owner << COUNT_BITS | min(count, COUNT_MASK))
    return sorted(packed), {lang: found for lang, found in seen.items() if found}


def in_blocks(docs: Sequence[SearchDocument]) -> tuple[list[int], dict[str, set[str]]]:
    counter = postings.Counter(WEIGHT_UNITS, OTHER_LANGUAGES, LANGUAGE_BITS, COUNT_BITS)
    blocks = list(counter.count(docs))
    packed = np.concatenate(blocks).tolist() if blocks else []
    return sorted(packed), {lang: found for lang, found in counter.seen().items() if found}


AWKWARD: list[SearchDocument] = [
    ("line-breaks", {"en": [("title", "PESEL\nnumber"), ("phrasing", "karta\r\npobytu now")]}),
    ("empty", {"pl": [("title", ""), ("keyword", "   "), ("phrasing", "?!")]}),
    ("no-languages", {}),
    ("long", {"uk": [("phrasing", "довідка " * 200), ("keyword", "ﬁle ﷺ Ⅻ")]}),
    ("not-nfkc", {"ar": [("title", "ﻣﺮﺣﺒﺎ بالشغل"), ("phrasing", "e\u0301cole ǰ")]}),
    ("apostrophes", {"uk": [("title", "м'ята пол’ще"), ("keyword", "'")]}),
    ("one-word-twice", {"ru": [("phrasing", "справка справка справки")]}),
    ("foreign", {"es": [("title", "tarjeta de residencia")], "en": [("title", "residence")]}),
    ("invisible", {"en": [("title", "pe\u200bsel\u00ad number\u0007")]}),
]


def test_counting_in_blocks_matches_counting_entry_by_entry(topics: list[TopicDoc]) -> None:
    docs = [*search_documents(topics), *AWKWARD]
    assert in_blocks(docs) == one_by_one(docs)


@pytest.mark.parametrize("block", [1, 3, 256])
def test_block_edges_change_nothing(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    docs = [*AWKWARD, *AWKWARD[::-1], ("tail", {"en": [("title", "bank account")]})]
    monkeypatch.setattr(postings, "BLOCK", block)
    assert in_blocks(docs) == one_by_one(docs)


def test_a_block_too_big_for_one_key_is_split(monkeypatch: pytest.MonkeyPatch) -> None:
    """Topics with very many entries would overflow the packed key; the block halves."""
    entries = [("phrasing", f"word w{k}") for k in range(300)]
    many: list[SearchDocument] = [
        (f"t{n}", {"en": [*entries, ("title", f"t{n}")]}) for n in range(8)
    ]
    monkeypatch.setattr(postings, "BLOCK", 8)
    monkeypatch.setattr(postings, "KEY_BITS", 32 + 3 + 3 + 9)  # room for 2 topics of 301
    assert in_blocks(many) == one_by_one(many)
