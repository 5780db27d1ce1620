"""A burst of questions: everyone is answered, a few at a time, first come first served."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from knowledge.profiles import Profiles
from tests.e2e.conftest import running


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_burst_is_handled_a_few_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """Handled all at once, thirty updates take turns at every await and the first person
    waits as long as the last; in turns, the first to ask are answered first."""
    inside = most = 0
    original = Profiles.language

    async def counting(self: Profiles, key: str) -> str | None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        try:
            await asyncio.sleep(0.02)
            return await original(self, key)
        finally:
            inside -= 1

    monkeypatch.setattr(Profiles, "language", counting)
    async with running(tmp_path, mode, concurrent_updates=3) as h:
        replies = await asyncio.gather(
            *(h.client.ask(8800 + n, "Jak wyrobić numer PESEL?") for n in range(30))
        )
    assert all("PESEL" in reply["text"] for reply in replies)
    assert most == 3
