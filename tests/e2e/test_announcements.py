"""Announcements through the sandbox: the rate, 429, blocked people, a crash, the bot side."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

from sqlalchemy import select

from bot.announcer import Announcer
from knowledge import announcements
from knowledge.enums import AnnouncementStatus, DeliveryStatus
from knowledge.languages import NATIVE_NAMES
from knowledge.models import Delivery, Subscription
from sandbox.server import Sandbox
from tests.e2e.conftest import Harness, add_user, workspace
from tests.e2e.test_workspace import form

FIRST = 50_000


async def subscribers(h: Harness, n: int, lang: str = "uk") -> list[int]:
    """`n` people who subscribed to all news (their chats exist in the sandbox)."""
    ids = list(range(FIRST, FIRST + n))
    async with h.store.sessions.begin() as session:
        for uid in ids:
            h.server.sandbox.user(uid, language_code=lang)
            await announcements.subscribe(session, f"key-{uid}", uid, lang, news=True)
    return ids


async def announce(h: Harness, texts: dict[str, str], audience: str = "all") -> int:
    async with h.store.sessions.begin() as session:
        row = await announcements.create(
            session, texts, audience, created_by="test", topics=list(h.library.catalog)
        )
        await announcements.start(session, row)
        return row.id


async def until_done(h: Harness, announcement_id: int, within: float = 30) -> dict[str, int]:
    deadline = time.monotonic() + within
    while True:
        async with h.store.sessions() as session:
            row = await announcements.get(session, announcement_id)
            assert row is not None
            statuses = Counter(
                d.status.value
                for d in await session.scalars(
                    select(Delivery).where(Delivery.announcement_id == announcement_id)
                )
            )
        if row.status is AnnouncementStatus.DONE:
            return dict(statuses)
        assert time.monotonic() < deadline, statuses
        await asyncio.sleep(0.1)


def received(sandbox: Sandbox, chats: list[int]) -> Counter[int]:
    wanted = set(chats)
    return Counter(chat for _, chat in sandbox.sent if chat in wanted)


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max((sum(1 for u in times if t <= u < t + 1.0) for t in times), default=0)


async def test_rate_limit_429_and_blocked_people(polling: Harness) -> None:
    h = polling
    people = await subscribers(h, 70)
    for uid in people[:3]:
        await h.client.block(uid)
    h.server.sandbox.flood_wait = 1  # the first send gets a 429 with retry_after=1
    announcement = await announce(h, {"uk": "Завтра школи зачинені.", "en": "Schools closed."})
    statuses = await until_done(h, announcement)
    assert statuses == {"sent": 67, "blocked": 3}
    got = received(h.server.sandbox, people)
    assert set(got.values()) == {1} and len(got) == 67  # nobody twice, nobody blocked
    times = [t for t, chat in h.server.sandbox.sent if chat in set(people)]
    assert busiest_second(times) <= 25
    (refused_at, retry_after), *_ = h.server.sandbox.refused
    assert min(times) - refused_at >= retry_after  # the 429 was waited out
    async with h.store.sessions() as session:
        left = {row.chat_id for row in await session.scalars(select(Subscription))}
    assert not left & set(people[:3])  # who blocked the bot is unsubscribed
    messages = await h.client.chat(people[5])
    assert messages["messages"][-1]["text"] == "📢 Завтра школи зачинені."


async def test_a_crash_mid_job_resumes_without_sending_twice(polling: Harness) -> None:
    h = polling
    assert h.runtime.announcer is not None
    for task in h.runtime._tasks:  # stop the bot's own job: this test drives one by hand
        task.cancel()
    people = await subscribers(h, 40, lang="be")
    announcement = await announce(h, {"en": "Parents' meeting on Friday."})
    bot = h.runtime.bot
    assert bot is not None
    job = Announcer(bot, h.store, h.librarian, h.i18n, rate=200, lease=0.5)
    crashed = asyncio.create_task(job.run_once())
    await h.client.wait_until(people[11], lambda ms: bool(ms))  # 12 got it, then it dies
    crashed.cancel()  # the process dies mid-job, still holding the lease
    await asyncio.gather(crashed, return_exceptions=True)
    async with h.store.sessions() as session:
        unconfirmed = {
            d.chat_id
            for d in await session.scalars(
                select(Delivery).where(Delivery.status == DeliveryStatus.SENDING)
            )
        }
    assert len(unconfirmed) <= 1  # only the message in flight
    # Another replica takes over once the dead one's lease has run out.
    other = Announcer(bot, h.store, h.librarian, h.i18n, rate=200, lease=0.5)
    assert not await other.run_once()  # the lease is still held
    resumed = asyncio.create_task(other.run_forever(idle=0.1))
    try:
        statuses = await until_done(h, announcement, within=10)
    finally:
        resumed.cancel()
    got = received(h.server.sandbox, people)
    assert max(got.values()) == 1  # never twice
    assert len(got) + len(unconfirmed - set(got)) == 40
    assert statuses.get("pending", 0) == 0
    # Belarusian readers got the English text: the fallback the preview warned about.
    async with h.store.sessions() as session:
        seen = await announcements.preview(session, {"en": "x"}, "all")
    assert seen.missing == {"be": 40}
    chat = await h.client.chat(people[0])
    assert chat["messages"][-1]["text"] == "📢 Parents' meeting on Friday."


async def test_two_replicas_send_once_at_the_rate_of_one(polling: Harness) -> None:
    """Each replica runs the job; only the lease holder sends, so the bot's rate holds."""
    h = polling
    for task in h.runtime._tasks:
        task.cancel()
    people = await subscribers(h, 60)
    bot = h.runtime.bot
    assert bot is not None
    replicas = [
        Announcer(bot, h.store, h.librarian, h.i18n, rate=20, holder=name, lease=5)
        for name in ("replica-1", "replica-2")
    ]
    running = [asyncio.create_task(r.run_forever(idle=0.05)) for r in replicas]
    try:
        statuses = await until_done(h, await announce(h, {"uk": "Свята."}), within=20)
    finally:
        for task in running:
            task.cancel()
    assert statuses == {"sent": 60}
    got = received(h.server.sandbox, people)
    assert len(got) == 60 and set(got.values()) == {1}
    times = [t for t, chat in h.server.sandbox.sent if chat in set(people)]
    assert busiest_second(times) <= 20


