"""The in-memory search index: weighted word features per topic, scored like BM25.

Each topic is one bag of features drawn from its titles, phrasings and keywords in all six
languages, so a question in any language (or a mix) can reach it. A word yields several
features — its spelling skeleton, its dictionary forms and a crude stem — and counts once, with
its best-matching feature. Words the index has never seen are matched to close spellings with
rapidfuzz. The result abstains when the question's informative words are mostly not about the
best topic: an "I don't know" is better than a confident wrong answer.
"""

from __future__ import annotations

import hashlib
import math
import sys
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml
from rapidfuzz import fuzz, process

from knowledge.languages import LANGUAGES
from knowledge.search.langid import CYRILLIC, LATIN, lingua_best
from knowledge.search.morphology import lemmas
from knowledge.search.normalize import clean, script, skeleton, stem, words

K1 = 1.2
"""BM25 term-frequency saturation."""
ENTRY_WEIGHT = {"title": 2.0, "keyword": 1.5, "phrasing": 1.0}
STEM_WEIGHT = 0.8
BIGRAM_WEIGHT = 0.5
FUZZY_WEIGHT = 0.85
MAX_QUERY_WORDS = 80

ACCEPT = 0.34
"""Minimum share of a short question's information the best topic must explain."""
LONG_QUESTION = 8
"""Past this many words the bar falls (as (LONG_QUESTION / words) ** 0.7): a story around a
question brings words no topic explains, so a long question needs enough evidence, not a share."""
SURE = 0.5
DECOY_MARGIN = 1.0
"""Abstain unless the best topic outscores the out-of-scope decoy by this factor."""
OUT_OF_SCOPE = "~out-of-scope"
OUT_OF_SCOPE_FILE = Path(__file__).with_name("out_of_scope.yaml")
"""Below this (and above ACCEPT) the answer comes with "did you mean" alternatives."""


@dataclass(frozen=True, slots=True)
class Hit:
    slug: str
    score: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The best topic (None = abstain), a confidence in [0, 1] and runner-up slugs."""

    slug: str | None
    score: float
    alternatives: tuple[str, ...]
    language: str | None
    sure: bool
    hits: tuple[Hit, ...] = field(default=(), repr=False)

    @property
    def abstained(self) -> bool:
        return self.slug is None


Entry = tuple[str, str]
"""(kind, text): kind is "title", "keyword" or "phrasing" (weighted in that order)."""
SearchDocument = tuple[str, Mapping[str, Sequence[Entry]]]
"""A topic as the search sees it: its slug and, per language, its entries — plain data, so
the search needs neither the exchange format nor the database."""


MASK64 = (1 << 64) - 1
COUNT_SCALE = 2
"""Entry weights are halves (title 2, keyword 1.5, phrasing 1): counts are kept as integers."""
COUNT_BITS = 12
COUNT_MASK = (1 << COUNT_BITS) - 1
OWNER_BITS = 20
OWNER_MASK = (1 << OWNER_BITS) - 1
MAX_DOCUMENTS = OWNER_MASK
"""A packed posting: 32 bits of feature id, 20 of topic, 12 of count (saturated anyway)."""
LITTLE_ENDIAN = sys.byteorder == "little"
_TF = np.arange(COUNT_MASK + 1, dtype=np.float32) / COUNT_SCALE
SATURATED = (_TF * (K1 + 1) / (_TF + K1) / (K1 + 1)).astype(np.float16)
WEIGHT_UNITS = {kind: round(weight * COUNT_SCALE) for kind, weight in ENTRY_WEIGHT.items()}


def _hash(feature: str) -> int:
    """A feature's stable 64-bit id (the same in every process, so an index can be cached)."""
    return int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")


