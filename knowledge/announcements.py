"""Subscriptions and announcements: who asked to hear from us, and the send job's ledger.

Every recipient of an announcement is a `Delivery` row. The job claims a row (`sending`) and
commits before it sends, and marks it `sent` after: a crash in between leaves the row
`sending`, which is never sent again — at most once, never twice. A finished row keeps its
status for the counts, not the chat: the person's Telegram id goes when their message has gone
(or will never go), and a person who unsubscribes is taken off the messages still to send.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge import languages
from knowledge.content import TopicDoc
from knowledge.enums import AnnouncementStatus, Category, DeliveryStatus
from knowledge.i18n import N_, I18n
from knowledge.languages import LANGUAGES
from knowledge.models import Announcement, Delivery, Subscription, utcnow
from knowledge.render import telegram_length

MAX_TEXT = 3500
"""Room for the text in one Telegram message, with the header and a fallback note."""


class AnnouncementError(ValueError):
    """A request the announcement rules refuse; the message says why."""


# --- subscriptions


async def subscription(session: AsyncSession, user_key: str) -> Subscription | None:
    return await session.scalar(select(Subscription).where(Subscription.user_key == user_key))


async def subscribe(
    session: AsyncSession,
    user_key: str,
    chat_id: int,
    lang: str,
    *,
    news: bool | None = None,
    category: str | None = None,
    follow: str | None = None,
    unfollow: str | None = None,
) -> Subscription | None:
    """Change what the person hears about; the row goes when nothing is left."""
    row = await subscription(session, user_key)
    if row is None:
        row = Subscription(user_key=user_key, chat_id=chat_id, lang=lang, categories=[], topics=[])
        session.add(row)
    row.chat_id, row.lang = chat_id, lang
    if news is not None:
        row.news = news
    if category is not None:
        wanted = set(row.categories) ^ {category}
        row.categories = [c.value for c in Category if c.value in wanted]
    if follow is not None and follow not in row.topics:
        row.topics = [*row.topics, follow]
    if unfollow is not None:
        row.topics = [slug for slug in row.topics if slug != unfollow]
    if not (row.news or row.categories or row.topics):
        await session.delete(row)
        await session.flush()
        await _withdraw(session, row.chat_id, None)
        return None
    await session.flush()
    await _withdraw(session, row.chat_id, row)
    return row


async def unsubscribe(session: AsyncSession, user_key: str) -> None:
    row = await subscription(session, user_key)
    if row is not None:
        await session.delete(row)
        await session.flush()
        await _withdraw(session, row.chat_id, None)


async def unsubscribe_chat(session: AsyncSession, chat_id: int) -> None:
    """The person blocked the bot: stop writing to them."""
    for row in await session.scalars(select(Subscription).where(Subscription.chat_id == chat_id)):
        await session.delete(row)
    await _withdraw(session, chat_id, None)


async def _withdraw(session: AsyncSession, chat_id: int, row: Subscription | None) -> None:
    """Messages not sent yet to a chat whose subscription (`row`, None when it is gone) no
    longer asks for them are not sent: an announcement fixes its recipients when it starts,
    and a person who unsubscribes while it is being sent must not get it after all."""
    pending = await session.execute(
        select(Delivery.id, Announcement.audience)
        .join(Announcement, Announcement.id == Delivery.announcement_id)
        .where(Delivery.chat_id == chat_id, Delivery.status == DeliveryStatus.PENDING)
    )
    gone = [d for d, audience in pending if row is None or not _matches(row, audience)]
    if gone:
        await session.execute(
            delete(Delivery)
            .where(Delivery.id.in_(gone), Delivery.status == DeliveryStatus.PENDING)
            .execution_options(synchronize_session=False)
        )


# --- audiences


def audiences(topics: list[str]) -> list[str]:
    """Every audience a practitioner may pick."""
    return [
        "all",
        *(f"lang:{code}" for code in LANGUAGES),
        *(f"category:{c.value}" for c in Category),
        *(f"topic:{slug}" for slug in topics),
    ]


def _matches(row: Subscription, audience: str) -> bool:
    kind, _, value = audience.partition(":")
    if kind == "all":
        return row.news or bool(row.categories)
    if kind == "lang":
        return (row.news or bool(row.categories)) and row.lang == value
    if kind == "category":
        return row.news or value in row.categories
    if kind == "topic":
        return value in row.topics
    return False


async def recipients(session: AsyncSession, audience: str) -> list[Subscription]:
    rows = await session.scalars(select(Subscription).order_by(Subscription.id))
    return [row for row in rows if _matches(row, audience)]


def fallback(texts: dict[str, str], lang: str) -> str | None:
    """The language a recipient reads: theirs, or its fallback (blank texts do not count)."""
    found = languages.pick({k: v for k, v in texts.items() if v.strip()}, lang)
    return found[0] if found else None


@dataclass(frozen=True)
class Preview:
    by_language: dict[str, int]
    """Recipients per language they read."""
    missing: dict[str, int]
    """Languages without a text → how many recipients get a fallback instead."""

    @property
    def total(self) -> int:
        return sum(self.by_language.values())


async def preview(session: AsyncSession, texts: dict[str, str], audience: str) -> Preview:
    wanted = Counter(row.lang for row in await recipients(session, audience))
    missing = {lang: n for lang, n in wanted.items() if not texts.get(lang, "").strip()}
    return Preview(dict(wanted), missing)


# --- announcements


def clean_texts(texts: dict[str, str]) -> dict[str, str]:
    cleaned = {
        lang: text.replace("\r\n", "\n").strip()
        for lang, text in texts.items()
        if lang in LANGUAGES and text.strip()
    }
    if not cleaned:
        raise AnnouncementError("write the message in at least one language")
    too_long = [lang for lang, text in cleaned.items() if telegram_length(text) > MAX_TEXT]
    if too_long:
        raise AnnouncementError(f"at most {MAX_TEXT} characters ({', '.join(too_long)})")
    return cleaned


def check(texts: dict[str, str], audience: str, topics: list[str]) -> dict[str, str]:
    """The texts as they will be sent, or `AnnouncementError` saying what is wrong."""
    cleaned = clean_texts(texts)
    if audience not in audiences(topics):
        raise AnnouncementError(f"unknown audience {audience!r}")
    return cleaned


async def create(
    session: AsyncSession,
    texts: dict[str, str],
    audience: str,
    *,
    created_by: str,
    topics: list[str],
    topic: str | None = None,
) -> Announcement:
    row = Announcement(
        texts=check(texts, audience, topics), audience=audience, topic=topic, created_by=created_by
    )
    session.add(row)
    await session.flush()
    return row


async def start(session: AsyncSession, announcement: Announcement) -> int:
    """Fix the recipients and hand the announcement to the send job; how many will get it."""
    if announcement.status is not AnnouncementStatus.DRAFT:
        raise AnnouncementError("this announcement was sent already")
    seen: set[int] = set()
    for row in await recipients(session, announcement.audience):
        if row.chat_id in seen:
            continue
        seen.add(row.chat_id)
        session.add(Delivery(announcement_id=announcement.id, chat_id=row.chat_id, lang=row.lang))
    announcement.status = AnnouncementStatus.SENDING
    announcement.started_at = utcnow()
    await session.flush()
    return len(seen)


async def cancel(session: AsyncSession, announcement: Announcement) -> None:
    if announcement.status is AnnouncementStatus.SENDING:
        announcement.status = AnnouncementStatus.CANCELLED
        announcement.finished_at = utcnow()
        await session.flush()


async def get(session: AsyncSession, announcement_id: int) -> Announcement | None:
    return await session.get(Announcement, announcement_id)


async def sending(session: AsyncSession) -> list[Announcement]:
    rows = await session.scalars(
        select(Announcement)
        .where(Announcement.status == AnnouncementStatus.SENDING)
        .order_by(Announcement.id)
    )
    return list(rows)


async def claim(session: AsyncSession, announcement_id: int, limit: int) -> list[Delivery]:
    """Take up to `limit` pending deliveries for this worker (another worker gets others)."""
    candidates = list(
        await session.scalars(
            select(Delivery)
            .where(
                Delivery.announcement_id == announcement_id,
                Delivery.status == DeliveryStatus.PENDING,
            )
            .order_by(Delivery.id)
            .limit(limit)
        )
    )
    claimed = []
    for row in candidates:
        taken = await session.execute(
            update(Delivery)
            .where(Delivery.id == row.id, Delivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.SENDING)
            .execution_options(synchronize_session=False)
        )
        if getattr(taken, "rowcount", 0) == 1:
            claimed.append(row)
    return claimed


async def pending_count(session: AsyncSession) -> int:
    """Deliveries still to go across every announcement being sent."""
    left = await session.scalar(
        select(func.count())
        .select_from(Delivery)
        .join(Announcement, Announcement.id == Delivery.announcement_id)
        .where(
            Announcement.status == AnnouncementStatus.SENDING,
            Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
        )
    )
    return int(left or 0)


FORGOTTEN = -Delivery.id
"""What a finished delivery keeps in place of the chat id: a number no chat has (people's
chats are positive: the bot talks in private chats only), unique within the announcement as
the table requires."""


async def finish(session: AsyncSession, delivery_id: int, status: DeliveryStatus) -> None:
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(
            status=status,
            sent_at=utcnow() if status is DeliveryStatus.SENT else None,
            chat_id=FORGOTTEN,
        )
        .execution_options(synchronize_session=False)
    )


async def forget_finished(session: AsyncSession) -> int:
    """Chat ids of deliveries that will never be sent: claimed before a crash, or left
    pending by a cancelled announcement (the counts stay)."""
    done = select(Announcement.id).where(
        Announcement.status.in_((AnnouncementStatus.DONE, AnnouncementStatus.CANCELLED))
    )
    result = await session.execute(
        update(Delivery)
        .where(Delivery.chat_id != FORGOTTEN, Delivery.announcement_id.in_(done))
        .values(chat_id=FORGOTTEN)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def close_if_done(session: AsyncSession, announcement: Announcement) -> bool:
    left = await session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.announcement_id == announcement.id,
            Delivery.status == DeliveryStatus.PENDING,
        )
    )
    if left:
        return False
    announcement.status = AnnouncementStatus.DONE
    announcement.finished_at = utcnow()
    return True


@dataclass(frozen=True)
class Progress:
    announcement: Announcement
    counts: dict[DeliveryStatus, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.total - self.counts.get(DeliveryStatus.PENDING, 0)

    @property
    def sent(self) -> int:
        return self.counts.get(DeliveryStatus.SENT, 0)

    @property
    def blocked(self) -> int:
        return self.counts.get(DeliveryStatus.BLOCKED, 0)

    @property
    def failed(self) -> int:
        """Failed, and — once the job moved on — claimed but never confirmed (a crash)."""
        unconfirmed = (
            self.counts.get(DeliveryStatus.SENDING, 0)
            if self.announcement.status is not AnnouncementStatus.SENDING
            else 0
        )
        return self.counts.get(DeliveryStatus.FAILED, 0) + unconfirmed

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.done / self.total)


async def progress(session: AsyncSession, limit: int = 50) -> list[Progress]:
    """The newest announcements with their delivery counts."""
    rows = list(
        await session.scalars(select(Announcement).order_by(Announcement.id.desc()).limit(limit))
    )
    counts = await session.execute(
        select(Delivery.announcement_id, Delivery.status, func.count())
        .where(Delivery.announcement_id.in_([r.id for r in rows]))
        .group_by(Delivery.announcement_id, Delivery.status)
    )
    by_id: dict[int, dict[DeliveryStatus, int]] = {}
    for announcement_id, status, n in counts:
        by_id.setdefault(announcement_id, {})[DeliveryStatus(status)] = int(n)
    return [Progress(row, by_id.get(row.id, {})) for row in rows]


UPDATED = N_("🔄 The answer “{title}” has changed. Please read it again.")


def topic_update_texts(i18n: I18n, topic: TopicDoc) -> dict[str, str]:
    """The notice for people who follow a topic, in every language, with its title there."""
    texts = {}
    for lang in LANGUAGES:
        found = languages.pick(topic.translations, lang)
        name = found[1].title if found else topic.slug
        texts[lang] = i18n.get(lang).gettext(UPDATED).format(title=name)
    return texts
