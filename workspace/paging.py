"""Long lists a page at a time: which page was asked for, how many there are, its items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    """1-based, always within 1…pages."""
    pages: int
    """At least 1: an empty list is one empty page."""
    total: int

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def paginate(items: Sequence[T], wanted: str | None, size: int) -> Page[T]:
    """Page `wanted` (the `?page=` text; missing, malformed or out of range: the nearest page)
    of `items`, `size` to a page."""
    pages = max(1, -(-len(items) // size))
    number = int(wanted) if wanted and wanted.isdigit() else 1
    number = min(max(number, 1), pages)
    start = (number - 1) * size
    return Page(list(items[start : start + size]), number, pages, len(items))
