"""The six languages Witaj speaks, in the order they are shown and stored."""

from __future__ import annotations

from typing import Final

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


def from_telegram(language_code: str | None) -> str | None:
    """Map Telegram's IETF tag (e.g. "uk", "pt-br", "be-BY") to one of ours, if any."""
    if not language_code:
        return None
    base = language_code.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None
