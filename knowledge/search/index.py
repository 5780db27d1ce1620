"""The in-memory search index: weighted word features per topic, scored like BM25.

Each topic is one bag of features drawn from its titles, phrasings and keywords in all six
languages, so a question in any language (or a mix) can reach it. A word yields several
features — its spelling skeleton, its dictionary forms and a crude stem — and counts once, with
its best-matching feature. Words the index has never seen are matched to close spellings with
rapidfuzz. The result abstains when the question's informative words are mostly not about the
best topic: an "I don't know" is better than a confident wrong answer. So:

- office words (`generic.yaml`: urząd, wniosek, zaświadczenie, karta, office, certificate…)
  count for little, in the evidence and in the question, so they cannot carry an answer;
- the answer must be named by one of its key terms (a word, or a pair of neighbours, that the
  topic uses often and no topic much more): "jak zdobyć pesel" answers pesel, not the topic
  where "zdobyć" happens to be rare;
- the bar a topic must clear is calibrated per language (`calibration.yaml`, written by
  bench/calibrate.py), and an out-of-scope decoy (`out_of_scope*.yaml`: chat, shopping, and
  administrative matters no topic covers) must be beaten;
- a question in none of the six languages is matched on the words the knowledge base knows
  (PESEL, karta pobytu, NFZ…), its own words neither helping nor counting against it.
"""

from __future__ import annotations

import hashlib
import math
import sys
from array import array
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import yaml
from rapidfuzz import fuzz, process

from knowledge.fastyaml import FAST_LOADER
from knowledge.languages import LANGUAGES
from knowledge.recent import Recent, digest
from knowledge.search.dialects import is_filler
from knowledge.search.dialects import warm_up as warm_up_dialects
from knowledge.search.langid import (
    CYRILLIC,
    LATIN,
    OTHER,
    foreign_letters,
    latin_foreign,
    lingua_best,
)
from knowledge.search.langid import warm_up as warm_up_langid
from knowledge.search.morphology import lemmas
from knowledge.search.normalize import (
    clean,
    greeting_alone,
    script,
    skeleton,
    stem,
    without_greeting,
    without_markup,
    words,
)
from knowledge.search.postings import PAIR_MULTIPLIER, PAIR_OFFSET, Counter

K1 = 1.2
"""BM25 term-frequency saturation."""
ENTRY_WEIGHT = {"title": 2.0, "keyword": 1.5, "phrasing": 1.0}
STEM_WEIGHT = 0.8
BIGRAM_WEIGHT = 0.5
FUZZY_WEIGHT = 0.85
MAX_QUERY_WORDS = 80
DENSE_UP_TO = 512
PART_CACHE = 20_000
PART_BUDGET = 1_000_000
"""Words and pairs of words whose part in a search is remembered (the most recently used; about
600 bytes each, 12 MB when full, measured), and the topic scores they may hold in all at ten
thousand topics (12 bytes each)."""

