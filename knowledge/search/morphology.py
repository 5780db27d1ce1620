"""Dictionary forms of words, so that "карти", "карту" and "карта" count as one word.

simplemma has dictionaries for Polish, English, Ukrainian and Russian; Belarusian and Arabic
rely on the crude stems of `normalize.stem` instead. A word is lemmatised in every language its
script allows, because the hint (the user's chosen language) says little about the words typed.
"""

from __future__ import annotations

from functools import lru_cache

import simplemma

from knowledge.search.normalize import script

_BY_SCRIPT: dict[str, tuple[str, ...]] = {"cyrl": ("uk", "ru"), "latn": ("pl", "en")}


@lru_cache(maxsize=200_000)
def lemmas(word: str) -> tuple[str, ...]:
    """Distinct dictionary forms of a cleaned word other than the word itself."""
    found: list[str] = []
    for lang in _BY_SCRIPT.get(script(word), ()):
        lemma = simplemma.lemmatize(word, lang=lang).casefold()
        if lemma != word and lemma not in found:
            found.append(lemma)
    return tuple(found)
