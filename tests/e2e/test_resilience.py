"""Flood control, missing optional methods, a database gone: warnings and retries, no crash."""

from __future__ import annotations

import time
from pathlib import Path

from aiohttp import ClientSession

from tests.e2e.conftest import Harness, start_harness, stop_harness


async def test_429_retry_after_is_honoured_and_the_reply_arrives(polling: Harness) -> None:
    polling.server.sandbox.flood_wait = 2  # the next two sends answer 429, retry after 1 s
    started = time.monotonic()
    reply = await polling.client.ask(9301, "numer alarmowy policja")
    assert "112" in reply["text"]
    assert time.monotonic() - started >= 2.0  # waited as told, twice, and did not give up


async def test_server_without_optional_methods_only_warns(
    tmp_path: Path, monkeypatch: object
) -> None:
    from sandbox import server as sandbox_server

    original = sandbox_server.Sandbox._methods

    def without_commands(self: sandbox_server.Sandbox) -> dict[str, object]:
        methods = original(self)
        methods.pop("setmycommands")
        return methods  # type: ignore[return-value]

    sandbox_server.Sandbox._methods = without_commands  # type: ignore[method-assign]
    try:
        h = await start_harness(tmp_path, "polling")
    finally:
        sandbox_server.Sandbox._methods = original  # type: ignore[method-assign]
    try:
        assert h.server.sandbox.commands == {}
        reply = await h.client.ask(9302, "Jak wyrobić numer PESEL?")
        assert "PESEL" in reply["text"]
    finally:
        await stop_harness(h)


async def test_a_database_that_went_away(tmp_path: Path) -> None:
    """Answers come from memory and keep coming; what needs the database says so, politely;
    a parent's school page still opens; and everything works again when it is back."""
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from knowledge.languages import NATIVE_NAMES
    from sandbox.client import find_button
    from tests.e2e.conftest import running, workspace

    async with running(tmp_path, "polling", demo=True) as h:
        c, t = h.client, h.i18n.get("uk")
        prompt = await c.ask(7700, "/start", language_code="uk")
        await c.press(7700, prompt, NATIVE_NAMES["uk"])
        working = h.store.sessions
        gone = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
        h.store.sessions = async_sessionmaker(gone)
        try:
            card = await c.ask(7700, "як отримати pesel", language_code="uk")
            title = h.library.catalog["pesel"].translations["uk"].title
            assert title in card["text"]  # the search needs no database
            sorry = t.gettext(
                "Sorry, something went wrong on my side. Please try again in a minute."
            )
            button = find_button(card, t.gettext("👍 Helpful"))
            await c.click(7700, card["message_id"], button["callback_data"])
            await c.wait_until(7700, lambda ms: ms[-1]["text"] == sorry)
            assert h.runtime.web_url is not None
            page_url = f"{h.runtime.web_url}/s/demo-krzyki?lang=uk"
            async with ClientSession() as http, http.get(page_url) as resp:
                assert resp.status == 200  # the page is served from memory
            async with workspace(h) as ws:
                status, page = await ws.get("/login")
                assert status == 200
                status, page = await ws.post("/login", {"name": "anna", "password": "x" * 12})
                assert status == 503 and "database" in page.lower()
        finally:
            h.store.sessions = working
            assert gone.pool.checkedout() == 0  # failed requests gave their connections back
            await gone.dispose()
        _, toast = await c.press(7700, card, t.gettext("👍 Helpful"))
        assert toast == t.gettext("Thank you for your feedback!")
        assert h.store.engine.pool.checkedout() == 0