ACCEPT = 0.34
"""Minimum share of a short question's information the best topic must explain, for a
language `calibration.yaml` has no bar for."""
CALIBRATION_FILE = Path(__file__).with_name("calibration.yaml")
LONG_QUESTION = 8
"""Past this many words the bar falls (as (LONG_QUESTION / words) ** 0.7): a story around a
question brings words no topic explains, so a long question needs enough evidence, not a share."""
SURE = 0.5
"""Below this (and above the bar) the answer comes with "did you mean" alternatives."""
DECOY_MARGIN = 1.0
"""Abstain unless the best topic outscores the out-of-scope decoy by this factor."""
OUT_OF_SCOPE = "~out-of-scope"
OUT_OF_SCOPE_FILE = Path(__file__).with_name("out_of_scope.yaml")
OUT_OF_SCOPE_ADMIN_FILE = Path(__file__).with_name("out_of_scope.admin.yaml")
OUT_OF_SCOPE_FILES = (OUT_OF_SCOPE_FILE, OUT_OF_SCOPE_ADMIN_FILE)
"""The decoy: everyday chat, shopping, travel…, and administrative matters no topic covers."""
GENERIC_FILE = Path(__file__).with_name("generic.yaml")
GENERIC_WEIGHT = 0.5
"""An office word (`generic.yaml`) counts this much, in the evidence and in the question."""
FUNCTION_WORD = 0.3
"""A word worth less than this (in nearly every topic: "how", "jak", "в") is a function word."""
KEY_USES = 3.0
"""A key term of a topic is used in its texts at least this often (a title counts 2, a keyword
1.5, a phrasing 1; counted as OTHER_LANGUAGES says)…"""
KEY_SHARE = 0.3
"""…and by no topic much more often (at least KEY_SHARE of the most frequent use)."""
KEY_INFORMATION = 0.9
"""A key term says something: it is not in most topics (a word in twenty of the forty, such as
"про" or "for", says little)."""
KEY_RIVAL = 0.5
"""A topic named by a key term is ranked first when it has this share of the best score."""
KEY_CANDIDATES = 6
"""How many of the best-scored topics are looked at for a key term."""
CLOSE_SPELLING = 85
"""A word this similar (rapidfuzz ratio) to a known word is a typo of it, not a foreign word."""
FOREIGN_SHORT = 2
"""In a foreign question, words this short are that language's own ("el", "em", "é")…"""
NEUTRAL_LANGUAGES = 3
"""…and only words the knowledge base uses in at least this many languages count."""
ARABIC_UNKNOWN = 0.5
"""How much of an unknown word's information an unknown Arabic word counts (see
`_unknown_discount`)."""
FOREIGN_FALLBACK = "en"
"""What `detect_language` says of a text in none of the six languages."""


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
    foreign: bool = False
    """The question is in none of the six languages (Spanish, Turkish, Georgian…): it was
    matched on the terms the knowledge base uses across languages (PESEL, karta pobytu, NFZ…),
    and `language` is the hint given, else None (answer in the user's language or English)."""
    greeting: bool = False
    """Nothing but a greeting ("Привіт!"): no question, and `language` is the greeting's."""

    @property
    def abstained(self) -> bool:
        return self.slug is None


@dataclass(frozen=True, slots=True)
class Scored:
    """What `SearchIndex.score` found (what `search` decides from; for calibration)."""

    scores: npt.NDArray[np.float32]
    """Per topic, in `slugs` order."""
    mass: float
    """The question's information: what a topic explaining all of it would score."""
    decoy: float
    keyed: Mapping[int, float]
    """Topics (positions in `slugs`) the question names by a key term, with what those terms
    add to their score."""
    language: str | None
    foreign: bool
    words: int
    greeting: bool = False


class _Part(NamedTuple):
    """What one word, or a pair of neighbouring words, adds to a question's search
    (`SearchIndex._remember`)."""

    kind: int
    """0 a function word, 1 an office word, 2 any other (unknown ones too)."""
    mass: float = 0.0
    topics: npt.NDArray[np.integer[Any]] | None = None
    """Where `gains` go; None: `gains` has every topic's."""
    gains: npt.NDArray[np.floating[Any]] | None = None
    keyed: tuple[tuple[int, float], ...] = ()
    """Topics the word names as a key term, with what it adds to their score."""


NOTHING = _Part(0)


def _add(scores: npt.NDArray[np.float32], keyed: dict[int, float], part: _Part) -> None:
    """A part's gains into the topics' scores, and what it adds to the topics it names."""
    if part.gains is not None:
        if part.topics is None:
            scores += part.gains
        else:
            scores[part.topics] += part.gains  # a topic occurs once: exact
    for topic, gain in part.keyed:
        keyed[topic] = keyed.get(topic, 0.0) + gain


def _held(part: _Part) -> int:
    """The topic scores a remembered part holds."""
    return 0 if part.gains is None else len(part.gains)


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
OTHER_LANGUAGES = 0.3
"""How much a topic's use of a word counts outside the language that uses it most (a word the
six translations share, such as PESEL or ZUS, is not six times as much the topic's word)."""
LANGUAGE_BITS = 4
"""While a topic is counted, a feature's key carries the language (up to 16) it was used in."""
LITTLE_ENDIAN = sys.byteorder == "little"
_TF = np.arange(COUNT_MASK + 1, dtype=np.float32) / COUNT_SCALE
SATURATED = (_TF * (K1 + 1) / (_TF + K1) / (K1 + 1)).astype(np.float16)
WEIGHT_UNITS = {kind: round(weight * COUNT_SCALE) for kind, weight in ENTRY_WEIGHT.items()}
with np.errstate(divide="ignore", invalid="ignore"):
    _SAT = np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float64)
    _RAW_TF = np.nan_to_num(
        np.clip(K1 * _SAT / (1 - _SAT), 0, COUNT_MASK / COUNT_SCALE), nan=0.0
    ).astype(np.float32)
