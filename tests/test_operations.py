"""What an operator relies on: job leases, health, logs that keep migrants' words out."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from cli.logs import QUIET_AT_DEBUG, configure_logging
from knowledge import health, leases, usage
from knowledge.db import make_engine
from knowledge.models import utcnow
from knowledge.services import Services
from knowledge.settings import Settings
from knowledge.store import Store


async def test_a_lease_has_one_holder_until_it_expires(store: Store) -> None:
    now = utcnow()
    ttl = timedelta(seconds=30)
    async with store.transaction() as session:
        assert await leases.acquire(session, "job", "a", ttl, now=now)
    async with store.transaction() as session:
        assert not await leases.acquire(session, "job", "b", ttl, now=now)
        assert await leases.acquire(session, "job", "a", ttl, now=now)  # renewing is fine
    later = now + ttl + timedelta(seconds=1)
    async with store.transaction() as session:
        assert await leases.acquire(session, "job", "b", ttl, now=later)  # a died
    async with store.transaction() as session:
        assert not await leases.acquire(session, "job", "a", ttl, now=later)
        await leases.release(session, "job", "b")
    async with store.transaction() as session:
        assert await leases.acquire(session, "job", "a", ttl, now=later)
        await leases.finished(session, "job", when=later)
    async with store.sessions() as session:
        assert await leases.last_done(session, "job") == later


async def test_the_daily_reminders_run_once_across_replicas(store: Store) -> None:
    from bot.jobs import Jobs

    settings = Settings(database_url="sqlite+aiosqlite://", timezone="Europe/Warsaw")

    def replica(name: str) -> Jobs:
        return Jobs(None, store, None, settings, Services(store), holder=name)  # type: ignore[arg-type]

    one, two = replica("one"), replica("two")
    morning = utcnow().replace(hour=7, minute=0)
    assert await one.reminders(morning)
    assert not await two.reminders(morning + timedelta(hours=1))
    assert not await one.reminders(morning + timedelta(hours=2))
    assert await two.reminders(morning + timedelta(days=1))  # a new day in Wrocław


async def test_usage_is_counted_in_memory_and_written_in_one_go(store: Store) -> None:
    services = Services(store)
    for _ in range(3):
        services.note(usage.answered("pesel", "uk"))
    services.note(usage.abstained("ar"))
    async with store.sessions() as session:
        assert await usage.weekly(session, usage.answered("pesel", "uk")) == {}
    await services.flush_usage()
    await services.flush_usage()  # nothing new: nothing added twice
    week = usage.week_of(date.today())
    async with store.sessions() as session:
        assert await usage.weekly(session, usage.answered("pesel", "uk")) == {week: 3}
        assert await usage.weekly(session, usage.abstained("ar")) == {week: 1}
    services.note(usage.answered("pesel", "uk"))
    services.note(usage.answered("zus", "uk"))
    await services.flush_usage()  # one known count grows, one new is added, in one batch
    async with store.sessions() as session:
        assert await usage.weekly(session, usage.answered("pesel", "uk")) == {week: 4}
        assert await usage.weekly(session, usage.answered("zus", "uk")) == {week: 1}
        assert await usage.weekly(session, usage.abstained("ar")) == {week: 1}


async def test_two_updates_counting_the_first_event_of_a_week_both_count(store: Store) -> None:
    """Under load two updates count the week's first safety reply at once: neither may fail
    (it used to: both created the row, and one person got an apology instead of an answer)."""
    event = usage.answered("zus", "be")

    async def count_one() -> None:
        async with store.transaction() as session:
            await usage.count(session, event)

    await asyncio.gather(count_one(), count_one(), count_one())
    async with store.sessions() as session:
        assert await usage.weekly(session, event) == {usage.week_of(date.today()): 3}


async def test_health_says_503_when_the_database_is_gone(tmp_path: pytest.TempPathFactory) -> None:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/h.sqlite3")
    try:
        assert await health.report(store) == (200, {"status": "ok", "database": "ok"})
    finally:
        await store.close()
    gone = Store(make_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none"), store.sessions)
    status, body = await health.report(gone)
    assert status == 503 and body["database"] == "unreachable"
    await gone.close()


async def test_a_failing_statement_never_logs_what_was_written(tmp_path: object) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/p.sqlite3")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x TEXT NOT NULL UNIQUE)"))
            await connection.execute(text("INSERT INTO t VALUES (:x)"), {"x": "мій чоловік"})
        with pytest.raises(Exception) as failure:
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO t VALUES (:x)"), {"x": "мій чоловік"})
        assert "мій чоловік" not in str(failure.value)
    finally:
        await engine.dispose()


def test_json_logs_are_one_object_per_line() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    handler = logging.StreamHandler(stream)
    saved = root.handlers[:], root.level
    root.handlers = [handler]
    try:
        configure_logging(Settings(log_format="json", log_level="INFO"))
        logging.getLogger("witaj.test").info("bot running (%s)", "webhook")
    finally:
        root.handlers, level = saved
        root.setLevel(level)
    record = json.loads(stream.getvalue().splitlines()[-1])
    assert record["level"] == "INFO" and record["logger"] == "witaj.test"
    assert record["message"] == "bot running (webhook)" and "time" in record


def test_debug_logs_keep_telegram_ids_out() -> None:
    """aiogram-dialog's debug lines name the user and the chat: at LOG_LEVEL=DEBUG the bot's
    own loggers say more, those libraries no more than at INFO."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    libraries = {name: logging.getLogger(name).level for name in QUIET_AT_DEBUG}
    root.handlers = [logging.StreamHandler(stream)]
    try:
        configure_logging(Settings(log_level="DEBUG"))
        logging.getLogger("aiogram_dialog.context").debug("user: %s, chat: %s", 123456789, 42)
        logging.getLogger("bot.runner").debug("a debug line of our own")
    finally:
        root.handlers, level = saved
        root.setLevel(level)
        for name, was in libraries.items():
            logging.getLogger(name).setLevel(was)
    assert "123456789" not in stream.getvalue() and "a debug line of our own" in stream.getvalue()