@lru_cache(maxsize=500_000)
def _word_features(word: str) -> tuple[tuple[int, float, bool], ...]:
    """Features of one cleaned word: (id, weight, whether it is a whole-word feature)."""
    key = skeleton(word)
    feats: dict[str, tuple[float, bool]] = {
        "w:" + key: (1.0, True),
        "s:" + stem(key): (STEM_WEIGHT, False),
    }
    for lemma in lemmas(word):
        lemma_key = skeleton(lemma)
        feats["w:" + lemma_key] = (1.0, True)
        feats.setdefault("s:" + stem(lemma_key), (STEM_WEIGHT, False))
    return tuple((_hash(f), w, whole) for f, (w, whole) in feats.items())


@lru_cache(maxsize=500_000)
def _word_ids(word: str) -> tuple[int, ...]:
    return tuple(feat for feat, _, _ in _word_features(word))


@lru_cache(maxsize=500_000)
def _word_keys(word: str) -> tuple[str, ...]:
    """The spelling keys a word is known by: its own and its dictionary forms'."""
    return tuple(dict.fromkeys((skeleton(word), *(skeleton(lemma) for lemma in lemmas(word)))))


@lru_cache(maxsize=500_000)
def _stem_id(word: str) -> int:
    return _hash("b:" + stem(skeleton(word)))


def _bigrams(word_list: Sequence[str]) -> list[int]:
    """Ids of neighbouring stems (a pair's id mixes its two stems' ids: no string is built)."""
    stems = list(map(_stem_id, word_list))
    return [
        ((a * 0x9E3779B97F4A7C15) ^ (b + 0x632BE59BD9B4E019)) & MASK64
        for a, b in pairwise(stems)
        if a != b
    ]