async def test_subscribe_in_the_bot_follow_an_answer_and_hear_of_its_change(
    polling: Harness,
) -> None:
    h, c = polling, polling.client
    t = h.i18n.get("ar")
    user = 6600
    prompt = await c.ask(user, "/start", language_code="ar")
    await c.press(user, prompt, NATIVE_NAMES["ar"])
    settings = await c.ask(user, "/subscribe", language_code="ar")
    assert "⬜" in str(settings["reply_markup"])  # off by default
    settings, _ = await c.press(user, settings, t.gettext("School news"))
    assert "✅" in str(settings["reply_markup"])
    card = await c.ask(user, "كيف أحصل على رقم PESEL؟", language_code="ar")
    card, _ = await c.press(user, card, t.gettext("📖 More details"))
    _, toast = await c.press(user, card, t.gettext("🔔 Tell me when this answer changes"))
    assert toast == t.gettext("I will write to you when this answer changes.")
    async with h.store.sessions() as session:
        row = await announcements.subscription(session, await _key(h, user))
    assert row is not None and row.categories == ["school"] and row.topics == ["pesel"]

    # An editor changes the answer and tells its followers.
    await add_user(h, "anna", "editor")
    async with workspace(h) as ws:
        assert await ws.login("anna") == 200
        changed = await form(h, "pesel", "ar", answer="نص جديد", notify="on")
        status, page = await ws.post("/t/pesel/ar", changed)
        assert status == 200 and 'id="notified"' in page
    notice = await _last(h, user, lambda m: m["text"].startswith("📢 "))
    assert h.library.catalog["pesel"].translations["ar"].title in notice["text"]
    opened, _ = await c.press(user, notice, t.gettext("➡️ Open the answer"))
    assert h.library.catalog["pesel"].translations["ar"].title in opened["text"]

    # School news reach them; everyday news do not.
    everyday = await announce(h, {"en": "Tram 2 runs again."}, "category:everyday")
    school = await announce(h, {"en": "Enrolment opens Monday."}, "category:school")
    await until_done(h, everyday)
    await until_done(h, school)
    texts = [m["text"] for m in (await c.chat(user))["messages"]]
    assert "📢 Enrolment opens Monday." in texts and "📢 Tram 2 runs again." not in texts

    # /forget removes the subscription with everything else.
    privacy = await c.ask(user, "/forget", language_code="ar")
    await c.press(user, privacy, t.gettext("Yes, delete"))
    async with h.store.sessions() as session:
        assert await announcements.subscription(session, await _key(h, user)) is None


async def _key(h: Harness, user: int) -> str:
    from knowledge import people

    async with h.store.sessions() as session:
        return people.user_key(await people.user_key_secret(session), user)


async def _last(h: Harness, user: int, predicate: Any) -> dict[str, Any]:
    messages = await h.client.wait_until(user, lambda ms: any(predicate(m) for m in ms))
    return [m for m in messages if predicate(m)][-1]


async def test_compose_preview_and_send_in_the_workspace(polling: Harness) -> None:
    h = polling
    people = await subscribers(h, 3, lang="uk") + await _more(h, 2, "be")
    await add_user(h, "anna", "editor")
    await add_user(h, "tom", "translator", languages=["uk"])
    letter = {"audience": "all", "text_uk": "Зимові канікули з 29 грудня."}
    async with workspace(h) as ws:
        assert await ws.login("tom") == 200
        status, _ = await ws.post("/announcements", letter)
        assert status == 403  # translators do not send announcements
    async with workspace(h) as ws:
        assert await ws.login("anna") == 200
        status, page = await ws.post("/announcements/preview", {"audience": "all"})
        assert status == 400 and 'role="alert"' in page  # no text at all
        status, page = await ws.post("/announcements/preview", {**letter, "audience": "x:y"})
        assert status == 400 and "Зимові канікули" in page  # the text is kept
        status, page = await ws.post("/announcements/preview", letter)
        assert status == 200 and 'id="send-button"' in page
        warning = "No text in Беларуская: 2 people will get the Українська text."
        assert warning in page
        status, page = await ws.post("/announcements", letter)
        assert status == 200 and 'id="announcement-1"' in page
    await until_done(h, 1)
    got = received(h.server.sandbox, people)
    assert sorted(got.values()) == [1] * 5
    status_line = (await h.client.chat(people[-1]))["messages"][-1]["text"]
    assert status_line == "📢 Зимові канікули з 29 грудня."  # no en or pl text: the only one


async def _more(h: Harness, n: int, lang: str) -> list[int]:
    ids = list(range(FIRST + 1000, FIRST + 1000 + n))
    async with h.store.sessions.begin() as session:
        for uid in ids:
            h.server.sandbox.user(uid, language_code=lang)
            await announcements.subscribe(session, f"key-{uid}", uid, lang, news=True)
    return ids
