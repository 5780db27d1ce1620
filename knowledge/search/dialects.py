"""Arabic as people type it: dialect words read as the standard words the answers use.

The answers are written in Modern Standard Arabic, but a Syrian mother asks "وين بطلّع", an
Egyptian driver "رخصة السواقة", a Moroccan worker "بغيت نخدم". Arabic has no word-form table
(see `morphology`), so the words the answers never use would count as unexplained information
and push a clear question under the abstention bar. `dialects.yaml` lists, by their spelling
keys (`normalize.skeleton`), the words that never say what a question is about (question
words, "want", "here", greetings… in every dialect) and the dialect words for the standard
ones, which then count as dictionary forms of those (`morphology.lemmas`).
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

import yaml

from knowledge.fastyaml import FAST_LOADER
from knowledge.search.normalize import clean, script, skeleton, without_clitics, words

LEXICON = Path(__file__).with_name("dialects.yaml")


@cache
def _lexicon() -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    if not LEXICON.exists():
        return frozenset(), {}
    data = yaml.load(LEXICON.read_text(encoding="utf-8"), Loader=FAST_LOADER) or {}  # noqa: S506
    function = frozenset(skeleton(w) for text in data.get("function") or () for w in _words(text))
    standard: dict[str, set[str]] = {}
    for headword, variants in (data.get("words") or {}).items():
        head = clean(str(headword))
        for variant in variants or ():
            for word in _words(variant):
                if skeleton(word) != skeleton(head):
                    standard.setdefault(skeleton(word), set()).add(head)
    return function, {key: tuple(sorted(heads)) for key, heads in standard.items()}


def warm_up() -> None:
    """Read the lexicon now (a few hundredths of a second), not on the first Arabic question:
    with the index from its cache, nothing else reads it before that."""
    _lexicon()


def _words(text: object) -> list[str]:
    return words(clean(str(text)))


@lru_cache(maxsize=100_000)
def is_filler(word: str) -> bool:
    """Whether a cleaned Arabic word says nothing about what a question is about: a listed
    one, alone or after "and" (وهل, فشو), or a lone letter (a particle typed apart: "ب
    Wrocław"); never a dialect word for a standard one (ولدي is "my son", not و + لدي)."""
    if script(word) != "arab" or standard_forms(word):
        return False
    function = _lexicon()[0]
    key = skeleton(word)
    return len(key) == 1 or key in function or (key[0] in "وف" and key[1:] in function)


@lru_cache(maxsize=100_000)
def standard_forms(word: str) -> tuple[str, ...]:
    """The standard words a cleaned Arabic dialect word stands for (none for other words)."""
    if script(word) != "arab":
        return ()
    standard = _lexicon()[1]
    for key in without_clitics(skeleton(word)):
        if key in standard:
            return standard[key]
    return ()
