"""The safety check: a message about suicide, violence or danger gets 112 and a helpline at once.

It runs before the search on every free-text message, in two tiers. The rules come first and
are data, not code: `content/safety/crisis.yaml` holds, per language, trigger phrases made of
word stems (`zabi* się`: the words in any order, close together, `*` ending a stem), concept
rules (a close person + hitting, in whatever wording), phrases that cancel a trigger they
overlap (`zabić nudę`), and the calm reply with its helplines. Words are compared on the
search's spelling skeletons, so Cyrillic and its Latin transliteration, Polish with or without
diacritics, and one-letter typos all meet.

When no rule fires, a small statistical model (`knowledge.safety_model`: hashed character
n-grams of the same skeletons, a logistic regression trained on the labelled sets and on
everyday migrant text) scores the message; at or above its cross-validated threshold it raises
an alarm of the kind(s) it finds likeliest. Such an alarm is not `strong`, like a concept
rule's: when the search is sure of an ordinary answer, that answer follows the safety reply.
Nothing of the message is logged or kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from knowledge import safety_model
from knowledge.enums import Status
from knowledge.fastyaml import FAST_LOADER
from knowledge.languages import LANGUAGES
from knowledge.recent import Recent, digest
from knowledge.search.normalize import clean, script, skeleton, without_clitics, words

SAFETY_FILE = Path(__file__).resolve().parent / "content" / "safety" / "crisis.yaml"
WINDOW_SLACK = 3
"""A trigger's words must fall within its length plus this many words of each other."""
MATCH_CACHE = 100_000
"""How many distinct words' matches are remembered (then the memory starts afresh)."""
RULE_WINDOW = 12
"""A rule's concepts must all occur within this many words."""
FUZZY_FROM = 5
"""Stems at least this long also match with one typo (not in Arabic script, where one letter
tells "wait" انتظر from "suicide" انتحر)."""
_AR_PREFIXES = ("وال", "فال", "بال", "لل", "ال", "و", "ف", "ب", "ل", "س")


class Kind(StrEnum):
    """What the message is about, in the order the reply names the helplines."""

    DANGER = "danger"
    """Immediate danger right now: an attacker, a weapon, a fire, being locked in."""
    THREAT = "threat"
    VIOLENCE = "violence"
    CHILD = "child"
    SUICIDE = "suicide"


class SafetyTexts(BaseModel):
    """One language: what the bot says and what it listens for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Status = Status.DRAFT
    reviewed_at: datetime | None = None
    reviewer: str | None = None
    opening: str = Field(min_length=1)
    """First, calm, with 112."""
    lines: dict[Kind, str]
    """The helpline that fits each kind."""
    closing: str = Field(min_length=1)
    after_hours: str = Field(min_length=1)
    """Outside working hours: the helplines answer now, practitioners later."""
    triggers: dict[Kind, tuple[str, ...]]
    """Phrases that alone say what is happening ("zabi* się")."""
    concepts: dict[str, tuple[str, ...]] = {}
    """Word families ("a close person", "hitting", "a child"), combined by the `rules`: a
    message fires when a rule's concepts all occur close together, in whatever wording."""
    unless: tuple[str, ...] = ()
    """Everyday look-alikes ("kill time"): a trigger inside one of these does not count."""

    @field_validator("lines", "triggers")
    @classmethod
    def _every_kind(cls, value: dict[Kind, object]) -> dict[Kind, object]:
        missing = [kind.value for kind in Kind if not value.get(kind)]
        if missing:
            raise ValueError(f"missing for {', '.join(missing)}")
        return value


class SafetyDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    helplines: dict[Kind, tuple[str, ...]]
    """The numbers each kind's line must show, the same in every language."""
    topics: dict[Kind, str]
    """The answer card each kind's button opens."""
    rules: dict[Kind, tuple[tuple[str, ...], ...]] = {}
    """Per kind, combinations of concepts that together mean it ("close-person" + "hitting")."""
    translations: dict[str, SafetyTexts]

    @model_validator(mode="after")
    def _complete(self) -> SafetyDoc:
        missing = [lang for lang in LANGUAGES if lang not in self.translations]
        if missing:
            raise ValueError(f"translations missing: {', '.join(missing)}")
        for lang, texts in self.translations.items():
            if "112" not in texts.opening:
                raise ValueError(f"{lang}: the opening must give 112 first")
            for kind, numbers in self.helplines.items():
                absent = [n for n in numbers if n not in texts.lines[kind]]
                if absent:
                    raise ValueError(f"{lang}/{kind}: the line must show {', '.join(absent)}")
            named = {name for combos in self.rules.values() for combo in combos for name in combo}
            if undefined := sorted(named - set(texts.concepts)):
                raise ValueError(f"{lang}: rules use undefined concepts {', '.join(undefined)}")
        return self


