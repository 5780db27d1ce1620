"""Reminders before a guided path's deadlines, for the people who asked for them: sent once a
day by one replica, through the announcement sender's rate limit, each at most once."""

from __future__ import annotations

import logging
from datetime import date

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram_dialog.utils import CB_SEP

from bot.announcer import RateLimiter
from flows.cards import text_html, topic_id
from flows.short_card import ID_MORE
from knowledge import path_store, people
from knowledge.i18n import I18n
from knowledge.library import Library
from knowledge.store import Store

log = logging.getLogger(__name__)


async def send_path_reminders(
    bot: Bot, store: Store, library: Library, i18n: I18n, today: date, limiter: RateLimiter
) -> int:
    """How many were sent. A person who blocked the bot gets no more reminders."""
    async with store.sessions() as session:
        due = await path_store.due_reminders(session, library.paths, today)
    sent = 0
    for reminder in due:
        path = library.paths[reminder.path]
        async with store.sessions() as session:
            lang = await people.get_language(session, reminder.user_key)
        t = i18n.get(lang)
        shown, words = path.text(t.lang)
        step = next(s for s in path.steps if s.id == reminder.step)
        assert step.deadline is not None
        text = t.ngettext(
            "⏰ {n} day left: {step} — by {date}.",
            "⏰ {n} days left: {step} — by {date}.",
            reminder.days,
        ).format(
            n=reminder.days,
            step=words.steps[step.id].title,
            date=t.date(step.deadline),
        )
        button = InlineKeyboardButton(
            text="📄 " + words.steps[step.id].title,
            callback_data=f"rem{CB_SEP}{ID_MORE}:{topic_id(step.topic)}",  # see flows.revive
        )
        await limiter.wait()
        try:
            await bot.send_message(
                reminder.chat_id,
                text_html(text, shown) + "\n/next",
                reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
            )
        except TelegramForbiddenError:
            async with store.transaction() as session:
                await path_store.set_reminders(session, reminder.user_key, path.slug, None)
            continue
        except TelegramAPIError as exc:
            log.warning("path reminder not sent: %s", exc)
            continue
        finally:
            limiter.sent()
        async with store.transaction() as session:
            await path_store.mark_reminded(session, reminder)
        sent += 1
    return sent
