"""The six languages Witaj speaks: their order, the order to fall back in, their direction.

The one definition every part reads — the bot's cards, the workspace, announcements, schools —
so a missing translation falls back the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, TypeVar

LANGUAGES: Final[tuple[str, ...]] = ("en", "pl", "uk", "ru", "be", "ar")
SOURCE_LANGUAGE: Final = "pl"
"""Polish is what offices speak: translations are made from it, and it is the bilingual fallback."""

RTL_LANGUAGES: Final[frozenset[str]] = frozenset({"ar"})

NATIVE_NAMES: Final[dict[str, str]] = {
    "en": "English",
    "pl": "Polski",
    "uk": "Українська",
    "ru": "Русский",
    "be": "Беларуская",
    "ar": "العربية",
}
"""Autonyms: each language is offered under its own name, whatever the interface language."""

T = TypeVar("T")


def fallback_order(lang: str) -> tuple[str, ...]:
    """Where to look when a text is missing in `lang`: then English (the most widely read
    second language among newcomers), then Polish (the source), then whatever exists."""
    return tuple(dict.fromkeys((lang, "en", SOURCE_LANGUAGE, *LANGUAGES)))


def pick(texts: Mapping[str, T], lang: str) -> tuple[str, T] | None:
    """The text in `lang` or its first fallback, with the language it is in."""
    for candidate in fallback_order(lang):
        if candidate in texts:
            return candidate, texts[candidate]
    return None


def direction(lang: str) -> Literal["rtl", "ltr"]:
    return "rtl" if lang in RTL_LANGUAGES else "ltr"


def from_telegram(language_code: str | None) -> str | None:
    """Map Telegram's IETF tag (e.g. "uk", "pt-br", "be-BY") to one of ours, if any."""
    if not language_code:
        return None
    base = language_code.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None