"""A saturated weight's term frequency, by the weight's 16 bits (the postings keep only the
saturated weight, tf / (tf + K1); key terms compare how often topics use a word)."""
del _SAT


_PAIR_MULTIPLIER, _PAIR_OFFSET = int(PAIR_MULTIPLIER), int(PAIR_OFFSET)


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
def word_ids(word: str) -> tuple[int, ...]:
    return tuple(feat for feat, _, _ in _word_features(word))


@lru_cache(maxsize=500_000)
def _word_keys(word: str) -> tuple[str, ...]:
    """The spelling keys a word is known by: its own and its dictionary forms'."""
    return tuple(dict.fromkeys((skeleton(word), *(skeleton(lemma) for lemma in lemmas(word)))))


@lru_cache(maxsize=500_000)
def stem_id(word: str) -> int:
    return _hash("b:" + stem(skeleton(word)))


def pairs(word_list: Sequence[str]) -> list[int]:
    """Ids of neighbouring stems (a pair's id mixes its two stems' ids: no string is built);
    a pair of one stem twice gets id 0, which is never found."""
    stems = list(map(stem_id, word_list))
    return [
        ((a * _PAIR_MULTIPLIER) ^ (b + _PAIR_OFFSET)) & MASK64 if a != b else 0
        for a, b in pairwise(stems)
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
        start: npt.NDArray[np.integer[Any]],
        topics: npt.NDArray[np.integer[Any]],
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
        self._recent: Recent[SearchResult] = Recent()
        self._parts: OrderedDict[tuple[Any, ...], _Part] = OrderedDict()
        self._parts_held = 0

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
        # and no copy of them is ever made. They are counted a block of topics at a time
        # (`postings.Counter`).
        if len(docs) > MAX_DOCUMENTS:
            raise ValueError(f"at most {MAX_DOCUMENTS} topics can be indexed")
        counter = Counter(WEIGHT_UNITS, OTHER_LANGUAGES, LANGUAGE_BITS, COUNT_BITS)
        packed = array("Q")
        for block in counter.count(docs):
            packed.frombytes(block.tobytes())
        lang_vocab = {
            lang: {key for word in found_words for key in _word_keys(word)}
            for lang, found_words in counter.seen().items()
        }
        postings = np.frombuffer(packed, dtype=np.uint64) if len(packed) else np.zeros(0, np.uint64)
        postings.sort()
        # Unpack through 32-bit views of the packed numbers, so no 64-bit temporary the size of
        # all postings is ever made.
        halves = postings.view(np.uint32)
        low, high = (halves[0::2], halves[1::2]) if LITTLE_ENDIAN else (halves[1::2], halves[0::2])
        features = np.ascontiguousarray(high)
        weight = SATURATED[np.bitwise_and(low, COUNT_MASK)]  # BM25's saturated tf
        # The narrowest integers that hold them: at 10,000 topics the postings' topic ids are
        # half the index, and 16 bits (up to 65,536 documents) halve that.
        topics: npt.NDArray[np.integer[Any]]
        topics = np.empty(len(low), np.uint16 if len(docs) <= 1 << 16 else np.int32)
        np.right_shift(low, COUNT_BITS, out=topics, casting="unsafe")
        del halves, low, high, postings, packed
        first = np.flatnonzero(np.concatenate(([True], features[1:] != features[:-1])))
        first = first[: len(features)]  # an empty index has no first row
        start: npt.NDArray[np.integer[Any]]
        start = np.append(first, len(features)).astype(
            np.int32 if len(features) < 1 << 31 else np.int64
        )
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
            start,
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

    def _query_features(self, word: str, *, exact: bool = False) -> dict[int, float]:
        """Postings rows of a question word's features, with their weights (`exact`: only the
        word's own spelling and dictionary forms, no stem and no close spelling)."""
        return self._match(word, exact=exact)[0]

    def _match(self, word: str, *, exact: bool = False) -> tuple[dict[int, float], bool]:
        """The word's features (see `_query_features`) and whether the knowledge base knows
        the word itself or a dictionary form of it (not only its stem or a close spelling)."""
        rows: dict[int, float] = {}
        known_word = False
        features = [f for f in _word_features(word) if f[2] or not exact]
        keys = np.fromiter((feat >> 32 for feat, _, _ in features), np.uint32, len(features))
        at = np.searchsorted(self._features, keys)
        found = at < len(self._features)
        found[found] = self._features[at[found]] == keys[found]
        for (_, weight, whole), row, hit in zip(features, at.tolist(), found.tolist(), strict=True):
            if hit:
                rows[row] = max(rows.get(row, 0.0), weight)
                known_word = known_word or whole
        if not known_word and not exact:
            for feat, weight in self._fuzzy(skeleton(word)).items():
                row = self._row(feat)
                if row is not None and weight > rows.get(row, 0.0):
                    rows[row] = weight
        return rows, known_word

    def _key_topics(self, feats: Iterable[int], n: int, *, sole: bool = False) -> set[int]:
        """Topics for which a question word is a key term: the topics that use it most (at
        least KEY_SHARE as often as the one using it most), and often (KEY_USES); with `sole`
        (a pair of neighbouring words that both say something), also the one topic using it
        at all: a phrasing just learnt from the inbox names its topic."""
        found: set[int] = set()
        for fid in feats:
            lo, hi = int(self._start[fid]), int(self._start[fid + 1])
            if self._topics[hi - 1] >= n:  # the decoy: last, as a span is sorted by topic
                hi -= 1
            if hi <= lo:
                continue
            uses = _RAW_TF[self._weight[lo:hi].view(np.uint16)]
            top = float(uses.max())
            if top >= KEY_USES:
                wanted = uses >= max(KEY_USES, KEY_SHARE * top)
                found.update(self._topics[lo:hi][wanted].tolist())
            elif hi - lo == 1 and sole:
                found.add(int(self._topics[lo]))
        return found

    def _remember(self, make: Callable[[Any, Any], _Part], *key: Any) -> _Part:
        """What one question word or pair of words adds to a search, remembered: questions
        are new, but their words are the same few thousand, and scoring the words was most of
        a search's time."""
        parts = self._parts
        part = parts.get(key)  # (a word, foreign?) or (a pair's id, naming)
        if part is not None:
            parts.move_to_end(key)
            return part
        part = parts[key] = make(*key)
        self._parts_held += _held(part)
        while len(parts) > PART_CACHE or self._parts_held > PART_BUDGET:
            self._parts_held -= _held(parts.popitem(last=False)[1])
        return part

    def _score_pair(self, feat: int, naming: int) -> _Part:
        """A pair of neighbouring words (`naming`: 1 when one of them says something, 2 when
        both do)."""
        row = self._row(feat)
        if row is None:
            return NOTHING
        gain = BIGRAM_WEIGHT * float(self._idf[row])
        span = slice(self._start[row], self._start[row + 1])
        keyed: tuple[tuple[int, float], ...] = ()
        if naming:
            topics = self._key_topics((row,), len(self.slugs), sole=naming == 2)
            keyed = tuple((t, gain) for t in sorted(topics))
        return self._part(0, 0.0, self._topics[span], gain * self._weight[span], keyed)

    def _part(
        self,
        kind: int,
        mass: float,
        topics: npt.NDArray[np.integer[Any]],
        gains: npt.NDArray[np.floating[Any]],
        keyed: tuple[tuple[int, float], ...] = (),
    ) -> _Part:
        """A part whose gains, with few topics in all, are kept for every topic: adding a
        short dense row is a third of the time of adding at chosen places."""
        if self._documents > DENSE_UP_TO:
            return _Part(kind, mass, topics, gains, keyed)
        dense = np.zeros(self._documents, dtype=np.float32)
        dense[topics] = gains  # exact: float16 gains are float32 numbers too
        return _Part(kind, mass, None, dense, keyed)

    def _score_word(self, word: str, foreign: bool) -> _Part:
        if (foreign and not self._neutral(word)) or is_filler(word):
            return NOTHING
        feats, known = self._match(word, exact=foreign)
        if not feats:
            # In a language Witaj does not speak, an unknown word is that language's own
            # word, not something the knowledge base fails to explain.
            return _Part(2, 0.0 if foreign else self._unknown_idf * _unknown_discount(word))
        generic = is_generic(word)
        factor = GENERIC_WEIGHT if generic else 1.0
        information = max(w * float(self._idf[f]) for f, w in feats.items())
        if information < FUNCTION_WORD:
            # A function word ("how", "jak", "в") is in nearly every topic: its postings
            # are the longest to read (at 10,000 topics, a fifth of a query's time), and
            # it would raise every topic's score alike. It says nothing, so it neither
            # scores nor counts as information an answer must explain.
            return NOTHING
        best = np.zeros(self._documents, dtype=np.float32)
        # The feature used by most topics first: written straight into the zeroed `best`
        # (gains are never negative), which spares the largest read of the word's spans.
        start = self._start
        order = sorted(feats, key=lambda f: int(start[f]) - int(start[f + 1]))
        for at, fid in enumerate(order):
            span = slice(start[fid], start[fid + 1])
            cols = self._topics[span]
            gain = feats[fid] * self._idf[fid] * self._weight[span]
            # A topic occurs once per feature's span: plain fancy indexing is exact (and
            # much faster than ufunc.at).
            best[cols] = gain if at == 0 else np.maximum(best[cols], gain)
        topics = np.flatnonzero(best)
        gains = factor * best[topics]
        if generic:
            return self._part(1, factor * information, topics, gains)
        # Only a word the knowledge base knows (itself or a dictionary form) is a key term,
        # not one that only shares a stem with a known word or looks like one.
        keyed: tuple[tuple[int, float], ...] = ()
        if information >= KEY_INFORMATION and known:
            n = len(self.slugs)
            keyed = tuple((t, float(best[t])) for t in sorted(self._key_topics(feats, n)))
        return self._part(2, information, topics, gains, keyed)

    def score(self, text: str, lang: str | None = None) -> Scored:
        """The evidence behind a search: every topic's score, the question's information, which
        topics it names by a key term, the decoy's score and the question's language."""
        text = without_markup(text)
        greeted = greeting_alone(text)
        text = without_greeting(text)
        word_list = list(dict.fromkeys(words(clean(text))))[:MAX_QUERY_WORDS]
        foreign = self.is_foreign(text, word_list)
        if lang in LANGUAGES:
            language: str | None = lang
        elif greeted is not None:
            language = greeted or None
        elif foreign:
            language = None  # the caller's to choose: the user's language, or English
        elif word_list:
            language = self._detect(text, words(clean(text)))
        else:
            language = None
        n = len(self.slugs)
        scores = np.zeros(self._documents, dtype=np.float32)
        keyed: dict[int, float] = {}
        mass = 0.0
        if not word_list or not n:
            greeting = greeted is not None
            return Scored(scores[:n], 0.0, 0.0, {}, language, foreign, len(word_list), greeting)
        kinds: list[int] = []
        """Per word: 0 a function word, 1 an office word, 2 any other (unknown ones too)."""
        for word in word_list:
            part = self._remember(self._score_word, word, foreign)
            kinds.append(part.kind)
            mass += part.mass
            _add(scores, keyed, part)
        for feat, (a, b) in zip(pairs(word_list), pairwise(kinds), strict=True):
            if not feat:
                continue
            # "karta pobytu" names a topic, "wniosek o" does not
            naming = 2 if a == b == 2 else int(a == 2 or b == 2)
            _add(scores, keyed, self._remember(self._score_pair, feat, naming))
        decoy = float(scores[n]) if self._documents > n else 0.0
        return Scored(
            scores[:n], mass, decoy, keyed, language, foreign, len(word_list), greeted is not None
        )

    def search(self, text: str, lang: str | None = None, *, limit: int = 4) -> SearchResult:
        """Rank topics for a question; `lang` only decides the reported language (and which
        language's abstention bar applies)."""
        return self._recent.get(
            digest(text, lang, limit), lambda: self.decide(self.score(text, lang), limit=limit)
        )

    def decide(
        self, found: Scored, *, limit: int = 4, bars: Mapping[str, float] | None = None
    ) -> SearchResult:
        """The answer to a scored question (`bars`: abstention bars per language, instead of
        `calibration.yaml`'s, for calibrating them).

        The best topic is answered when it explains enough of the question (its language's
        bar), beats the out-of-scope decoy, and the question names it by one of its key
        terms. A topic the question names by a key term goes before better-scored ones it
        does not name, if it has KEY_RIVAL of their score: "jak zdobyć pesel" is about PESEL,
        not about "getting" a Polish certificate."""
        language, foreign = found.language, found.foreign
        scores, mass = found.scores, found.mass
        n = len(scores)
        if mass <= 0 or not n or not scores.any():
            return SearchResult(
                None, 0.0, (), language, False, foreign=foreign, greeting=found.greeting
            )
        top = min(max(limit, KEY_CANDIDATES), n)
        candidates = np.argpartition(-scores, top - 1)[:top] if n > top else np.arange(n)
        ranked = sorted(
            ((int(i), float(scores[i])) for i in candidates), key=lambda x: (-x[1], x[0])
        )
        ranked = [(i, s) for i, s in ranked if s > 0]
        if ranked[0][0] not in found.keyed:
            for at, (i, s) in enumerate(ranked):
                if i in found.keyed and s >= KEY_RIVAL * ranked[0][1]:
                    ranked.insert(0, ranked.pop(at))
                    break
        ranked = ranked[:limit]
        hits = tuple(Hit(self.slugs[i], round(min(s / mass, 1.0), 4)) for i, s in ranked)
        best_hit = hits[0]
        confidence = best_hit.score
        bar_language = OTHER if foreign else language
        base = accept_bar(bar_language) if bars is None else bars.get(bar_language or "", ACCEPT)
        bar = base * min(1.0, (LONG_QUESTION / found.words) ** 0.7)
        alternatives = tuple(h.slug for h in hits[1:4])
        if (
            confidence < bar
            or ranked[0][1] < DECOY_MARGIN * found.decoy
            or ranked[0][0] not in found.keyed
        ):
            return SearchResult(
                None, round(confidence, 4), alternatives[:3], language, False, hits, foreign
            )
        runner_up = hits[1].score if len(hits) > 1 else 0.0
        sure = (
            confidence >= min(SURE, 1.5 * bar)
            and best_hit.score - runner_up >= 0.1 * best_hit.score
        )
        return SearchResult(
            best_hit.slug, round(confidence, 4), alternatives, language, sure, hits, foreign
        )

    def is_foreign(self, text: str, word_list: Sequence[str] | None = None) -> bool:
        """Whether `text` is in a language other than the six (Spanish, Turkish, Georgian…).

        Letters decide first (`langid.foreign_letters`). In Latin letters, lingua is asked only
        when a third of the longer words are unknown to the knowledge base in all of its
        languages: the text is foreign when lingua says it is neither English nor Polish, or,
        when half the words are strange too (not a close spelling of a known word, no Polish
        letter), unless lingua is sure those words are English or Polish — Uzbek, which
        lingua does not know, is caught so. Polish without diacritics, Ukrainian typed in
        Latin letters and English with typos have few unknown words."""
        if word_list is None:
            word_list = words(clean(text))
        letters_only = [w for w in word_list if not w.isdigit()]
        if not letters_only:
            return False
        scripts = [script(w) for w in letters_only]
        if foreign_letters(scripts, set("".join(letters_only))):
            return True
        if scripts.count("latn") * 2 < len(scripts):
            return False
        long_words = [w for w in letters_only if len(w) >= 3 and script(w) == "latn"]
        unknown = [w for w in long_words if not self._known(w)]
        if len(unknown) < 2 or len(unknown) * 3 < len(long_words):
            return False
        strange = sum(1 for w in unknown if not (set(w) & _POLISH_ONLY or self._close(w)))
        if strange >= 2 and strange * 2 >= len(long_words):
            return latin_foreign(" ".join(unknown), unsure=True)
        return latin_foreign(text)

    def _known(self, word: str) -> bool:
        return any(key in vocab for key in _word_keys(word) for vocab in self._lang_vocab.values())

    def _neutral(self, word: str) -> bool:
        """Whether a word of a foreign question is one the knowledge base uses across
        languages (PESEL, karta pobytu, NFZ, 800…), not the foreign language's own word that
        happens to be spelled like one of one language ("fare", "il")."""
        if len(word) <= FOREIGN_SHORT and not word.isdigit():
            return False
        keys = _word_keys(word)
        known_in = sum(1 for vocab in self._lang_vocab.values() if any(k in vocab for k in keys))
        return known_in >= NEUTRAL_LANGUAGES

    def _close(self, word: str) -> bool:
        """Whether a word is spelled like a known one (a typo, not another language's word)."""
        found = self._fuzzy(skeleton(word))
        return bool(found) and max(found.values()) >= FUZZY_WEIGHT * CLOSE_SPELLING / 100

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

    def question_language(self, text: str) -> str | None:
        """The language `text` is written in: one of the six, "other" (`langid.OTHER`) for any
        other language, or None for no letters at all."""
        word_list = words(clean(text))
        if not word_list:
            return None
        if self.is_foreign(text, word_list):
            return OTHER
        return self._detect(text, word_list)

    def detect_language(self, text: str) -> str | None:
        """Best guess at the language of `text` among the six, or None for no letters at all.

        A text in none of them gets English, the language Witaj answers it in (to tell such a
        text apart, see `question_language` or `SearchResult.foreign`). Letters only one
        alphabet has decide first (ў is Belarusian, ї Ukrainian, ы Russian or Belarusian, ą
        Polish); then the knowledge base's own vocabulary votes, which recognises Ukrainian or
        Russian typed in Latin letters; lingua settles what is left.
        """
        word_list = words(clean(text))
        if not word_list:
            return None
        if self.is_foreign(text, word_list):
            return FOREIGN_FALLBACK
        return self._detect(text, word_list)

    def _detect(self, text: str, word_list: list[str]) -> str:
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


def load_out_of_scope(
    paths: Path | Sequence[Path] = OUT_OF_SCOPE_FILES,
) -> dict[str, dict[str, list[str]]]:
    """Typical questions Witaj does not answer, per language, from every file given (a file
    that is absent adds nothing)."""
    merged: dict[str, dict[str, list[str]]] = {}
    for path in [paths] if isinstance(paths, Path) else paths:
        if not path.exists():
            continue
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=FAST_LOADER) or {}  # noqa: S506
        for lang, group in data.items():
            if not isinstance(group, dict):
                continue
            into = merged.setdefault(lang, {"phrasings": [], "keywords": []})
            for key in ("phrasings", "keywords"):
                into[key] += [str(x) for x in group.get(key) or []]
    return merged