def file_in(content_dir: Path) -> Path:
    """The safety file beside a content folder's topics, else the packaged one."""
    found = content_dir / "safety" / SAFETY_FILE.name
    return found if found.exists() else SAFETY_FILE


def load(path: Path = SAFETY_FILE) -> SafetyDoc:
    with path.open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=FAST_LOADER)  # noqa: S506
    return SafetyDoc.model_validate(data)


# --------------------------------------------------------------------------- matching


class _Stem(NamedTuple):
    """A trigger word as written in the file (a tuple: hashed and compared in C, some hundred
    thousand times a second)."""

    key: str
    prefix: bool
    suffix: bool = False
    exact: bool = False
    """Written with a final "!": no typo is forgiven (a word one letter from a common one)."""

    def matches(self, token: str) -> bool:
        key = self.key
        if self.suffix:
            return len(token) > len(key) and token.endswith(key)
        if token == key or (self.prefix and token.startswith(key)):
            return True
        if self.exact or len(key) < FUZZY_FROM:
            return False
        if abs(len(token) - len(key)) > (99 if self.prefix else 1):
            return False
        if not key.isascii():
            return False
        candidate = token[: len(key) + 1] if self.prefix else token
        if self.prefix and len(candidate) > len(key):
            # "suicde" against the stem "suicid*": compare with and without one more letter.
            return (
                min(
                    Levenshtein.distance(key, candidate[: len(key)], score_cutoff=1),
                    Levenshtein.distance(key, candidate, score_cutoff=1),
                )
                <= 1
            )
        return Levenshtein.distance(key, candidate, score_cutoff=1) <= 1


class _Bucket:
    """The stems that begin with the same two letters, looked up by what can match a word:
    its own spelling, its beginnings, and — for one typo — stems of about its length, compared
    in rapidfuzz's C loop. (Each new word was compared with every stem of its bucket in Python:
    a few hundred calls, most of a first message's safety check.)"""

    __slots__ = ("_fuzzy", "_fuzzy_prefixes", "_prefixes", "_spelled")

    def __init__(self, stems: Iterable[_Stem]) -> None:
        self._spelled: dict[str, list[_Stem]] = {}
        self._prefixes: dict[str, list[_Stem]] = {}
        fuzzy: dict[int, list[_Stem]] = {}
        fuzzy_prefixes: dict[int, list[_Stem]] = {}
        for stem in sorted(stems):
            self._spelled.setdefault(stem.key, []).append(stem)
            if stem.prefix:
                self._prefixes.setdefault(stem.key, []).append(stem)
            if not (stem.exact or len(stem.key) < FUZZY_FROM or not stem.key.isascii()):
                by_size = fuzzy_prefixes if stem.prefix else fuzzy
                by_size.setdefault(len(stem.key), []).append(stem)
        self._fuzzy, self._fuzzy_prefixes = _with_keys(fuzzy), _with_keys(fuzzy_prefixes)

    def matching(self, token: str) -> list[_Stem]:
        """The stems `_Stem.matches` says match `token`, in order."""
        found = set(self._spelled.get(token, ()))
        for n in range(1, len(token)):
            found.update(self._prefixes.get(token[:n], ()))
        size = len(token)
        near: list[tuple[str, tuple[list[str], list[_Stem]]]] = [
            (token, self._fuzzy[n]) for n in (size - 1, size, size + 1) if n in self._fuzzy
        ]
        for n, group in self._fuzzy_prefixes.items():  # "suicde" for the stem "suicid*"
            if size >= n - 1:
                near += [(head, group) for head in {token[:n], token[: n + 1]}]
        for written, (keys, stems) in near:
            for _, _, at in process.extract(
                written, keys, scorer=Levenshtein.distance, score_cutoff=1, limit=None
            ):
                if stems[at] not in found and stems[at].matches(token):
                    found.add(stems[at])
        return sorted(found)