async def test_an_update_writes_all_it_did_or_nothing(store: Store) -> None:
    """The session an update's handlers share is committed once they have all run, and rolled
    back when one failed halfway (a practitioner's reply must not half-close a ticket)."""
    from types import SimpleNamespace

    from aiogram.types import User

    from bot.middlewares.context import ContextMiddleware
    from knowledge.i18n import I18n
    from knowledge.profiles import Profiles

    settings = Settings(database_url="sqlite+aiosqlite://")
    middleware = ContextMiddleware(
        store,
        SimpleNamespace(current=None),  # type: ignore[arg-type]
        Profiles(store),
        I18n(),
        settings,
        b"secret",
        Services(store),
    )
    person = User(id=1, is_bot=False, first_name="A", language_code="uk")
    done, failed = usage.answered("pesel", "uk"), usage.answered("zus", "uk")

    def writing(event: str, fail: bool) -> Any:
        async def handler(_event: object, data: dict[str, Any]) -> None:
            await usage.count(data["session"], event)
            if fail:
                raise RuntimeError("the handler broke halfway")

        return handler

    async def untouched(_event: object, data: dict[str, Any]) -> str:
        return "answered"

    await middleware(writing(done, fail=False), person, {"event_from_user": person})
    with pytest.raises(RuntimeError):
        await middleware(writing(failed, fail=True), person, {"event_from_user": person})
    assert store.engine.pool.checkedout() == 0  # nor does it keep a connection (or a lock)
    assert await middleware(untouched, person, {"event_from_user": person}) == "answered"
    week = usage.week_of(date.today())
    async with store.sessions() as session:
        assert await usage.weekly(session, done) == {week: 1}
        assert await usage.weekly(session, failed) == {}


async def test_the_hourly_purge_ends_expired_sessions_and_forgets_chat_ids(store: Store) -> None:
    from bot.jobs import Jobs
    from knowledge import accounts, announcements, web_sessions
    from knowledge.enums import Role
    from knowledge.models import Delivery, WebSession

    settings = Settings(database_url="sqlite+aiosqlite://")
    async with store.transaction() as session:
        user = await accounts.add_user(session, "anna", Role.EDITOR, "a long password 123")
        await web_sessions.start(session, user)
        await announcements.subscribe(session, "key-1", 301, "uk", news=True)
        row = await announcements.create(
            session, {"uk": "Новина"}, "all", created_by="test", topics=[]
        )
        await announcements.start(session, row)
        await announcements.cancel(session, row)
    jobs = Jobs(None, store, None, settings, Services(store))  # type: ignore[arg-type]
    assert await jobs.purge(utcnow() + timedelta(hours=13))  # past a session's 12 hours
    async with store.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(WebSession)) == 0
        (chat,) = await session.scalars(select(Delivery.chat_id))
    assert chat < 0  # the cancelled announcement keeps its count, not the chat
