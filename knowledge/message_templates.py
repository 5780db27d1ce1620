"""Ready messages for practitioners to parents, in six languages, with typed fields.

Dates and times are formatted by Babel for the parent's language ("1 grudnia 2026 (wtorek)",
"December 1, 2026 (Tuesday)"; "17:30" or "5:30 PM"), lists as one bullet per line. The
templates are reference text kept in `templates/messages.yaml`, checked at load: every
language present, and each text's placeholders exactly the template's fields.
"""

from __future__ import annotations

import re
import string
from datetime import date, time
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from babel.dates import format_date, format_time
from pydantic import BaseModel, ConfigDict, model_validator

from knowledge.languages import LANGUAGES, RTL_LANGUAGES

SOURCE = Path(__file__).resolve().parent / "templates" / "messages.yaml"
RLM = "\u200f"


class Field(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: Literal["date", "time", "text", "list"]


class MessageTemplate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    fields: tuple[Field, ...]
    title: dict[str, str]
    text: dict[str, str]

    @model_validator(mode="after")
    def _complete(self) -> MessageTemplate:
        names = {f.name for f in self.fields}
        for part in ("title", "text"):
            missing = set(LANGUAGES) - set(getattr(self, part))
            if missing:
                raise ValueError(f"{self.id}: {part} lacks {', '.join(sorted(missing))}")
        for lang, text in self.text.items():
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name}
            if used != names:
                raise ValueError(
                    f"{self.id}/{lang}: placeholders {used} are not the fields {names}"
                )
        return self


class FieldError(ValueError):
    """A value that does not fit its field; `field` and `kind` let the page say so."""

    def __init__(self, field: str, kind: str) -> None:
        super().__init__(f"{field}: not a valid {kind}")
        self.field = field
        self.kind = kind


@cache
def load(path: Path = SOURCE) -> dict[str, MessageTemplate]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    templates = [MessageTemplate.model_validate(item) for item in data]
    return {t.id: t for t in templates}


def _value(field: Field, raw: str, lang: str) -> str:
    raw = raw.strip()
    try:
        if field.kind == "date":
            day = date.fromisoformat(raw)
            weekday = format_date(day, "EEEE", locale=lang)
            return f"{format_date(day, format='long', locale=lang)} ({weekday})"
        if field.kind == "time":
            return format_time(time.fromisoformat(raw), format="short", locale=lang)
    except ValueError:
        raise FieldError(field.name, field.kind) from None
    if field.kind == "list":
        items = [line.strip(" •-\t") for line in raw.splitlines() if line.strip(" •-\t")]
        if not items:
            raise FieldError(field.name, field.kind)
        return "\n".join(f"• {item}" for item in items)
    if not raw or len(raw) > 200:
        raise FieldError(field.name, field.kind)
    return re.sub(r"\s+", " ", raw)


def render(template: MessageTemplate, lang: str, values: dict[str, str]) -> str:
    """The message in `lang` with every field filled; `FieldError` for the first bad value."""
    filled = {f.name: _value(f, values.get(f.name, ""), lang) for f in template.fields}
    text = template.text[lang].format(**filled)
    return RLM + text if lang in RTL_LANGUAGES else text