def _with_keys(groups: dict[int, list[_Stem]]) -> dict[int, tuple[list[str], list[_Stem]]]:
    """Each group's keys beside its stems: what rapidfuzz compares, and what they stand for."""
    return {n: ([stem.key for stem in group], group) for n, group in groups.items()}


@dataclass(frozen=True, slots=True)
class _Phrase:
    stems: tuple[_Stem, ...]
    text: str
    lang: str
    kind: Kind | None = None
    concept: str | None = None
    """Set for a concept's phrase; neither kind nor concept: an `unless` phrase."""


class _Tried(NamedTuple):
    """A phrase as the check tries it: its place in the trigger file and the words it needs."""

    rank: int
    phrase: _Phrase
    needed: frozenset[_Stem]


def _stems(phrase: str) -> tuple[_Stem, ...]:
    """`word` exact or one typo away; `stem*` any ending; `*ending` (an Arabic object pronoun
    such as *ني "me"); a final `!` forgives no typo."""
    return tuple(stem for raw in phrase.split() for stem in _token_stems(raw))


@lru_cache(maxsize=50_000)
def _token_stems(raw: str) -> tuple[_Stem, ...]:
    """One written token's stems (the same token recurs across thousands of phrases)."""
    exact = raw.endswith("!")
    raw = raw.rstrip("!")
    prefix, suffix = raw.endswith("*"), raw.startswith("*") and len(raw) > 1
    return tuple(
        _Stem(_key(word), prefix and not suffix, suffix, exact)
        for word in words(clean(raw.strip("*")))
    )


def _key(word: str) -> str:
    return skeleton(word)


@lru_cache(maxsize=20_000)
def _token_keys(word: str) -> tuple[str, ...]:
    """A message word's keys: its skeleton; for Latin script also the word without accents
    (the skeleton folds "ts" to "c" for transliterated Cyrillic, which hides "beats" from the
    stem "beat*"); for Arabic also the word without clitic prefixes."""
    key = _key(word)
    if script(word) == "latn":
        plain = "".join(
            ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch)
        )
        return (key,) if plain == key else (key, plain)
    if script(word) != "arab":
        return (key,)
    return without_clitics(key, _AR_PREFIXES, shortest=2)


def _placements(phrase: _Phrase, where_found: dict[_Stem, list[int]]) -> list[tuple[int, ...]]:
    """Every place the phrase's stems occur close together (any order): one per occurrence of
    its first stem."""
    found: list[list[int]] = []
    for stem in phrase.stems:
        where = where_found.get(stem)
        if not where:
            return []
        found.append(where)
    span = len(phrase.stems) + WINDOW_SLACK
    placed = []
    for start in found[0]:
        chosen = [start]
        for where in found[1:]:
            near = [i for i in where if abs(i - start) < span and i not in chosen]
            if not near:
                break
            chosen.append(min(near, key=lambda i: abs(i - start)))
        else:
            if max(chosen) - min(chosen) < span:
                placed.append(tuple(chosen))
    return placed


@dataclass(frozen=True)
class Alarm:
    """What fired: the kinds (in reply order) and the languages whose triggers matched."""

    kinds: tuple[Kind, ...]
    languages: tuple[str, ...]
    phrases: tuple[str, ...]
    strong: bool = True
    """A trigger phrase said it outright; False when only concepts combined into a rule or the
    model alone fired (the bot then also answers the question, in case of a look-alike)."""
    score: float | None = None
    """The model's danger score, when the model and not a rule raised the alarm."""


