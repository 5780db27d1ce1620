"""Flood control, missing optional methods, a database gone: warnings and retries, no crash."""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession

from bot.session import RetryMiddleware
from tests.e2e.conftest import Harness, start_harness, stop_harness


async def test_429_retry_after_is_honoured_and_the_reply_arrives(polling: Harness) -> None:
    polling.server.sandbox.flood_wait = 2  # the next two sends answer 429, retry after 1 s
    started = time.monotonic()
    reply = await polling.client.ask(9301, "numer alarmowy policja")
    assert "112" in reply["text"]
    assert time.monotonic() - started >= 2.0  # waited as told, twice, and did not give up


async def test_telegram_failing_for_seconds_delays_the_answer_instead_of_losing_it(
    polling: Harness,
) -> None:
    """Polling gets no second delivery: a reply given up on after a few seconds was lost for
    good (an apology at best, silence when that failed too)."""
    polling.server.sandbox.flood_wait = 4  # four 429s, one second each
    reply = await polling.client.ask(9302, "numer alarmowy policja")
    assert "112" in reply["text"]
    assert polling.runtime.bot is not None
    for middleware in polling.runtime.bot.session.middleware:
        if isinstance(middleware, RetryMiddleware):  # the same patience, shorter pauses
            middleware.first_delay, middleware.max_delay = 0.05, 0.2
    polling.server.sandbox.server_errors = 8
    reply = await polling.client.ask(9303, "numer alarmowy policja")
    assert "112" in reply["text"]
    # A proxy's HTML error page in front of the Bot API is a server error to wait out too,
    # not a reply that cannot be read (which lost the answer at once).
    polling.server.sandbox.unavailable, polling.server.sandbox.proxy_pages = 4, True
    reply = await polling.client.ask(9305, "numer alarmowy policja")
    assert "112" in reply["text"]


async def test_an_update_the_bot_cannot_read_does_not_stop_polling(polling: Harness) -> None:
    """A message missing a field this aiogram requires (as from a Bot API server of another
    version) failed every getUpdates batch it was in: nobody was answered any more."""
    await polling.server.sandbox.raw_update("message", {"message_id": 1, "date": 0, "text": "?"})
    reply = await polling.client.ask(9304, "numer alarmowy policja")
    assert "112" in reply["text"]
    assert polling.server.sandbox.pending == []  # counted past: Telegram forgets it


async def test_server_without_optional_methods_only_warns(
    tmp_path: Path, monkeypatch: object
) -> None:
    from sandbox import server as sandbox_server

    original = sandbox_server.Sandbox._methods

    def without_commands(self: sandbox_server.Sandbox) -> dict[str, object]:
        methods = original(self)
        methods.pop("setmycommands")
        methods.pop("deletewebhook")  # a server that only does polling
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


