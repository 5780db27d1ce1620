"""A person's language, read for their first message in a minute: reads that come together
(a burst of first messages) are made together, and none is left waiting."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from knowledge import people
from knowledge.profiles import Profiles, ReadAbandonedError
from knowledge.store import Store


def _selects(store: Store) -> list[str]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "person" in statement:
            seen.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", count)
    return seen


async def test_a_burst_of_first_messages_is_one_read(store: Store) -> None:
    keys = [f"{n:064x}" for n in range(60)]
    chose = Profiles(store)
    for key in keys[::3]:
        await chose.set_language(key, "uk")
    profiles = Profiles(store)
    selects = _selects(store)
    found = await asyncio.gather(*(profiles.language(key) for key in keys))
    assert found == ["uk" if n % 3 == 0 else None for n in range(60)]
    assert len(selects) == 1
    assert await profiles.language(keys[0]) == "uk" and len(selects) == 1  # kept a minute


async def test_when_the_database_is_away_every_reader_hears_of_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def away(*_: Any) -> dict[str, str]:
        raise OperationalError("SELECT", {}, ConnectionRefusedError())

    monkeypatch.setattr(people, "get_languages", away)
    profiles = Profiles(store)
    reads = [profiles.language(f"{n:064x}") for n in range(5)]
    results = await asyncio.wait_for(asyncio.gather(*reads, return_exceptions=True), 5)
    assert all(isinstance(r, OperationalError) for r in results)


async def test_a_cancelled_reader_leaves_no_one_waiting(store: Store) -> None:
    profiles = Profiles(store)
    first = asyncio.create_task(profiles.language("a" * 64))
    others = [asyncio.create_task(profiles.language(c * 64)) for c in "bcd"]
    await asyncio.sleep(0)  # the first is reading for all four now
    first.cancel()
    results = await asyncio.wait_for(asyncio.gather(*others, return_exceptions=True), 5)
    assert all(isinstance(r, ReadAbandonedError) for r in results)
    assert await profiles.language("b" * 64) is None  # and the next read works