class SafetyCheck:
    """Every language's triggers at once: a message may be in any language, or several.

    Stems are bucketed by their first two letters, so a message's words are compared only
    with stems that could match them (a typo in the first two letters is not forgiven), and a
    phrase is tried only when its first stem occurred.
    """

    def __init__(self, doc: SafetyDoc, model: safety_model.SafetyModel | None = None) -> None:
        self.doc = doc
        self.model = model
        """The second tier, asked only when no rule fires."""
        self._recent: Recent[Alarm | None] = Recent()
        phrases = [
            _Phrase(_stems(text), text, lang, kind=kind)
            for lang, texts in doc.translations.items()
            for kind, listed in texts.triggers.items()
            for text in listed
        ]
        phrases += [
            _Phrase(_stems(text), text, lang, concept=name)
            for lang, texts in doc.translations.items()
            for name, listed in texts.concepts.items()
            for text in listed
        ]
        phrases += [
            _Phrase(_stems(text), text, lang)
            for lang, texts in doc.translations.items()
            for text in texts.unless
        ]
        self._matches: dict[str, tuple[_Stem, ...]] = {}
        buckets: dict[str, set[_Stem]] = {}
        endings: set[_Stem] = set()
        phrases = [phrase for phrase in phrases if phrase.stems]
        uses = Counter(stem for phrase in phrases for stem in set(phrase.stems))
        self._by_anchor: dict[_Stem, list[_Tried]] = {}
        for rank, phrase in enumerate(phrases):
            for stem in phrase.stems:
                if stem.suffix:
                    endings.add(stem)
                else:
                    buckets.setdefault(stem.key[:2], set()).add(stem)
            # A phrase is tried when its least used word occurs: "не" begins 415 phrases, and
            # a message with it tried them all (most of a new message's rule check).
            anchor = min(phrase.stems, key=uses.__getitem__)
            tried = _Tried(rank, phrase, frozenset(phrase.stems))
            self._by_anchor.setdefault(anchor, []).append(tried)
        # Sorted, so that what a message matches comes in the same order in every process
        # (a set's order follows string hashes, which differ per process): the first language
        # an alarm names is the reply's language when the person's is not among them.
        self._buckets = {two: _Bucket(stems) for two, stems in buckets.items()}
        self._endings: dict[str, list[_Stem]] = {}
        for stem in sorted(endings):
            self._endings.setdefault(stem.key, []).append(stem)
        # Concept rules by their first concept: a message is checked against the few rules
        # whose first concept it mentions, not all three hundred.
        self._rules: dict[str, list[tuple[int, Kind, tuple[str, ...]]]] = {}
        for at, (kind, combo) in enumerate(
            (kind, tuple(combo)) for kind, combos in doc.rules.items() for combo in combos
        ):
            self._rules.setdefault(combo[0], []).append((at, kind, combo))

    def _stems_of(self, key: str) -> tuple[_Stem, ...]:
        """The stems a word's key matches; remembered, since people use the same words."""
        known = self._matches.get(key)
        if known is None:
            bucket = self._buckets.get(key[:2])
            ending = {stem for n in range(1, len(key)) for stem in self._endings.get(key[n:], ())}
            known = (*(bucket.matching(key) if bucket else ()), *sorted(ending))
            if len(self._matches) >= MATCH_CACHE:
                self._matches.clear()
            self._matches[key] = known
        return known

    def _found(self, tokens: Sequence[tuple[str, ...]]) -> dict[_Stem, list[int]]:
        found: dict[_Stem, list[int]] = {}
        for i, keys in enumerate(tokens):
            for key in keys:
                for stem in self._stems_of(key):
                    where = found.setdefault(stem, [])
                    if not where or where[-1] != i:
                        where.append(i)
        return found

    def check(self, text: str) -> Alarm | None:
        return self._recent.get(digest(text), lambda: self._check(text))

    def _check(self, text: str) -> Alarm | None:
        alarm = self.rules(text)
        if alarm is not None or self.model is None:
            return alarm
        verdict = self.model.fires(text)
        if verdict is None:
            return None
        kinds = tuple(kind for kind in Kind if kind.value in verdict.kinds)
        return Alarm(kinds, (), (), strong=False, score=round(verdict.danger, 3))

    def rules(self, text: str) -> Alarm | None:
        """The first tier alone: the trigger file's phrases and concept rules."""
        tokens = [_token_keys(w) for w in words(clean(text))][:200]
        found = self._found(tokens)
        if not found:
            return None
        tried = [
            t
            for stem in found
            for t in self._by_anchor.get(stem, ())
            if found.keys() >= t.needed  # most phrases miss a word: no placements to look for
        ]
        if len(tried) > 1:  # in the order of their first words in the message, then the file's
            first = {stem: at for at, stem in enumerate(found)}
            tried.sort(key=lambda t: (first[t.phrase.stems[0]], t.rank))
        matched = [(t.phrase, where) for t in tried for where in _placements(t.phrase, found)]
        cancelled = {i for phrase, where in matched if phrase.kind is phrase.concept is None
                     for i in where}  # fmt: skip
        live = [(p, w) for p, w in matched if not cancelled.intersection(w)]
        hits: list[tuple[Kind, str, str]] = [
            (p.kind, p.lang, p.text) for p, w in live if p.kind is not None
        ]
        strong = bool(hits)
        concepts: dict[str, list[tuple[tuple[int, ...], str]]] = {}
        for p, w in live:
            if p.concept is not None:
                concepts.setdefault(p.concept, []).append((w, p.lang))
        candidates = sorted(rule for name in concepts for rule in self._rules.get(name, ()))
        for _, kind, combo in candidates:
            if _together(combo, concepts):
                hits += [(kind, lang, "+".join(combo)) for lang in _shared(combo, concepts)]
        if not hits:
            return None
        kinds = tuple(kind for kind in Kind if any(h[0] is kind for h in hits))
        languages = tuple(dict.fromkeys(h[1] for h in hits))
        return Alarm(kinds, languages, tuple(h[2] for h in hits), strong)


