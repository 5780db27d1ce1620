"""UI translations: gettext catalogs under `locales/`, dates and numbers through Babel.

Catalogs are read from the `.po` files at start (compiled in memory), so a fresh clone needs no
separate compile step and a catalog can never be out of date with its source. An image built
for production compiles them (`pybabel compile`); a `.mo` at least as new as its `.po` is then
read as it is.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import locales
from knowledge.languages import LANGUAGES, RTL_LANGUAGES

LOCALES_DIR = Path(locales.__file__).resolve().parent
DOMAIN = "messages"
WORKSPACE_DOMAIN = "workspace"
WORKSPACE_LANGUAGES = ("en", "pl", "uk")
"""The practitioners' workspace has its own, smaller catalog (`workspace.po`)."""
RLM = "\u200f"


def load_catalog(
    lang: str, locales_dir: Path = LOCALES_DIR, domain: str = DOMAIN
) -> gettext.GNUTranslations:
    path = locales_dir / lang / "LC_MESSAGES" / f"{domain}.po"
    compiled = path.with_suffix(".mo")
    if compiled.exists() and compiled.stat().st_mtime >= path.stat().st_mtime:
        with compiled.open("rb") as mo:
            return gettext.GNUTranslations(mo)
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang, domain=domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass(frozen=True)
class Translator:
    """Everything language-dependent that a handler needs, for one language."""

    lang: str
    catalog: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self._direction(self.catalog.gettext(message))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._direction(self.catalog.ngettext(singular, plural, n))

    def _direction(self, text: str) -> str:
        """Right-to-left text starts with an RLM: an Arabic sentence that opens with a Latin
        word ("Witaj!", "PESEL") would otherwise be laid out left-to-right by Telegram."""
        return RLM + text if self.rtl else text

    def date(self, value: date | datetime) -> str:
        return format_date(value, format="long", locale=Locale.parse(self.lang))

    def language_name(self, code: str) -> str:
        """A language's name in this language (Babel's CLDR data: "ukraiński", "Ukrainian")."""
        name: str = Locale.parse(self.lang).languages.get(code, code)
        return name

    @property
    def rtl(self) -> bool:
        return self.lang in RTL_LANGUAGES


class I18n:
    """A domain's catalogs, loaded once at start-up and handed to handlers by a middleware."""

    def __init__(
        self,
        locales_dir: Path = LOCALES_DIR,
        default: str = "en",
        *,
        domain: str = DOMAIN,
        languages: tuple[str, ...] = LANGUAGES,
    ) -> None:
        self.default = default if default in languages else "en"
        self.languages = languages
        self._translators: dict[str, Translator] = {}
        for lang in languages:
            catalog: gettext.NullTranslations
            if lang == "en":
                catalog = gettext.NullTranslations()
            else:
                catalog = load_catalog(lang, locales_dir, domain)
            self._translators[lang] = Translator(lang, catalog)

    def get(self, lang: str | None) -> Translator:
        return self._translators.get(lang or self.default, self._translators[self.default])


def workspace_i18n(default: str) -> I18n:
    """The practitioners' catalogue (also used for their Telegram reminders)."""
    return I18n(default=default, domain=WORKSPACE_DOMAIN, languages=WORKSPACE_LANGUAGES)


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a string for extraction where it is translated later (at render time)."""
    return message
