"""Counting the index's postings a block of topics at a time.

Ten thousand topics hold nearly three million short entries (titles, keywords, phrasings in six
languages). Taken one by one, each entry cost a dozen Python calls (splitting it, a set of its
words' features, a list of its word pairs, another set for those), and that was most of an
index build. Here a block of topics is split into words in one pass, each word is numbered and
its features looked up once for the whole build, and the rest — each entry's distinct features,
the pairs of neighbouring words, the counts per topic and language — is array arithmetic
(tests/test_postings.py checks it against counting entry by entry).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from knowledge.languages import LANGUAGES
from knowledge.search.normalize import cleaned_lines, line_words

if TYPE_CHECKING:
    from knowledge.search.index import SearchDocument

BLOCK = 256
"""Topics counted together: large enough that array calls are few, small enough that a block's
arrays (a few million features) stay small."""
KEY_BITS = 64
"""While a block is counted, one number holds a feature's 32 bits, its topic, language and
entry; a block of topics with too many entries for that is counted in halves."""
SEPARATOR = "\n"
"""Between entries in a block's text (`normalize.cleaned_lines`): a token of its own."""
PAIR_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
PAIR_OFFSET = np.uint64(0x632BE59BD9B4E019)
"""A pair of neighbouring stems gets the id `(a * PAIR_MULTIPLIER) ^ (b + PAIR_OFFSET)` (mod
2**64), for the built index and a question alike (`index.pairs`)."""

Counted = npt.NDArray[np.uint64]
"""Packed postings: feature key (high 32 bits) | topic | count (see `index.COUNT_BITS`)."""


class Words(dict[str, int]):
    """Every word met while building, numbered in order of first use, with its features.

    Number 0 is the separator. Looking a word up (`words[w]`) numbers it when it is new, so a
    block's tokens are numbered by one `map` over the dictionary.
    """

    def __init__(self) -> None:
        super().__init__({SEPARATOR: 0})
        from knowledge.search.index import stem_id, word_ids  # the query side's, cached

        self._ids = word_ids
        self._stem = stem_id
        self._new: list[str] = []
        self.features = np.zeros(0, np.uint64)
        """All words' feature ids, word after word."""
        self.starts = np.zeros(2, np.int64)
        """Word n's features are `features[starts[n]:starts[n + 1]]` (the separator has none)."""
        self.stems = np.zeros(1, np.uint64)
        """Word n's stem id, for word pairs."""

    def __missing__(self, word: str) -> int:
        number = len(self)
        self[word] = number
        self._new.append(word)
        return number

    def settle(self) -> None:
        """Bring the arrays up to the words numbered since the last call."""
        if not self._new:
            return
        found = [self._ids(word) for word in self._new]
        sizes = np.fromiter(map(len, found), np.int64, count=len(found))
        self.features = np.concatenate(
            (self.features, np.fromiter(chain.from_iterable(found), np.uint64, int(sizes.sum())))
        )
        self.starts = np.concatenate((self.starts, self.starts[-1] + np.cumsum(sizes)))
        stems = np.fromiter(map(self._stem, self._new), np.uint64, count=len(self._new))
        self.stems = np.concatenate((self.stems, stems))
        self._new.clear()