def _together(combo: Sequence[str], concepts: dict[str, list[tuple[tuple[int, ...], str]]]) -> bool:
    """One occurrence of every concept, on different words, within `RULE_WINDOW` words."""
    options = [concepts.get(name) for name in combo]
    if not all(options):
        return False

    def search(i: int, used: set[int], low: int, high: int) -> bool:
        if i == len(options):
            return True
        for where, _lang in options[i] or ():
            if used.intersection(where):
                continue
            lo, hi = min(low, *where), max(high, *where)
            if hi - lo < RULE_WINDOW and search(i + 1, used | set(where), lo, hi):
                return True
        return False

    return search(0, set(), 10**9, -1)


def _shared(
    combo: Sequence[str], concepts: dict[str, list[tuple[tuple[int, ...], str]]]
) -> list[str]:
    """The languages in which every concept of the rule matched (the message's language, as
    far as the rule can tell); a mixed message gets all of them."""
    per_concept = [{lang for _, lang in concepts[name]} for name in combo]
    shared = set.intersection(*per_concept)
    return sorted(shared or set.union(*per_concept))


@cache
def default_check() -> SafetyCheck:
    """The packaged triggers and model (the rules alone if the model file is missing)."""
    return SafetyCheck(load(), safety_model.load())


# --------------------------------------------------------------------------- the reply


@dataclass(frozen=True)
class SafetyReply:
    text: str
    """In the content's format (`**bold**`, one paragraph per blank line)."""
    topics: tuple[str, ...]
    """The answer cards to offer as buttons, most fitting first."""
    lang: str


def reply(doc: SafetyDoc, alarm: Alarm, lang: str, *, after_hours: bool = False) -> SafetyReply:
    texts = doc.translations[lang if lang in doc.translations else "en"]
    parts = [texts.opening, *(texts.lines[kind] for kind in alarm.kinds)]
    if after_hours:
        parts.append(texts.after_hours)
    parts.append(texts.closing)
    topics = tuple(dict.fromkeys(doc.topics[kind] for kind in alarm.kinds if kind in doc.topics))
    return SafetyReply("\n\n".join(parts), topics, lang)


_NUMBER = re.compile(r"\+?\d[\d ]{1,14}\d")


def phone_numbers(text: str) -> list[str]:
    """The numbers a reply shows, as they would be dialled ("800 70 2222" -> "800702222")."""
    return [m.group(0).replace(" ", "") for m in _NUMBER.finditer(text)]


def reply_language(alarm: Alarm, user_lang: str | None, detected: str | None) -> str:
    """The language to answer in: the person's own when the message matched phrases of it;
    else the message's language, so a person in crisis who writes Russian gets Russian.
    (Between Belarusian, Russian and Ukrainian a short message's detected language is a guess;
    matching the person's own language's phrases is better evidence.)"""
    if user_lang in alarm.languages:
        return user_lang
    if detected in LANGUAGES:
        return detected
    if user_lang in LANGUAGES:
        return user_lang
    return alarm.languages[0] if alarm.languages else "en"


def lint(doc: SafetyDoc) -> Iterable[str]:
    """Problems a reviewer must fix: triggers that can never match, empty stems."""
    for lang, texts in doc.translations.items():
        for kind, phrases in texts.triggers.items():
            for phrase in phrases:
                if not _stems(phrase):
                    yield f"{lang}/{kind}: trigger {phrase!r} has no words"
                elif all(len(s.key) < 3 and s.prefix for s in _stems(phrase)):
                    yield f"{lang}/{kind}: trigger {phrase!r} is too short to be safe"
