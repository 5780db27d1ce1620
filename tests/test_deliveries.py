"""What an announcement keeps about the people it goes to: a person who unsubscribes while it
is being sent does not get it, and no chat id outlives its message."""

from __future__ import annotations

from sqlalchemy import select

from knowledge import announcements
from knowledge.enums import DeliveryStatus
from knowledge.models import Delivery
from knowledge.store import Store

TOPIC = "pesel"


async def _start(store: Store, audience: str) -> int:
    async with store.sessions.begin() as session:
        row = await announcements.create(
            session, {"uk": "Новина", "en": "News"}, audience, created_by="test", topics=[TOPIC]
        )
        await announcements.start(session, row)
        return row.id


async def _chats(store: Store, announcement_id: int) -> dict[int, DeliveryStatus]:
    async with store.sessions() as session:
        rows = await session.scalars(
            select(Delivery).where(Delivery.announcement_id == announcement_id)
        )
        return {row.chat_id: row.status for row in rows}


async def test_who_unsubscribes_during_a_send_is_taken_off_it(store: Store) -> None:
    async with store.sessions.begin() as session:
        for chat in (101, 102, 103):
            await announcements.subscribe(session, f"key-{chat}", chat, "uk", news=True)
            await announcements.subscribe(session, f"key-{chat}", chat, "uk", follow=TOPIC)
    news = await _start(store, "all")
    notice = await _start(store, f"topic:{TOPIC}")
    async with store.sessions.begin() as session:
        await announcements.unsubscribe(session, "key-101")  # everything
        await announcements.subscribe(session, "key-102", 102, "uk", unfollow=TOPIC)  # one topic
        await announcements.unsubscribe_chat(session, 103)  # blocked the bot
    assert await _chats(store, news) == {102: DeliveryStatus.PENDING}
    assert await _chats(store, notice) == {}


async def test_a_sent_message_keeps_its_status_but_not_the_chat(store: Store) -> None:
    async with store.sessions.begin() as session:
        for chat in (201, 202, 203):
            await announcements.subscribe(session, f"key-{chat}", chat, "en", news=True)
    sent = await _start(store, "all")
    async with store.sessions.begin() as session:
        first, second = await announcements.claim(session, sent, 2)
        await announcements.finish(session, first.id, DeliveryStatus.SENT)
        await announcements.finish(session, second.id, DeliveryStatus.BLOCKED)
    chats = await _chats(store, sent)
    assert set(chats.values()) == {DeliveryStatus.SENT, DeliveryStatus.BLOCKED,
                                   DeliveryStatus.PENDING}  # fmt: skip
    assert [chat for chat in chats if chat > 0] == [203]  # only the one still to send

    async with store.sessions.begin() as session:
        (_stuck,) = await announcements.claim(session, sent, 1)  # then the worker died
        row = await announcements.get(session, sent)
        assert row is not None
        await announcements.cancel(session, row)
        forgotten = await announcements.forget_finished(session)
    assert forgotten == 1
    assert all(chat < 0 for chat in await _chats(store, sent))
    async with store.sessions() as session:
        (progress,) = await announcements.progress(session)
    assert (progress.total, progress.sent, progress.blocked, progress.failed) == (3, 1, 1, 1)
