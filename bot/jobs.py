"""Periodic work beside the bot: fresh content on every replica, the rest once across them.

Every replica polls the content version (an edit saved in the workspace reaches all of them
within `REFRESH_SECONDS`). The daily review reminders and the retention purge run on whichever
replica takes the job's lease first; the database remembers when each last finished, so a
restart or a second replica never sends the reminders twice on one day.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot

from bot.announcer import RateLimiter
from bot.path_reminders import send_path_reminders
from bot.reminders import send_reminders
from knowledge import announcements, handoff, leases, people, web_sessions
from knowledge.i18n import I18n, workspace_i18n
from knowledge.library import Librarian
from knowledge.models import utcnow
from knowledge.services import Services
from knowledge.settings import Settings
from knowledge.store import Store

log = logging.getLogger(__name__)
REFRESH_SECONDS = 5.0
PURGE_EVERY = timedelta(hours=1)
LEASE = timedelta(minutes=10)


@dataclass
class Jobs:
    bot: Bot
    store: Store
    librarian: Librarian
    settings: Settings
    services: Services
    holder: str = field(default_factory=lambda: uuid.uuid4().hex)
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(25))
    """The announcement sender's: reminders and announcements share one rate."""

    async def run_forever(self, every: float = REFRESH_SECONDS) -> None:
        while True:
            await asyncio.sleep(every)
            await self.run_once()

    async def run_once(self, now: datetime | None = None) -> None:
        now = now or utcnow()
        for name, job in (
            ("content", self.refresh),
            ("usage", self.services.flush_usage),
            ("reminders", lambda: self.reminders(now)),
            ("path reminders", lambda: self.path_reminders(now)),
            ("purge", lambda: self.purge(now)),
        ):
            try:
                await job()
            except Exception:
                log.warning("%s job failed; will retry", name, exc_info=True)

    async def refresh(self) -> None:
        await self.librarian.refresh()

    async def reminders(self, now: datetime) -> bool:
        """Once a day: review reminders to the topics' owners."""

        async def send(today: date) -> None:
            i18n = workspace_i18n(self.settings.default_language)
            await send_reminders(self.bot, self.store, i18n, today)

        return await self._daily("reminders", send, now)

    async def path_reminders(self, now: datetime) -> bool:
        """Once a day: reminders before guided paths' deadlines, to those who asked."""

        async def send(today: date) -> None:
            i18n = I18n(default=self.settings.default_language)
            library = self.librarian.current
            await send_path_reminders(self.bot, self.store, library, i18n, today, self.limiter)

        return await self._daily("path-reminders", send, now)

    async def _daily(
        self, name: str, send: Callable[[date], Awaitable[None]], now: datetime
    ) -> bool:
        """Once a day (in the city's time zone), the first replica to get here runs it."""
        city = ZoneInfo(self.settings.timezone)
        today = now.astimezone(city).date()

        def due(last: datetime | None) -> bool:
            return last is None or last.astimezone(city).date() < today

        return await self._once(name, due, lambda: send(today), now)

    async def purge(self, now: datetime) -> bool:
        """Drop unanswered questions and closed tickets past retention, the chat ids of
        deliveries that will never be sent, and expired workspace sessions; hourly at most."""

        def due(last: datetime | None) -> bool:
            return last is None or now - last >= PURGE_EVERY

        async def run() -> None:
            retention = timedelta(days=self.settings.retention_days)
            async with self.store.transaction() as session:
                await people.purge_unanswered(session, retention)
                await handoff.purge_closed(session, retention)
                await announcements.forget_finished(session)
                await web_sessions.purge(session, now=now)

        return await self._once("purge", due, run, now)

    async def _once(
        self,
        name: str,
        due: Callable[[datetime | None], bool],
        run: Callable[[], Awaitable[None]],
        now: datetime,
    ) -> bool:
        async with self.store.transaction() as session:
            if not due(await leases.last_done(session, name)):
                return False
            if not await leases.acquire(session, name, self.holder, LEASE, now=now):
                return False
        try:
            async with self.store.transaction() as session:
                # Checked again under the lease: another replica may have just finished it.
                if not due(await leases.last_done(session, name)):
                    return False
            await run()
            async with self.store.transaction() as session:
                await leases.finished(session, name, when=now)
            return True
        finally:
            async with self.store.transaction() as session:
                await leases.release(session, name, self.holder)