class Counter:
    """The postings of a whole build, counted block by block; `seen` is, per language, every
    word the topics use in it (what tells a question's language and its typos)."""

    def __init__(
        self, units: Mapping[str, int], other_languages: float, language_bits: int, count_bits: int
    ) -> None:
        self.words = Words()
        self._units = units
        self._other = other_languages
        self._language_bits = language_bits
        self._count_bits = count_bits
        self._count_mask = (1 << count_bits) - 1
        self._languages: dict[str, int] = {lang: n for n, lang in enumerate(LANGUAGES)}
        self._seen: dict[int, npt.NDArray[np.bool_]] = {}
        """Per language (by code): which words (by number) the topics use in it."""

    def count(self, docs: Sequence[SearchDocument], first_owner: int = 0) -> Iterator[Counted]:
        for at in range(0, len(docs), BLOCK):
            yield from self._block(docs[at : at + BLOCK], first_owner + at)

    def seen(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {lang: set() for lang in LANGUAGES}
        names, spelled = list(self._languages), list(self.words)
        for code, used in self._seen.items():
            found.setdefault(names[code], set()).update(
                spelled[n] for n in np.flatnonzero(used).tolist()
            )
        return found

    def _block(self, docs: Sequence[SearchDocument], first_owner: int) -> Iterator[Counted]:
        texts: list[str] = []
        units: list[int] = []
        groups: list[int] = []  # entries of each (topic, language), in order
        group_owner: list[int] = []
        group_language: list[int] = []
        for owner, (_, by_lang) in enumerate(docs):
            if len(by_lang) > 1 << self._language_bits:
                raise ValueError(f"at most {1 << self._language_bits} languages a topic")
            for lang, entries in by_lang.items():
                texts.extend(text for _, text in entries)
                units.extend(self._units[kind] for kind, _ in entries)
                groups.append(len(entries))
                group_owner.append(owner)
                group_language.append(self._languages.setdefault(lang, len(self._languages)))
        owner_bits = max(1, (len(docs) - 1).bit_length())
        language_bits = max(1, (len(self._languages) - 1).bit_length())
        entry_bits = max(1, (len(texts) - 1).bit_length())
        if 32 + owner_bits + language_bits + entry_bits > KEY_BITS:
            if len(docs) == 1:
                raise ValueError("a topic with too many entries or languages to count")
            half = len(docs) // 2
            yield from self._block(docs[:half], first_owner)
            yield from self._block(docs[half:], first_owner + half)
            return
        if not texts:
            return
        entry_owner = np.repeat(np.asarray(group_owner, np.uint64), groups)
        entry_language = np.repeat(np.asarray(group_language, np.uint64), groups)

        tokens = self._numbered(texts)
        separator = tokens == 0
        entry = np.cumsum(separator)  # a token's entry (a separator's: the next one)
        words, word_entry = tokens[~separator], entry[~separator]
        self._remember(words, entry_language[word_entry])
        features, feature_entry = self._word_features(words, word_entry)
        pairs, pair_entry = self._pairs(tokens, separator, entry)
        # One sort orders every (feature, topic, language, entry): an entry counts a feature
        # once, and a topic's uses of it in one language are neighbours.
        in_entry = np.concatenate((feature_entry, pair_entry)).astype(np.uint64)
        key = np.concatenate((features, pairs)) >> np.uint64(32)  # the index keeps 32 bits
        key <<= np.uint64(owner_bits + language_bits + entry_bits)
        key |= entry_owner[in_entry] << np.uint64(language_bits + entry_bits)
        key |= entry_language[in_entry] << np.uint64(entry_bits)
        key |= in_entry
        del features, pairs, feature_entry, pair_entry, in_entry
        if not len(key):
            return  # no topic in the block has a word
        key.sort()
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
        uses = np.asarray(units, np.float64)[key & np.uint64((1 << entry_bits) - 1)]
        key >>= np.uint64(entry_bits)
        first = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
        counts = np.add.reduceat(uses, first)  # per (feature, topic, language)
        found_in = key[first] >> np.uint64(language_bits)
        del key, uses
        # A feature counts fully in the language using it most, and `other_languages` in the
        # rest: "PESEL" in one phrasing of the bank topic is written six times, once per
        # translation, and summed in full it looked as much the bank topic's word as the PESEL
        # topic's, whose title and keywords say it in every language.
        first = np.flatnonzero(np.concatenate(([True], found_in[1:] != found_in[:-1])))
        found = found_in[first]
        top = np.maximum.reduceat(counts, first)
        used = np.round(top + self._other * (np.add.reduceat(counts, first) - top))
        owners = (found & np.uint64((1 << owner_bits) - 1)) + np.uint64(first_owner)
        packed = found >> np.uint64(owner_bits) << np.uint64(32)
        packed |= owners << np.uint64(self._count_bits)
        packed |= np.minimum(used, self._count_mask).astype(np.uint64)
        yield packed

    def _numbered(self, texts: list[str]) -> npt.NDArray[np.int64]:
        """The block's words as numbers, entries separated by 0 (an entry's words are those
        `normalize.words(normalize.clean(text))` gives)."""
        joined = cleaned_lines(texts)
        found = line_words(joined)
        tokens = np.fromiter(map(self.words.__getitem__, found), np.int64, count=len(found))
        self.words.settle()
        return tokens

    def _word_features(
        self, tokens: npt.NDArray[np.int64], entry: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
        """Every feature of every word, with the entry it is in."""
        starts = self.words.starts[tokens]
        sizes = self.words.starts[tokens + 1] - starts
        total = int(sizes.sum())
        offsets = np.cumsum(sizes) - sizes
        at = np.repeat(starts - offsets, sizes) + np.arange(total)
        return self.words.features[at], np.repeat(entry, sizes)

    def _pairs(
        self,
        tokens: npt.NDArray[np.int64],
        separator: npt.NDArray[np.bool_],
        entry: npt.NDArray[np.int64],
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
        """Neighbouring words' pair ids, with their entry (a stem next to itself makes none)."""
        stems = self.words.stems[tokens]
        a, b = stems[:-1], stems[1:]
        pairs = (a * PAIR_MULTIPLIER) ^ (b + PAIR_OFFSET)
        keep = ~separator[:-1] & ~separator[1:] & (a != b) & (pairs != 0)
        return pairs[keep], entry[:-1][keep]

    def _remember(self, words: npt.NDArray[np.int64], language: npt.NDArray[np.uint64]) -> None:
        size = len(self.words)
        for code in np.flatnonzero(np.bincount(language.astype(np.int64))).tolist():
            used = self._seen.get(code, np.zeros(0, np.bool_))
            if len(used) < size:
                used = np.concatenate((used, np.zeros(size - len(used), np.bool_)))
            used[words[language == code]] = True
            self._seen[code] = used
