"""Which of the six languages a message is in, when the user has not said — or that it is in
none of them.

lingua (restricted to the six languages) is good with Cyrillic and with real Polish or English;
Ukrainian or Russian typed in Latin letters fools it into "Polish", so for Latin text the
vocabulary of the knowledge base votes first (see `SearchIndex.detect_language`).

A question in a language Witaj does not speak (Spanish, Turkish, Georgian, Hindi, Uzbek…) is
told apart by its letters where they are not those of the six languages (`foreign_letters`), and
in Latin letters, only when many of its words are unknown to the knowledge base, by lingua among
common Latin-script languages (`latin_foreign`; see `SearchIndex.is_foreign`). Slavic languages
are left out of that list on purpose: Ukrainian or Russian typed in Latin letters looks like
Slovak or Croatian to lingua.
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


_CODES = {code: language for language, code in _LINGUA.items()}


@cache
def _detector(codes: tuple[str, ...]) -> LanguageDetector:
    """A detector for just the candidates the script leaves: fewer models, faster answers.

    Low-accuracy mode loads only the trigram models: measured on 934 labelled messages it
    names the language of 97.6% (high accuracy: 97.9%) in about 16 MB instead of 200.
    """
    return (
        LanguageDetectorBuilder.from_languages(*(_CODES[c] for c in codes))
        .with_low_accuracy_mode()
        .with_preloaded_language_models()
        .build()
    )


OTHER = "other"
"""The language of a question written in none of the six languages."""

CYRILLIC: tuple[str, ...] = ("uk", "ru", "be")
LATIN: tuple[str, ...] = ("en", "pl")


def warm_up() -> None:
    """Load the detectors' models now (a few hundredths of a second), not on a first message."""
    for among in (CYRILLIC, LATIN):
        _detector(among)


def lingua_best(text: str, among: tuple[str, ...]) -> str | None:
    """The most likely of `among` according to lingua, or None when it cannot tell."""
    language = _detector(among).detect_language_of(text)
    return _LINGUA[language] if language is not None else None


def lingua_scores(text: str) -> dict[str, float]:
    """Confidence per language code (summing to 1), empty when lingua cannot tell."""
    return {
        _LINGUA[c.language]: c.value
        for c in _detector(tuple(_CODES)).compute_language_confidence_values(text)
        if c.value > 0
    }


_FOREIGN_LATIN = (
    Language.SPANISH,
    Language.PORTUGUESE,
    Language.TURKISH,
    Language.AZERBAIJANI,
    Language.GERMAN,
    Language.FRENCH,
    Language.ITALIAN,
    Language.ROMANIAN,
    Language.DUTCH,
    Language.VIETNAMESE,
    Language.INDONESIAN,
    Language.TAGALOG,
    Language.ALBANIAN,
    Language.HUNGARIAN,
    Language.LITHUANIAN,
    Language.SWAHILI,
)
"""Latin-script languages of people who may write to Witaj: what matters is only whether a text
is English or Polish. Uzbek, which lingua lacks, reads as Azerbaijani, Turkish or, now and then,
not quite surely Polish (see OURS_FOR_SURE)."""
FOREIGN_CONFIDENCE = 0.6
"""Foreign when the languages other than English and Polish have this much confidence…"""
OURS_FOR_SURE = 0.95
"""…or, for words that look foreign already, unless English and Polish have this much (lingua
takes Uzbek, which it does not know, for Polish at about 0.9)."""


@cache
def _foreign_detector() -> LanguageDetector:
    """Built on the first question that needs it (a foreign one), not at start-up."""
    return (
        LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.POLISH, *_FOREIGN_LATIN)
        .with_low_accuracy_mode()
        .build()
    )


def latin_foreign(text: str, *, unsure: bool = False) -> bool:
    """Whether lingua is fairly sure a Latin-script text is neither English nor Polish (the
    other languages' confidences summed: Spanish and Portuguese split a short text); with
    `unsure` (the text looks foreign already), unless lingua is sure it is one of the two."""
    values = _foreign_detector().compute_language_confidence_values(text)
    ours = sum(v.value for v in values if v.language in (Language.ENGLISH, Language.POLISH))
    if unsure:
        return ours < OURS_FOR_SURE
    return bool(values) and 1.0 - ours >= FOREIGN_CONFIDENCE


_FOREIGN_CYRILLIC = frozenset("әғқңөұүһҳҷӣӯђјљњћџѓќѕ")
"""Kazakh, Kyrgyz, Tajik, Uzbek, Serbian, Macedonian, Mongolian letters (ў is Belarusian)."""
_FOREIGN_ARABIC = frozenset("پچژگکیٹڈڑںےھ")
"""Persian, Urdu and Pashto letters."""


def foreign_letters(scripts: list[str], letters: set[str]) -> bool:
    """Whether the letters alone show a language other than the six: a script none of them
    uses (Georgian, Devanagari, Armenian, Chinese…) in most words, or Cyrillic or Arabic
    letters that only other languages have."""
    if scripts.count("other") * 2 >= len(scripts):
        return True
    if scripts.count("cyrl") * 2 >= len(scripts) and letters & _FOREIGN_CYRILLIC:
        return True
    return scripts.count("arab") * 2 >= len(scripts) and len(letters & _FOREIGN_ARABIC) >= 2
