"""The announcement job: sends at a steady rate, resumes where it stopped, never twice.

Telegram allows about 30 messages per second to different chats; the job keeps under
`ANNOUNCE_RATE` (25 by default). A 429 is waited out by the session's retry middleware, so
the job only ever sees a slower send. A person who blocked the bot is unsubscribed.

With several replicas only the one holding the `announcements` lease sends (so the rate is
the rate of the whole bot, not of each replica); it renews the lease with every message it
claims. When it dies, another replica takes the lease over once it expires and goes on with
the deliveries still pending.
"""

from __future__ import annotations

import asyncio
import html
import logging
import time
import uuid
from collections import deque
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram_dialog.utils import CB_SEP
from sqlalchemy.ext.asyncio import AsyncSession

from flows.cards import topic_id
from flows.short_card import ID_MORE
from knowledge import announcements, leases, metrics
from knowledge.enums import AnnouncementStatus, DeliveryStatus
from knowledge.i18n import I18n
from knowledge.library import Librarian
from knowledge.models import Announcement, Delivery
from knowledge.store import Store

log = logging.getLogger(__name__)
BATCH = 25
LEASE = "announcements"


class RateLimiter:
    """At most `rate` sends in any one-second window, as the server sees them.

    It counts a send when it has finished (a send held up by a 429 counts late, not early),
    and the next send after `rate` of them waits a full window after the oldest has finished.
    So even sends that reach the server later than they were started never bunch up.
    """

    def __init__(self, rate: float, window: float = 1.01) -> None:
        self.size = max(1, int(rate))
        self.window = window
        self._done: deque[float] = deque(maxlen=self.size)

    async def wait(self) -> None:
        if len(self._done) == self.size:
            delay = self._done[0] + self.window - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)

    def sent(self) -> None:
        self._done.append(time.monotonic())


class Announcer:
    def __init__(
        self,
        bot: Bot,
        store: Store,
        librarian: Librarian,
        i18n: I18n,
        rate: float,
        *,
        holder: str = "",
        lease: float = 60.0,
    ) -> None:
        self.bot = bot
        self.store = store
        self.librarian = librarian
        self.i18n = i18n
        self.limiter = RateLimiter(rate)
        self.holder = holder or uuid.uuid4().hex
        self.lease = timedelta(seconds=lease)
        self._holding = False

    async def run_forever(self, idle: float = 1.0) -> None:
        while True:
            try:
                if not await self.run_once():
                    await asyncio.sleep(idle)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("announcement job failed; will retry", exc_info=True)
                self._holding = False
                await asyncio.sleep(idle * 5)

    async def run_once(self) -> bool:
        """Work on every announcement being sent; False when there was nothing to do here."""
        async with self.store.sessions() as session:
            queue = await announcements.sending(session)
        if not queue:
            await self._let_go()
            return False
        for announcement in queue:
            await self.send(announcement)
        return self._holding

    async def _hold(self, session: AsyncSession) -> bool:
        """Take or renew the lease (before every message, inside its claim)."""
        self._holding = await leases.acquire(session, LEASE, self.holder, self.lease)
        return self._holding

    async def _let_go(self) -> None:
        if self._holding:
            async with self.store.transaction() as session:
                await leases.release(session, LEASE, self.holder)
            self._holding = False
            metrics.ANNOUNCEMENT_PENDING.set(0)

    async def send(self, announcement: Announcement) -> None:
        """One delivery at a time: claimed (under the lease), sent, confirmed. A sender that
        dies leaves at most the one message in flight unconfirmed (counted as failed, never
        sent again, since it may have arrived); the rest stay pending for the next holder."""
        sent = 0
        while True:
            async with self.store.sessions.begin() as session:
                if not await self._hold(session):
                    return
                current = await announcements.get(session, announcement.id)
                if current is None or current.status is not AnnouncementStatus.SENDING:
                    return
                batch = await announcements.claim(session, announcement.id, 1)
                if not batch:
                    await announcements.close_if_done(session, current)
                    return
            delivery = batch[0]
            await self.limiter.wait()
            status = await self.deliver(announcement, delivery)
            self.limiter.sent()
            metrics.ANNOUNCED.labels(status.value).inc()
            async with self.store.sessions.begin() as session:
                await announcements.finish(session, delivery.id, status)
                if status is DeliveryStatus.BLOCKED:
                    await announcements.unsubscribe_chat(session, delivery.chat_id)
            sent += 1
            if sent % BATCH == 1:
                async with self.store.sessions() as session:
                    metrics.ANNOUNCEMENT_PENDING.set(await announcements.pending_count(session))

    async def deliver(self, announcement: Announcement, delivery: Delivery) -> DeliveryStatus:
        lang = announcements.fallback(announcement.texts, delivery.lang) or delivery.lang
        t = self.i18n.get(delivery.lang)
        text = "📢 " + html.escape(announcement.texts.get(lang, ""))
        markup = None
        slug = announcement.topic
        if slug and slug in self.librarian.current.catalog:
            # The dialog-less button form (see flows.revive): it opens the topic's card.
            data = f"ann{CB_SEP}{ID_MORE}:{topic_id(slug)}"
            markup = InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text=t.gettext("➡️ Open the answer"), callback_data=data)]
                ]
            )
        try:
            await self.bot.send_message(delivery.chat_id, text, reply_markup=markup)
        except TelegramForbiddenError:
            return DeliveryStatus.BLOCKED
        except TelegramAPIError as exc:
            log.warning("announcement %s to a chat failed: %s", announcement.id, exc)
            return DeliveryStatus.FAILED
        return DeliveryStatus.SENT
