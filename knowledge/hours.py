"""Practitioners' working hours: parsed from the settings, so nothing heavy comes with them.

The settings check `WORKING_HOURS` when they are read; the hand-over desk that uses the hours
imports SQLAlchemy and the database models, which reading the settings must not bring along.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Hours:
    """When practitioners answer: week days and a daily window in the city's time zone."""

    days: frozenset[int]
    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, zone: str = "Europe/Warsaw") -> Hours:
        """ "mon-fri 08:00-16:00" (days as a range or a comma list)."""
        found = re.fullmatch(
            r"([a-z,\-]+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", text.strip().lower()
        )
        if not found:
            raise ValueError(f"working hours look like 'mon-fri 08:00-16:00', not {text!r}")
        days: set[int] = set()
        for part in found.group(1).split(","):
            first, _, last = part.partition("-")
            if first not in DAYS or (last and last not in DAYS):
                raise ValueError(f"unknown day in {part!r}; use {', '.join(DAYS)}")
            a, b = DAYS.index(first), DAYS.index(last or first)
            days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        start = time(int(found.group(2)), int(found.group(3)))
        end = time(int(found.group(4)), int(found.group(5)))
        if end <= start:
            raise ValueError("working hours must end after they start")
        return cls(frozenset(days), start, end, ZoneInfo(zone))

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(self.zone)
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_open(self, now: datetime) -> datetime:
        """The next moment practitioners are at work (now, if they are)."""
        if self.is_open(now):
            return now.astimezone(self.zone)
        local = now.astimezone(self.zone)
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            opening = datetime.combine(day, self.start, self.zone)
            if day.weekday() in self.days and opening > local:
                return opening
        raise ValueError("no working day in the week")
