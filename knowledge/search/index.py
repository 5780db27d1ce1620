"""The in-memory search index: weighted word features per topic, scored like BM25.

Each topic is one bag of features drawn from its titles, phrasings and keywords in all six
languages, so a question in any language (or a mix) can reach it. A word yields several
features — its spelling skeleton, its dictionary forms and a crude stem — and counts once, with
its best-matching feature. Words the index has never seen are matched to close spellings with
rapidfuzz. The result abstains when the question's informative words are mostly not about the
best topic: an "I don't know" is better than a confident wrong answer.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from rapidfuzz import fuzz, process

from knowledge.content import TopicDoc
from knowledge.languages import LANGUAGES
from knowledge.search.langid import lingua_scores
from knowledge.search.morphology import lemmas
from knowledge.search.normalize import clean, script, skeleton, stem, words

K1 = 1.2
"""BM25 term-frequency saturation."""
ENTRY_WEIGHT = {"title": 2.0, "keyword": 1.5, "phrasing": 1.0}
STEM_WEIGHT = 0.8
BIGRAM_WEIGHT = 0.5
FUZZY_WEIGHT = 0.85
MAX_QUERY_WORDS = 80

ACCEPT = 0.40
"""Minimum confidence to answer at all."""
SURE = 0.55
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


Features = dict[str, float]


def _word_features(word: str) -> Features:
    """Features of one cleaned word with their weights (best weight per feature)."""
    key = skeleton(word)
    feats: Features = {"w:" + key: 1.0}
    stem_key = "s:" + stem(key)
    feats[stem_key] = STEM_WEIGHT
    for lemma in lemmas(word):
        lemma_key = skeleton(lemma)
        feats["w:" + lemma_key] = 1.0
        feats.setdefault("s:" + stem(lemma_key), STEM_WEIGHT)
    return feats


def _bigrams(word_list: Sequence[str]) -> list[str]:
    stems = [stem(skeleton(w)) for w in word_list]
    return [f"b:{a}|{b}" for a, b in pairwise(stems) if a != b]


def _entry_features(text: str) -> set[str]:
    word_list = words(clean(text))
    feats: set[str] = set()
    for word in word_list:
        feats.update(_word_features(word))
    feats.update(_bigrams(word_list))
    return feats


class SearchIndex:
    """Built once from the knowledge base; lookups are pure and never touch the database."""

    def __init__(
        self,
        slugs: list[str],
        postings: dict[str, dict[int, float]],
        idf: dict[str, float],
        vocabulary: dict[str, list[str]],
        lang_vocab: dict[str, set[str]],
        version: int,
    ) -> None:
        self.slugs = slugs
        self._postings = postings
        self._idf = idf
        self._vocabulary = vocabulary
        self._lang_vocab = lang_vocab
        self.version = version
        self._unknown_idf = math.log(1 + (len(slugs) + 0.5) / 0.5)

    # ------------------------------------------------------------------ building

    @classmethod
    def build(cls, topics: Iterable[TopicDoc], version: int = 0) -> SearchIndex:
        slugs: list[str] = []
        tf: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        lang_vocab: dict[str, set[str]] = {lang: set() for lang in LANGUAGES}
        skeletons: set[str] = set()
        for topic in topics:
            idx = len(slugs)
            slugs.append(topic.slug)
            for lang, tr in topic.translations.items():
                entries = [("title", tr.title)]
                entries += [("keyword", k) for k in tr.keywords]
                entries += [("phrasing", p) for p in tr.phrasings]
                for kind, text in entries:
                    for feat in _entry_features(text):
                        tf[feat][idx] += ENTRY_WEIGHT[kind]
                        if feat.startswith("w:"):
                            skeletons.add(feat[2:])
                            lang_vocab[lang].add(feat[2:])
        n = max(len(slugs), 1)
        postings: dict[str, dict[int, float]] = {}
        idf: dict[str, float] = {}
        for feat, per_topic in tf.items():
            idf[feat] = math.log(1 + (n - len(per_topic) + 0.5) / (len(per_topic) + 0.5))
            postings[feat] = {i: t * (K1 + 1) / (t + K1) for i, t in per_topic.items()}
        vocabulary: dict[str, list[str]] = defaultdict(list)
        for key in sorted(skeletons):
            if len(key) >= 4 and not key.isdigit():
                vocabulary[key[0]].append(key)
        return cls(slugs, postings, idf, dict(vocabulary), lang_vocab, version)

    # ------------------------------------------------------------------ lookup

    def _fuzzy(self, key: str) -> Features:
        """Features of known words spelled like `key` (a typo or an unusual transliteration)."""
        if len(key) < 4 or key.isdigit():
            return {}
        found: Features = {}
        cutoff = 80.0 if len(key) < 9 else 78.0
        for cand, sim, _ in process.extract(
            key, self._vocabulary.get(key[0], ()), scorer=fuzz.ratio, score_cutoff=cutoff, limit=3
        ):
            weight = FUZZY_WEIGHT * sim / 100
            for feat, w in (("w:" + cand, 1.0), ("s:" + stem(cand), STEM_WEIGHT)):
                found[feat] = max(found.get(feat, 0.0), w * weight)
        return found

    def _query_features(self, word: str) -> Features:
        feats = {f: w for f, w in _word_features(word).items() if f in self._postings}
        if not any(f.startswith("w:") for f in feats):
            for feat, weight in self._fuzzy(skeleton(word)).items():
                if weight > feats.get(feat, 0.0):
                    feats[feat] = weight
        return feats

    def search(self, text: str, lang: str | None = None, *, limit: int = 4) -> SearchResult:
        """Rank topics for a question; `lang` only decides the reported language."""
        word_list = list(dict.fromkeys(words(clean(text))))[:MAX_QUERY_WORDS]
        language = lang if lang in LANGUAGES else self.detect_language(text)
        if not word_list or not self.slugs:
            return SearchResult(None, 0.0, (), language, False)
        scores: dict[int, float] = defaultdict(float)
        mass = 0.0
        for word in word_list:
            feats = self._query_features(word)
            if not feats:
                mass += self._unknown_idf * _unknown_discount(word)
                continue
            mass += max(w * self._idf[f] for f, w in feats.items())
            best: dict[int, float] = {}
            for feat, weight in feats.items():
                gain = weight * self._idf[feat]
                for idx, sat in self._postings[feat].items():
                    value = gain * sat / (K1 + 1)
                    if value > best.get(idx, 0.0):
                        best[idx] = value
            for idx, value in best.items():
                scores[idx] += value
        for feat in _bigrams(word_list):
            if feat in self._postings:
                gain = BIGRAM_WEIGHT * self._idf[feat]
                for idx, sat in self._postings[feat].items():
                    scores[idx] += gain * sat / (K1 + 1)
        if not scores or mass <= 0:
            return SearchResult(None, 0.0, (), language, False)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
        hits = tuple(Hit(self.slugs[i], round(s / mass, 4)) for i, s in ranked)
        best_hit = hits[0]
        confidence = _confidence(best_hit.score, ranked[0][1])
        alternatives = tuple(h.slug for h in hits[1:4])
        if confidence < ACCEPT:
            return SearchResult(None, round(confidence, 4), alternatives[:3], language, False, hits)
        runner_up = hits[1].score if len(hits) > 1 else 0.0
        sure = confidence >= SURE and best_hit.score - runner_up >= 0.1 * best_hit.score
        return SearchResult(best_hit.slug, round(confidence, 4), alternatives, language, sure, hits)

    # ------------------------------------------------------------------ language

    def detect_language(self, text: str) -> str | None:
        """Best guess at the language of `text` among the six, or None for no letters at all."""
        word_list = words(clean(text))
        if not word_list:
            return None
        scripts = [script(w) for w in word_list]
        if scripts.count("arab") * 2 >= len(scripts):
            return "ar"
        lingua = lingua_scores(text)
        if scripts.count("cyrl") * 2 >= len(scripts):
            cyr = {k: v for k, v in lingua.items() if k in ("uk", "ru", "be")}
            return max(cyr, key=cyr.__getitem__) if cyr else "uk"
        votes = dict.fromkeys(LANGUAGES, 0.0)
        for word in word_list:
            key = skeleton(word)
            owners = [lang for lang in LANGUAGES if key in self._lang_vocab.get(lang, ())]
            for lang in owners:
                votes[lang] += 1 / len(owners)
        slavic = max(("uk", "ru", "be"), key=votes.__getitem__)
        latin = {k: v for k, v in lingua.items() if k in ("en", "pl")}
        lingua_best = max(latin, key=latin.__getitem__) if latin else "en"
        if votes[slavic] > max(votes["en"], votes["pl"]) and votes[slavic] >= 1:
            return slavic
        return lingua_best


def _unknown_discount(word: str) -> float:
    """Unknown short words and numbers say little about what a question is about."""
    if word.isdigit() or len(word) <= 2:
        return 0.2
    return 0.6 if len(word) <= 3 else 1.0


def _confidence(coverage: float, raw: float) -> float:
    """Blend the share of the question explained with the absolute evidence (saturating)."""
    return coverage * (1 - math.exp(-raw / 3.0))
