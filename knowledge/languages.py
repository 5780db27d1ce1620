"""The six languages Witaj speaks, in the order they are shown and stored."""

from __future__ import annotations

from typing import Final

LANGUAGES: Final[tuple[str, ...]] = ("en", "pl", "uk", "ru", "be", "ar")
SOURCE_LANGUAGE: Final = "pl"
"""Polish is what offices speak: translations are made from it, and it is the bilingual fallback."""

RTL_LANGUAGES: Final[frozenset[str]] = frozenset({"ar"})
