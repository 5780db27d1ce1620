"""Talking to a person: tickets relayed between a migrant's chat and the practitioners' group.

The group sees the language, the last topic and the question — never a name or a username.
Every post the bot makes in the group for a ticket is recorded, so a practitioner may answer
by replying to any of them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from babel.dates import format_date, format_time
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from knowledge import usage
from knowledge.enums import TicketStatus
from knowledge.hours import Hours
from knowledge.i18n import I18n
from knowledge.models import Practitioner, Ticket, TicketMessage, utcnow


class RecipientBlockedError(Exception):
    """The person blocked the bot: nothing can reach them."""


class DeliveryError(Exception):
    """The messaging service refused the message; nothing was sent."""


class Messenger(Protocol):
    """Sends a message into a migrant's chat (the bot implements it; the workspace uses it)."""

    async def send(self, chat_id: int, html: str) -> None:
        """Raise `RecipientBlockedError` or `DeliveryError` when it cannot be delivered."""


@dataclass
class Desk:
    """Whether a person can be reached, and when they answer: what the dialogs need to know
    about talking to a person (the bot does the posting)."""

    available: bool
    hours: Hours
    i18n: I18n
    translation: str | None = None
    """The machine translation service's name, when messages are translated."""
    external_translation: bool = False
    """Whether that service is an outside company (the migrant is asked before using it)."""

    def expect_answer(self, lang: str, now: datetime | None = None) -> str | None:
        """Outside working hours: when a person will answer, in the migrant's words."""
        now = now or utcnow()
        if self.hours.is_open(now):
            return None
        when = self.hours.next_open(now)
        day = format_date(when, format="full", locale=lang)
        return (
            self.i18n.get(lang)
            .gettext("It is outside our working hours. A person will answer from {when}.")
            .format(when=f"{day}, {format_time(when, 'short', locale=lang)}")
        )


async def open_ticket(
    session: AsyncSession,
    user_key: str,
    chat_id: int,
    lang: str,
    topic: str | None,
    *,
    urgent: bool = False,
) -> tuple[Ticket, bool]:
    """The person's open ticket, or a new one; True when it is new. An urgent message makes
    the ticket urgent (it never becomes less urgent)."""
    ticket = await current_ticket(session, user_key)
    if ticket is not None:
        ticket.urgent = ticket.urgent or urgent
        return ticket, False
    ticket = Ticket(
        user_key=user_key, chat_id=chat_id, lang=lang, topic=topic, urgent=urgent, messages=[]
    )
    session.add(ticket)
    await session.flush()
    await usage.count(session, usage.handed_over(lang))
    return ticket, True


async def current_ticket(session: AsyncSession, user_key: str) -> Ticket | None:
    return await session.scalar(
        select(Ticket)
        .where(Ticket.user_key == user_key, Ticket.status == TicketStatus.OPEN)
        .options(selectinload(Ticket.messages))
        .order_by(Ticket.id.desc())
        .limit(1)
    )


RESUME_WITHIN = timedelta(hours=1)
"""A conversation with a message this recent is still going on."""


async def conversation_in_progress(
    session: AsyncSession, user_key: str, *, within: timedelta = RESUME_WITHIN
) -> Ticket | None:
    """The person's open ticket, if someone wrote in it lately."""
    ticket = await current_ticket(session, user_key)
    if ticket is None:
        return None
    last = max((_aware(m.created_at) for m in ticket.messages), default=ticket.created_at)
    return ticket if utcnow() - _aware(last) <= within else None


async def get_ticket(session: AsyncSession, ticket_id: int) -> Ticket | None:
    return await session.scalar(
        select(Ticket).where(Ticket.id == ticket_id).options(selectinload(Ticket.messages))
    )


async def ticket_for_post(session: AsyncSession, group_message_id: int) -> Ticket | None:
    """The ticket a post in the group belongs to (the question or any message relayed)."""
    ticket_id = await session.scalar(
        select(TicketMessage.ticket_id).where(TicketMessage.group_message_id == group_message_id)
    )
    return await get_ticket(session, ticket_id) if ticket_id is not None else None


async def add_message(
    session: AsyncSession,
    ticket: Ticket,
    text: str,
    *,
    from_migrant: bool,
    author: str = "",
    group_message_id: int | None = None,
) -> TicketMessage:
    message = TicketMessage(
        from_migrant=from_migrant, author=author, text=text, group_message_id=group_message_id
    )
    first_answer = not from_migrant and all(m.from_migrant for m in ticket.messages)
    ticket.messages.append(message)
    await session.flush()
    if first_answer:  # for the weekly figures: how soon people hear from a person
        waited = utcnow() - _aware(ticket.created_at)
        await usage.count(session, usage.first_reply(waited.total_seconds() / 3600))
    return message


def other_recent_answer(
    ticket: Ticket, author: str, now: datetime, within: timedelta = timedelta(minutes=10)
) -> TicketMessage | None:
    """Another practitioner's answer to the same ticket a moment ago: both went out, and the
    group should know that two people are on it."""
    for message in reversed(ticket.messages[:-1]):
        if message.from_migrant:
            continue
        if message.author != author and now - _aware(message.created_at) <= within:
            return message
    return None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


async def close(session: AsyncSession, ticket: Ticket, by: str) -> bool:
    """Close the ticket; False when it was closed already (two people pressed at once)."""
    if ticket.status is TicketStatus.CLOSED:
        return False
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = utcnow()
    ticket.closed_by = by
    await session.flush()
    return True


async def rate(session: AsyncSession, ticket_id: int, user_key: str, helpful: bool) -> bool:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or ticket.user_key != user_key:
        return False
    ticket.rating = int(helpful)
    await session.flush()
    return True


async def speakers(session: AsyncSession, lang: str) -> list[Practitioner]:
    """Practitioners reachable in Telegram who speak `lang`, intercultural assistants first."""
    rows = await session.scalars(
        select(Practitioner)
        .where(Practitioner.telegram_id.is_not(None))
        .order_by(Practitioner.name)
    )
    found = [p for p in rows if lang in p.languages]
    return sorted(found, key=lambda p: not p.intercultural_assistant)


async def practitioner_by_telegram(session: AsyncSession, telegram_id: int) -> Practitioner | None:
    return await session.scalar(select(Practitioner).where(Practitioner.telegram_id == telegram_id))


async def list_tickets(
    session: AsyncSession, *, limit: int = 200, languages: Collection[str] | None = None
) -> list[Ticket]:
    """Open tickets first, urgent ones before the rest, newest first (`languages`: only the
    conversations in these)."""
    query = select(Ticket).options(selectinload(Ticket.messages))
    if languages is not None:
        query = query.where(Ticket.lang.in_(list(languages)))
    rows = await session.scalars(
        query.order_by(Ticket.status.desc(), Ticket.urgent.desc(), Ticket.id.desc()).limit(limit)
    )
    return list(rows)


async def forget(session: AsyncSession, user_key: str) -> int:
    result = await session.execute(delete(Ticket).where(Ticket.user_key == user_key))
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_closed(session: AsyncSession, older_than: timedelta) -> int:
    result = await session.execute(
        delete(Ticket).where(
            Ticket.status == TicketStatus.CLOSED, Ticket.closed_at < utcnow() - older_than
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