def warm_up() -> None:
    """What the first question would otherwise load while its sender waits: the language
    models, the Arabic dialect lexicon, the office words and the calibrated bars."""
    warm_up_langid()
    warm_up_dialects()
    _generic_keys()
    _calibration()


@cache
def _calibration() -> dict[str, float]:
    if not CALIBRATION_FILE.exists():
        return {}
    data = yaml.load(CALIBRATION_FILE.read_text(encoding="utf-8"), Loader=FAST_LOADER) or {}  # noqa: S506
    return {str(k): float(v) for k, v in (data.get("accept") or {}).items()}


def accept_bar(language: str | None) -> float:
    """The share of a short question's information the best topic must explain, per language
    (calibrated by bench/calibrate.py); "other" is for questions in none of the six."""
    return _calibration().get(language or "", ACCEPT)


@cache
def _generic_keys() -> tuple[frozenset[str], frozenset[str]]:
    """Spelling keys of the office words, and light stems of the Arabic ones."""
    if not GENERIC_FILE.exists():
        return frozenset(), frozenset()
    data = yaml.load(GENERIC_FILE.read_text(encoding="utf-8"), Loader=FAST_LOADER) or {}  # noqa: S506
    keys: set[str] = set()
    stems: set[str] = set()
    for listed in data.values():
        for text in listed or ():
            for word in words(clean(str(text))):
                keys.add(skeleton(word))
                if script(word) == "arab":
                    stems.add(stem(skeleton(word)))
    return frozenset(keys), frozenset(stems)


@lru_cache(maxsize=200_000)
def is_generic(word: str) -> bool:
    """Whether a cleaned word is an office word (`generic.yaml`), in any of its forms."""
    keys, arabic = _generic_keys()
    if any(key in keys for key in _word_keys(word)):
        return True
    return script(word) == "arab" and stem(skeleton(word)) in arabic


def _unknown_discount(word: str) -> float:
    """Unknown short words and numbers say little about what a question is about; nor does an
    unknown Arabic word as much as another: with no word-form table for Arabic, it is as often
    a dialect's form of a known word (بكملوها, "they finish it") as a word no answer uses."""
    if word.isdigit() or len(word) <= 2:
        return 0.2
    if script(word) == "arab":
        return ARABIC_UNKNOWN
    return 0.6 if len(word) <= 3 else 1.0
