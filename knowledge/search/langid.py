"""Which of the six languages a message is in, when the user has not said.

lingua (restricted to the six languages) is good with Cyrillic and with real Polish or English;
Ukrainian or Russian typed in Latin letters fools it into "Polish", so for Latin text the
vocabulary of the knowledge base votes first (see `SearchIndex.detect_language`).
"""

from __future__ import annotations

from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

_LINGUA = {
    Language.ENGLISH: "en",
    Language.POLISH: "pl",
    Language.UKRAINIAN: "uk",
    Language.RUSSIAN: "ru",
    Language.BELARUSIAN: "be",
    Language.ARABIC: "ar",
}


@cache
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*_LINGUA).build()


def lingua_scores(text: str) -> dict[str, float]:
    """Confidence per language code (summing to 1), empty when lingua cannot tell."""
    return {
        _LINGUA[c.language]: c.value
        for c in _detector().compute_language_confidence_values(text)
        if c.value > 0
    }
