"""Ready messages for parents: every template in every language, dates as each language writes
them, and bad values named."""

from __future__ import annotations

import re

import pytest

from knowledge.languages import LANGUAGES
from knowledge.message_templates import FieldError, MessageTemplate, load, render

VALUES = {
    "date": "2026-12-01",
    "time": "17:30",
    "room": "12",
    "place": "Dworzec Główny",
    "documents": "paszport\n- świadectwo\n\n",
}
DECEMBER = {
    "en": "December 1, 2026",
    "pl": "1 grudnia 2026",
    "uk": "1 грудня 2026",
    "ru": "1 декабря 2026",
    "be": "1 снежня 2026",
    "ar": "ديسمبر",
}
TUESDAY = {"en": "Tuesday", "pl": "wtorek", "uk": "вівторок", "ru": "вторник", "be": "аўторак",
           "ar": "الثلاثاء"}  # fmt: skip


@pytest.mark.parametrize("template_id", sorted(load()))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_template_renders_in_every_language(template_id: str, lang: str) -> None:
    template = load()[template_id]
    text = render(template, lang, VALUES)
    assert not re.search(r"[{}]", text), text  # no placeholder left
    kinds = {f.kind for f in template.fields}
    if "date" in kinds:
        assert DECEMBER[lang] in text and TUESDAY[lang] in text
    if "time" in kinds:
        assert ("5:30" if lang in ("en", "ar") else "17:30") in text
    if "list" in kinds:
        assert "• paszport\n• świadectwo" in text
    assert text.startswith("\u200f") == (lang == "ar")


@pytest.mark.parametrize(
    ("field", "value"),
    [("date", "1.12.2026"), ("date", ""), ("time", "25:00"), ("room", ""), ("room", "x" * 201),
     ("documents", " \n - \n")],
)  # fmt: skip
def test_bad_values_name_their_field(field: str, value: str) -> None:
    template = next(t for t in load().values() if field in {f.name for f in t.fields})
    with pytest.raises(FieldError) as refused:
        render(template, "pl", {**VALUES, field: value})
    assert refused.value.field == field


def test_a_template_missing_a_language_or_a_field_is_refused() -> None:
    good = load()["school-closed"].model_dump()
    without_arabic = {lang: text for lang, text in good["text"].items() if lang != "ar"}
    with pytest.raises(ValueError, match="lacks ar"):
        MessageTemplate.model_validate({**good, "text": without_arabic})
    with pytest.raises(ValueError, match="placeholders"):
        MessageTemplate.model_validate({**good, "text": {**good["text"], "uk": "{day} закрито"}})