async def test_telegram_out_of_reach_at_start_delays_the_bot_instead_of_stopping_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The session's own retries give up within seconds; the start keeps trying (it stopped
    with a trace, and a deploy during a network blip left migrants without answers). Both
    wait a fraction of their real pauses here, so that the outage outlasts the session's
    retries (with the real ones, the session alone waited out all six refusals: 25 s)."""
    from bot import factory, runner

    monkeypatch.setattr(runner, "REACH_PAUSE", (0.05, 0.2))
    quick = functools.partial(RetryMiddleware, patience=0.2, first_delay=0.05, max_delay=0.1)
    monkeypatch.setattr(factory, "RetryMiddleware", quick)
    h = await start_harness(tmp_path, "polling", unavailable=6)
    try:
        assert h.server.sandbox.unavailable == 0
        assert "trying again" in caplog.text  # the start itself kept trying
        reply = await h.client.ask(9303, "numer alarmowy policja")
        assert "112" in reply["text"]
    finally:
        await stop_harness(h)


async def _start_refused(tmp_path: Path, server: Any, **env_: str) -> tuple[int | None, str]:
    """`witaj run` against `server`: its exit status and stderr."""
    os.makedirs(tmp_path)
    env = {
        **os.environ,
        "TELEGRAM_API_URL": server.url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        "INDEX_CACHE": str(tmp_path / "index"),
        **env_,
    }
    witaj = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(witaj.communicate(), 120)
    return witaj.returncode, err.decode()


async def test_a_start_telegram_refuses_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token Telegram does not know, or a webhook it will not set: one line, exit 2."""
    from sandbox import server as sandbox_server
    from sandbox.identity import DEFAULT_TOKEN
    from sandbox.run import SandboxServer

    original = sandbox_server.Sandbox._methods

    def without_webhooks(self: sandbox_server.Sandbox) -> dict[str, object]:
        methods = original(self)
        methods.pop("setwebhook")
        return methods  # type: ignore[return-value]

    monkeypatch.setattr(sandbox_server.Sandbox, "_methods", without_webhooks)
    server = await SandboxServer.start()
    try:
        refused_token, refused_webhook = await asyncio.gather(  # two processes, two cores
            _start_refused(tmp_path / "token", server, BOT_TOKEN="123456:not-the-sandbox-token"),
            _start_refused(
                tmp_path / "webhook",
                server,
                BOT_TOKEN=DEFAULT_TOKEN,
                BOT_MODE="webhook",
                WEBHOOK_URL="https://witaj.example.org",
                WEBHOOK_SECRET="s3cret-webhook-value",
                WEBHOOK_PORT="0",
            ),
        )
    finally:
        await server.stop()
    for (status, err), expected in (
        (refused_token, "witaj: error: Telegram refused BOT_TOKEN (Unauthorized): copy it again "
                        "from @BotFather"),
        (refused_webhook, "witaj: error: Telegram: Telegram server says - Not Found: method not "
                          "found"),
    ):  # fmt: skip
        lines = [line for line in err.splitlines() if line.startswith("witaj: error:")]
        assert status == 2, err[-2000:]
        assert lines == [expected], err[-2000:]
        assert "Traceback" not in err and "Unclosed" not in err, err  # cleaned up, quietly


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
        engine, h.store.engine = h.store.engine, gone  # a first message's language read too
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
            # A person in danger still gets 112 at once (the reply is counted in memory), and a
            # question without an answer still gets "I don't know yet", not an apology (nor the
            # promise that it was passed on).
            alarm = await c.ask(7700, "хочу вмерти, більше не можу", language_code="uk")
            assert "112" in alarm["text"]
            unknown = await c.ask(7700, "Яка погода завтра у Вроцлаві?", language_code="uk")
            passed_on = t.gettext(
                "🤔 I don't know this yet. I have passed your question on to the people who "
                "keep these answers up to date."
            )  # not said: the question could not be kept for them
            assert unknown["text"].startswith(t.gettext("🤔 I don't know this yet."))
            assert passed_on not in unknown["text"]
            assert h.runtime.web_url is not None
            page_url = f"{h.runtime.web_url}/s/demo-krzyki?lang=uk"
            async with ClientSession() as http, http.get(page_url) as resp:
                assert resp.status == 200  # the page is served from memory
            async with workspace(h) as ws:
                status, page = await ws.get("/login")
                assert status == 200
                status, page = await ws.post("/login", {"name": "anna", "password": "x" * 12})
                assert status == 503 and "database" in page.lower()
            # Someone new (their language is read from the database): answered, not apologised to.
            first = await c.ask(7701, "як отримати pesel", language_code="uk")
            assert title in first["text"]
        finally:
            h.store.sessions, h.store.engine = working, engine
            assert gone.pool.checkedout() == 0  # failed requests gave their connections back
            await gone.dispose()
        _, toast = await c.press(7700, card, t.gettext("👍 Helpful"))
        assert toast == t.gettext("Thank you for your feedback!")
        assert h.store.engine.pool.checkedout() == 0