class SearchIndex:
    """Built once from the knowledge base; lookups are pure and never touch the database.

    Postings are stored column-wise (CSR): for feature id f, `_topics[_start[f]:_start[f+1]]`
    are the topics that use it and `_weight[...]` their saturated term frequencies. Scoring a
    word is then a handful of vectorised maxima over a dense array of topic scores, which keeps
    a lookup in milliseconds at ten thousand topics.
    """

    def __init__(
        self,
        slugs: list[str],
        documents: int,
        features: npt.NDArray[np.uint32],
        start: npt.NDArray[np.int64],
        topics: npt.NDArray[np.int32],
        weight: npt.NDArray[np.float16],
        idf: npt.NDArray[np.float32],
        vocabulary: dict[str, list[str]],
        lang_vocab: dict[str, set[str]],
        version: int,
    ) -> None:
        self.slugs = slugs
        self._documents = documents
        self._features = features
        """Sorted feature ids; a feature's row in the postings is its position here."""
        self._start = start
        self._topics = topics
        self._weight = weight
        self._idf = idf
        self._vocabulary = vocabulary
        self._lang_vocab = lang_vocab
        self.version = version
        self._unknown_idf = math.log(1 + (documents + 0.5) / 0.5)

    # ------------------------------------------------------------------ building

    @classmethod
    def build(
        cls,
        documents: Iterable[SearchDocument],
        version: int = 0,
        *,
        out_of_scope: dict[str, dict[str, list[str]]] | None = None,
    ) -> SearchIndex:
        """Index documents; `out_of_scope` (default: the bundled list) is a decoy to lose to."""
        if out_of_scope is None:
            out_of_scope = load_out_of_scope()
        docs: list[SearchDocument] = list(documents)
        slugs = [slug for slug, _ in docs]
        if out_of_scope:
            decoy = {
                lang: [("keyword", k) for k in group.get("keywords", [])]
                + [("phrasing", p) for p in group.get("phrasings", [])]
                for lang, group in out_of_scope.items()
            }
            docs.append((OUT_OF_SCOPE, decoy))
        # Each posting is packed into one 64-bit number (feature | topic | count) in a flat
        # buffer, then sorted in place: ten thousand topics make tens of millions of postings,
        # and no copy of them is ever made. Per topic, the entries' feature sets are counted
        # by numpy, not feature by feature in Python.
        if len(docs) > MAX_DOCUMENTS:
            raise ValueError(f"at most {MAX_DOCUMENTS} topics can be indexed")
        packed = array("Q")
        lang_words: dict[str, set[str]] = {lang: set() for lang in LANGUAGES}
        for owner, (_, by_lang) in enumerate(docs):
            entry_ids: list[set[int]] = []
            entry_units: list[int] = []
            for lang, entries in by_lang.items():
                seen = lang_words.setdefault(lang, set())
                for kind, text in entries:
                    word_list = words(clean(text))
                    seen.update(word_list)
                    entry_ids.append(set(_bigrams(word_list)).union(*map(_word_ids, word_list)))
                    entry_units.append(WEIGHT_UNITS[kind])
            sizes = np.fromiter(map(len, entry_ids), dtype=np.int64, count=len(entry_ids))
            flat = np.fromiter(
                chain.from_iterable(entry_ids), dtype=np.uint64, count=int(sizes.sum())
            )
            found, inverse = np.unique(flat >> np.uint64(32), return_inverse=True)
            units = np.bincount(inverse, weights=np.repeat(entry_units, sizes))
            key = (
                (found << np.uint64(32))
                | np.uint64(owner << COUNT_BITS)
                | np.minimum(units, COUNT_MASK).astype(np.uint64)
            )
            packed.frombytes(key.tobytes())
        lang_vocab = {
            lang: {key for word in found_words for key in _word_keys(word)}
            for lang, found_words in lang_words.items()
        }
        postings = np.frombuffer(packed, dtype=np.uint64) if len(packed) else np.zeros(0, np.uint64)
        postings.sort()
        # Unpack through 32-bit views of the packed numbers, so no 64-bit temporary the size of
        # all postings is ever made.
        halves = postings.view(np.uint32)
        low, high = (halves[0::2], halves[1::2]) if LITTLE_ENDIAN else (halves[1::2], halves[0::2])
        features = np.ascontiguousarray(high)
        weight = SATURATED[np.bitwise_and(low, COUNT_MASK)]  # BM25's saturated tf
        topics = np.right_shift(low, COUNT_BITS).view(np.int32)
        del halves, low, high, postings, packed
        first = np.flatnonzero(np.concatenate(([True], features[1:] != features[:-1])))
        first = first[: len(features)]  # an empty index has no first row
        start = np.append(first, len(features))
        unique = features[first]
        del features
        n = max(len(docs), 1)
        per_feature = np.diff(start)
        idf = np.log1p((n - per_feature + 0.5) / (per_feature + 0.5)).astype(np.float32)
        vocabulary: dict[str, list[str]] = defaultdict(list)
        for key_ in sorted(set().union(*lang_vocab.values())):
            if len(key_) >= 4 and not key_.isdigit():
                vocabulary[key_[0]].append(key_)
        return cls(
            slugs,
            len(docs),
            unique,
            start.astype(np.int64),
            topics,
            weight,
            idf,
            dict(vocabulary),
            lang_vocab,
            version,
        )

    # ------------------------------------------------------------------ storage

    @property
    def documents(self) -> int:
        return self._documents

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        """The numeric parts, for `knowledge.search.cache`."""
        return {
            "features": self._features,
            "start": self._start,
            "topics": self._topics,
            "weight": self._weight,
            "idf": self._idf,
        }

    def vocabulary(self) -> dict[str, list[str]]:
        return self._vocabulary

    def language_words(self) -> dict[str, set[str]]:
        return self._lang_vocab

    # ------------------------------------------------------------------ lookup

    def _row(self, feature: int) -> int | None:
        """The postings row of a feature (its id's high 32 bits are its key in the index; two
        rare features may share one, which a million features make unlikely and harmless)."""
        key = feature >> 32
        at = int(np.searchsorted(self._features, np.uint32(key)))
        if at < len(self._features) and int(self._features[at]) == key:
            return at
        return None

    def _fuzzy(self, key: str) -> dict[int, float]:
        """Features of known words spelled like `key` (a typo or an unusual transliteration)."""
        if len(key) < 4 or key.isdigit():
            return {}
        found: dict[int, float] = {}
        cutoff = 80.0 if len(key) < 9 else 78.0
        for cand, sim, _ in process.extract(
            key, self._vocabulary.get(key[0], ()), scorer=fuzz.ratio, score_cutoff=cutoff, limit=3
        ):
            weight = FUZZY_WEIGHT * sim / 100
            for feat, w in ((_hash("w:" + cand), 1.0), (_hash("s:" + stem(cand)), STEM_WEIGHT)):
                found[feat] = max(found.get(feat, 0.0), w * weight)
        return found

    def _query_features(self, word: str) -> dict[int, float]:
        """Postings rows of a question word's features, with their weights."""
        rows: dict[int, float] = {}
        known_word = False
        for feat, weight, whole in _word_features(word):
            row = self._row(feat)
            if row is not None:
                rows[row] = max(rows.get(row, 0.0), weight)
                known_word = known_word or whole
        if not known_word:
            for feat, weight in self._fuzzy(skeleton(word)).items():
                row = self._row(feat)
                if row is not None and weight > rows.get(row, 0.0):
                    rows[row] = weight
        return rows

    def _add(self, scores: npt.NDArray[np.float32], fid: int, gain: float) -> None:
        span = slice(self._start[fid], self._start[fid + 1])
        scores[self._topics[span]] += gain * self._weight[span]  # a topic occurs once per span

    def search(self, text: str, lang: str | None = None, *, limit: int = 4) -> SearchResult:
        """Rank topics for a question; `lang` only decides the reported language."""
        word_list = list(dict.fromkeys(words(clean(text))))[:MAX_QUERY_WORDS]
        language = lang if lang in LANGUAGES else self.detect_language(text)
        if not word_list or not self.slugs:
            return SearchResult(None, 0.0, (), language, False)
        n = len(self.slugs)
        scores = np.zeros(self._documents, dtype=np.float32)
        best = np.zeros(self._documents, dtype=np.float32)
        mass = 0.0
        for word in word_list:
            feats = self._query_features(word)
            if not feats:
                mass += self._unknown_idf * _unknown_discount(word)
                continue
            mass += max(w * float(self._idf[f]) for f, w in feats.items())
            best.fill(0.0)
            for fid, weight in feats.items():
                span = slice(self._start[fid], self._start[fid + 1])
                cols = self._topics[span]
                # A topic occurs once per feature's span: plain fancy indexing is exact (and
                # much faster than ufunc.at).
                best[cols] = np.maximum(best[cols], weight * self._idf[fid] * self._weight[span])
            scores += best
        for feat in _bigrams(word_list):
            bigram = self._row(feat)
            if bigram is not None:
                self._add(scores, bigram, BIGRAM_WEIGHT * float(self._idf[bigram]))
        decoy = float(scores[n]) if self._documents > n else 0.0
        scores = scores[:n]
        if mass <= 0 or not scores.any():
            return SearchResult(None, 0.0, (), language, False)
        top = min(limit, n)
        candidates = np.argpartition(-scores, top - 1)[:top] if n > top else np.arange(n)
        ranked = sorted(
            ((int(i), float(scores[i])) for i in candidates), key=lambda x: (-x[1], x[0])
        )
        ranked = [(i, s) for i, s in ranked if s > 0]
        hits = tuple(Hit(self.slugs[i], round(min(s / mass, 1.0), 4)) for i, s in ranked)
        best_hit = hits[0]
        confidence = best_hit.score
        bar = ACCEPT * min(1.0, (LONG_QUESTION / len(word_list)) ** 0.7)
        alternatives = tuple(h.slug for h in hits[1:4])
        if confidence < bar or ranked[0][1] < DECOY_MARGIN * decoy:
            return SearchResult(None, round(confidence, 4), alternatives[:3], language, False, hits)
        runner_up = hits[1].score if len(hits) > 1 else 0.0
        sure = (
            confidence >= min(SURE, 1.5 * bar)
            and best_hit.score - runner_up >= 0.1 * best_hit.score
        )
        return SearchResult(best_hit.slug, round(confidence, 4), alternatives, language, sure, hits)

    # ------------------------------------------------------------------ language

    def _votes(self, word_list: list[str]) -> dict[str, float]:
        """How many of the words each language's part of the knowledge base uses."""
        votes = dict.fromkeys(LANGUAGES, 0.0)
        for word in word_list:
            key = skeleton(word)
            owners = [lang for lang in LANGUAGES if key in self._lang_vocab.get(lang, ())]
            for lang in owners:
                votes[lang] += 1 / len(owners)
        return votes

    def detect_language(self, text: str) -> str | None:
        """Best guess at the language of `text` among the six, or None for no letters at all.

        Letters only one alphabet has decide first (ў is Belarusian, ї Ukrainian, ы Russian or
        Belarusian, ą Polish); then the knowledge base's own vocabulary votes, which recognises
        Ukrainian or Russian typed in Latin letters; lingua settles what is left.
        """
        word_list = words(clean(text))
        if not word_list:
            return None
        scripts = [script(w) for w in word_list]
        if scripts.count("arab") * 2 >= len(scripts):
            return "ar"
        letters = set("".join(word_list))
        votes = self._votes(word_list)
        if scripts.count("cyrl") * 2 >= len(scripts):
            by_letters = _cyrillic_by_letters(letters)
            if by_letters:
                return by_letters
            ranked = sorted(("uk", "ru", "be"), key=votes.__getitem__, reverse=True)
            if votes[ranked[0]] - votes[ranked[1]] >= 1.5:
                return ranked[0]
            return lingua_best(text, CYRILLIC) or "uk"
        slavic = max(("uk", "ru", "be"), key=votes.__getitem__)
        if votes[slavic] > max(votes["en"], votes["pl"]) and votes[slavic] >= 1:
            return slavic
        # A Polish word or two ("Wrocław", "zerówka") inside an English question is common:
        # Polish letters count for Polish, but do not decide alone.
        polish_words = sum(1 for w in word_list if set(w) & _POLISH_ONLY)
        polish = votes["pl"] + (1.5 if polish_words * 3 >= len(word_list) else 0.5 * polish_words)
        if abs(votes["en"] - polish) >= 1.5:
            return "en" if votes["en"] > polish else "pl"
        return lingua_best(text, LATIN) or "en"


_POLISH_ONLY = frozenset("ąćęłńóśźż")


def _cyrillic_by_letters(letters: set[str]) -> str | None:
    if "ў" in letters:
        return "be"
    ukrainian = bool(letters & set("їєґ"))
    russian = bool(letters & set("ыэъё"))
    has_i = "і" in letters
    if ukrainian and not russian:
        return "uk"
    if russian and has_i:
        return "be"
    if russian:
        return "ru"
    if has_i and "и" in letters:
        return "uk"
    return None


def load_out_of_scope(path: Path = OUT_OF_SCOPE_FILE) -> dict[str, dict[str, list[str]]]:
    """Typical questions Witaj does not answer, per language (empty when the file is absent)."""
    if not path.exists():
        return {}
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}  # noqa: S506
    return {
        lang: {key: [str(x) for x in group.get(key, [])] for key in ("phrasings", "keywords")}
        for lang, group in data.items()
        if isinstance(group, dict)
    }


def _unknown_discount(word: str) -> float:
    """Unknown short words and numbers say little about what a question is about."""
    if word.isdigit() or len(word) <= 2:
        return 0.2
    return 0.6 if len(word) <= 3 else 1.0
