"""Working hours: a migrant writing at night or on Sunday is told when a person will answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from knowledge.handoff import Desk
from knowledge.hours import Hours
from knowledge.i18n import I18n

SATURDAY_NOON = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)  # 12:00 in Wrocław
TUESDAY_TEN = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def service(hours: str = "mon-fri 08:00-16:00") -> Desk:
    return Desk(True, Hours.parse(hours), I18n())


@pytest.mark.parametrize(
    ("lang", "words"),
    [("pl", ["poniedziałek", "30 listopada", "08:00"]), ("uk", ["понеділок", "30 листопада"]),
     ("en", ["Monday", "November 30", "8:00"]), ("ar", ["الاثنين"])],
)  # fmt: skip
def test_outside_hours_names_the_next_opening_in_the_readers_language(
    lang: str, words: list[str]
) -> None:
    note = service().expect_answer(lang, SATURDAY_NOON)
    assert note is not None
    for word in words:
        assert word in note


def test_inside_hours_there_is_no_note() -> None:
    assert service().expect_answer("uk", TUESDAY_TEN) is None


@pytest.mark.parametrize("text", ["whenever", "mon-fri 16:00-08:00", "xyz 08:00-16:00", ""])
def test_bad_working_hours_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Hours.parse(text)


def test_hours_cross_the_week_end() -> None:
    hours = Hours.parse("fri-mon 10:00-12:00")
    assert hours.days == frozenset({4, 5, 6, 0})
    assert hours.next_open(TUESDAY_TEN).weekday() == 4
