"""Telegram reminders to topic owners whose reviews are overdue (sent once a day)."""

from __future__ import annotations

import logging
from datetime import date

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from knowledge import gaps
from knowledge.accounts import list_users
from knowledge.i18n import I18n, Translator
from knowledge.store import Store

log = logging.getLogger(__name__)


async def send_reminders(bot: Bot, store: Store, i18n: I18n, today: date) -> int:
    """One message per owner listing their overdue topics; returns how many were sent.

    `i18n`: the workspace's catalogue (the owners read the workspace's language)."""
    async with store.sessions() as session:
        plan = await gaps.review_plan(session)
        owners = {u.telegram_id: u for u in await list_users(session) if u.telegram_id}
    sent = 0
    for telegram_id, topics in gaps.reminders(plan, today).items():
        owner = owners.get(telegram_id)
        lang = next((c for c in owner.languages if c in i18n.languages), None) if owner else None
        t = i18n.get(lang)
        lines = [
            t.ngettext(
                "{n} topic you own is due for review:",
                "{n} topics you own are due for review:",
                len(topics),
            ).format(n=len(topics)),
            *(_line(t, d, today) for d in topics),
        ]
        try:
            await bot.send_message(telegram_id, "\n".join(lines), parse_mode=None)
            sent += 1
        except TelegramAPIError as exc:
            log.warning("review reminder to an owner failed: %s", exc)
    return sent


def _line(t: Translator, due: gaps.Due, today: date) -> str:
    reasons = []
    if due.review_due is not None and due.review_due < today:
        reasons.append(t.gettext("review due {date}").format(date=t.date(due.review_due)))
    if due.expires is not None and due.expiring(today):
        reasons.append(t.gettext("facts expire {date}").format(date=t.date(due.expires)))
    return f"• {due.slug} ({'; '.join(reasons)})"
