"""Typed SQLAlchemy 2 models of the knowledge base.

Translations are rows with a status and a version (as in integreat-cms), not gettext strings:
practitioners edit them at run time. Every change leaves a `Revision` holding the text it
replaced, so no edit is ever lost.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from knowledge.enums import (
    AnnouncementStatus,
    Category,
    DeliveryStatus,
    Role,
    Status,
    TicketStatus,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


ROW_ID = r"[0-9]{1,18}"
"""A row id as text (a path, a form, a button): longer numbers do not fit the database's 64-bit
integers — SQLite raised, PostgreSQL looked unreachable — so they name no row."""


def row_id(text: str) -> int | None:
    text = text.strip()
    return int(text) if re.fullmatch(ROW_ID, text) else None


def utcnow() -> datetime:
    return datetime.now(UTC)


def _enum(cls: type[StrEnum]) -> Enum:
    """Store enum values (not member names) as plain strings, the same on SQLite and PostgreSQL."""
    return Enum(
        cls,
        native_enum=False,
        length=16,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: DateTime(timezone=True)}


class Topic(Base):
    __tablename__ = "topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[Category] = mapped_column(_enum(Category))
    position: Mapped[int] = mapped_column(Integer, default=0)
    related: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioner.id", ondelete="SET NULL"), index=True
    )
    review_due: Mapped[date | None] = mapped_column(
        Date, doc="When the owner should check the topic against its official sources again."
    )

    translations: Mapped[list[Translation]] = relationship(
        back_populates="topic", cascade="all, delete-orphan", order_by="Translation.lang"
    )
    owner: Mapped[Practitioner | None] = relationship()


class Reviewed:
    """What every editable text shares: its review, its editor, and the version that guards it
    against lost concurrent edits (topic translations and schools' information alike)."""

    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.DRAFT)
    reviewed_at: Mapped[datetime | None]
    reviewer: Mapped[str | None] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(120), default="system")
    source_hash: Mapped[str | None] = mapped_column(
        String(64),
        doc="Hash of the Polish text this one was made from: when the Polish text's hash moves "
        "on, the translation is outdated.",
    )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 (SQLAlchemy's class-level hook)
        return {"version_id_col": cls.version}


class Snapshot:
    """A text just before a change: who changed it, when, how, and the old text."""

    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(32))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)


class Translation(Reviewed, Base):
    """One language version of a topic."""

    __tablename__ = "translation"
    __table_args__ = (UniqueConstraint("topic_id", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    clerk_note: Mapped[str | None] = mapped_column(Text)
    valid_until: Mapped[date | None] = mapped_column(
        Date, doc="The last day the answer is known to be right; after it the bot warns."
    )
    phrasings: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    synced_hash: Mapped[str | None] = mapped_column(
        String(64),
        doc="Hash of the text as last imported from or exported to YAML: the base that tells "
        "a practitioner's newer edit from a stale file.",
    )

    topic: Mapped[Topic] = relationship(back_populates="translations")
    sources: Mapped[list[Source]] = relationship(
        back_populates="translation", cascade="all, delete-orphan", order_by="Source.position"
    )
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="translation", cascade="all, delete-orphan", order_by="Revision.id"
    )


class Source(Base):
    __tablename__ = "source"

    id: Mapped[int] = mapped_column(primary_key=True)
    translation_id: Mapped[int] = mapped_column(
        ForeignKey("translation.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(1000))
    homepage: Mapped[str | None] = mapped_column(
        String(300), doc="Why a bare home page is cited on purpose."
    )
    valid_until: Mapped[date | None] = mapped_column(Date)

    translation: Mapped[Translation] = relationship(back_populates="sources")


class LinkCheck(Base):
    """What `witaj kb sources --check` last saw at a source's address.

    Kept per URL, not per source row, because a save replaces a translation's source rows
    while the page they cite stays the same.
    """

    __tablename__ = "link_check"

    url: Mapped[str] = mapped_column(String(1000), primary_key=True)
    checked_at: Mapped[datetime]
    status: Mapped[int | None] = mapped_column(
        Integer, doc="The HTTP status of the last check; None when the site could not be reached."
    )
    problem: Mapped[str | None] = mapped_column(String(300))
    page_hash: Mapped[str | None] = mapped_column(
        String(64), doc="Hash of the page's visible text at the last successful fetch."
    )
    changed_at: Mapped[datetime | None] = mapped_column(
        doc="When a check last found the text different from the one before."
    )


class Revision(Snapshot, Base):
    """A translation just before a change."""

    __tablename__ = "revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    translation_id: Mapped[int] = mapped_column(
        ForeignKey("translation.id", ondelete="CASCADE"), index=True
    )

    translation: Mapped[Translation] = relationship(back_populates="revisions")


class ContentState(Base):
    """A single counter bumped on every content change.

    Replicas compare it with the version their search index was built from, so an edit made
    anywhere reaches every index without a restart.
    """

    __tablename__ = "content_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    seed_hash: Mapped[str | None] = mapped_column(
        String(64), default=None, doc="The seed files last brought in: unchanged, not read again."
    )


class Person(Base):
    """A Telegram user, pseudonymous: a keyed hash of the user id and the chosen language.

    No name, no username, no phone. `/forget` deletes the row and everything keyed by it.
    """

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_key: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str | None] = mapped_column(String(8))
    translation_consent: Mapped[bool | None] = mapped_column(
        doc="May their messages to a person go to an external translation service (asked once)."
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    """👍/👎 on an answer; one vote per person, topic and language (a new vote replaces it)."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("user_key", "topic_id", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_key: Mapped[str] = mapped_column(String(64), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(8))
    helpful: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnansweredQuestion(Base):
    """A question the search abstained on, for practitioners to close the gap."""

    __tablename__ = "unanswered_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_key: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(8))
    score: Mapped[float] = mapped_column(default=0.0)
    guesses: Mapped[list[str]] = mapped_column(JSON, default=list)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AppSecret(Base):
    """Secrets the application makes for itself once (shared by every replica via the DB)."""

    __tablename__ = "app_secret"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class Practitioner(Base):
    """A workspace account: city staff, NGO workers, intercultural assistants, teachers."""

    __tablename__ = "practitioner"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    languages: Mapped[list[str]] = mapped_column(
        JSON, default=list, doc="A translator edits only these; everyone declares what they speak."
    )
    password_hash: Mapped[str] = mapped_column(String(200))
    telegram_id: Mapped[int | None] = mapped_column(
        BigInteger, doc="Where review reminders go; set by the practitioner, optional."
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("school.id", ondelete="SET NULL"),
        doc="For the `school` role: the one school this account edits.",
    )
    intercultural_assistant: Mapped[bool] = mapped_column(
        default=False,
        server_default=false(),
        doc="Named first on a ticket in a language they speak.",
    )
    disabled: Mapped[bool] = mapped_column(
        default=False,
        server_default=false(),
        doc="Cannot log in; every session of the account ended when set.",
    )


class WebSession(Base):
    """A logged-in workspace session. The cookie holds a random token; only its SHA-256 is
    stored, so a copy of the database opens no session. Deleting the row ends the session."""

    __tablename__ = "web_session"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class School(Base):
    """A school that runs preparatory classes; its facts are not translated, its info is."""

    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(
        String(40), unique=True, doc="The deep-link and web-page id: A-Z, a-z, 0-9, _ and -."
    )
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    contact_person: Mapped[str] = mapped_column(String(200), default="")
    staff_languages: Mapped[list[str]] = mapped_column(
        JSON, default=list, doc="Language codes the staff speak with parents."
    )
    assistant: Mapped[bool] = mapped_column(
        default=False, doc="An intercultural assistant works at the school."
    )
    demo: Mapped[bool] = mapped_column(
        default=False, doc="Example data for the sandbox; removed when the bot runs for real."
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    infos: Mapped[list[SchoolInfo]] = relationship(
        back_populates="school", cascade="all, delete-orphan", order_by="SchoolInfo.lang"
    )


class SchoolInfo(Reviewed, Base):
    """A school's preparatory-class information in one language, reviewed like a topic."""

    __tablename__ = "school_info"
    __table_args__ = (UniqueConstraint("school_id", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(8))
    who_can_join: Mapped[str] = mapped_column(Text, default="")
    how_to_apply: Mapped[str] = mapped_column(Text, default="")
    what_to_bring: Mapped[str] = mapped_column(Text, default="")

    school: Mapped[School] = relationship(back_populates="infos")
    revisions: Mapped[list[SchoolRevision]] = relationship(
        back_populates="info", cascade="all, delete-orphan", order_by="SchoolRevision.id"
    )


class SchoolRevision(Snapshot, Base):
    """A school's information just before a change."""

    __tablename__ = "school_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    info_id: Mapped[int] = mapped_column(
        ForeignKey("school_info.id", ondelete="CASCADE"), index=True
    )

    info: Mapped[SchoolInfo] = relationship(back_populates="revisions")


class SchoolOpen(Base):
    """How often a school's link was opened in a week, per channel: a counter, nobody's data."""

    __tablename__ = "school_open"
    __table_args__ = (UniqueConstraint("school_id", "week", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    week: Mapped[date] = mapped_column(Date, doc="The Monday the ISO week starts on.")
    channel: Mapped[str] = mapped_column(String(8), doc="'bot' (deep link) or 'web' (page).")
    count: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    """A migrant's request to talk to a person, relayed through the practitioners' group.

    `chat_id` is the one personal datum, kept because replies must reach the person; `/forget`
    deletes the ticket, and closed tickets go after the retention period.
    """

    __tablename__ = "ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_key: Mapped[str] = mapped_column(String(64), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    lang: Mapped[str] = mapped_column(String(8))
    topic: Mapped[str | None] = mapped_column(String(64), doc="The last topic the person saw.")
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus), default=TicketStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(120))
    rating: Mapped[int | None] = mapped_column(Integer, doc="1 helpful, 0 not helpful.")
    undeliverable: Mapped[bool] = mapped_column(
        default=False, doc="The person blocked the bot: replies cannot reach them."
    )
    urgent: Mapped[bool] = mapped_column(
        default=False,
        server_default=false(),
        doc="Opened from a safety reply, or a message in it tripped the safety check: first in "
        "every list, marked in the group.",
    )

    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketMessage.id"
    )


class TicketMessage(Base):
    """One message of a ticket, either way; `group_message_id` is its post in the group."""

    __tablename__ = "ticket_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    from_migrant: Mapped[bool]
    author: Mapped[str] = mapped_column(String(120), doc="A practitioner's name, or empty.")
    text: Mapped[str] = mapped_column(Text)
    group_message_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")


class Subscription(Base):
    """Someone who asked (`/subscribe`) for announcements or for updates of answers they read.

    Off by default. The chat id is stored only here, with that consent; `/forget` and
    `/subscribe` → off delete it; a person who blocks the bot is switched off.
    """

    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_key: Mapped[str] = mapped_column(String(64), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    lang: Mapped[str] = mapped_column(String(8))
    news: Mapped[bool] = mapped_column(default=False, doc="Announcements to everyone.")
    categories: Mapped[list[str]] = mapped_column(
        JSON, default=list, doc="Announcements of these categories (school, everyday)."
    )
    topics: Mapped[list[str]] = mapped_column(
        JSON, default=list, doc="Slugs whose answer changes the person wants to hear about."
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Announcement(Base):
    """A message per language to an audience, sent by a resumable background job."""

    __tablename__ = "announcement"

    id: Mapped[int] = mapped_column(primary_key=True)
    texts: Mapped[dict[str, str]] = mapped_column(JSON, doc="Language → text (HTML-escaped).")
    audience: Mapped[str] = mapped_column(
        String(80), doc="all, lang:<code>, category:<name> or topic:<slug>."
    )
    topic: Mapped[str | None] = mapped_column(
        String(64), doc="A topic update: its card is one tap away under the message."
    )
    status: Mapped[AnnouncementStatus] = mapped_column(
        _enum(AnnouncementStatus), default=AnnouncementStatus.DRAFT
    )
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="announcement", cascade="all, delete-orphan"
    )


class Delivery(Base):
    """One recipient of an announcement; claimed (`sending`) before the send, so that a crash
    can never make the job send it twice."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("announcement_id", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcement.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    lang: Mapped[str] = mapped_column(String(8))
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus), default=DeliveryStatus.PENDING, index=True
    )
    sent_at: Mapped[datetime | None]

    announcement: Mapped[Announcement] = relationship(back_populates="deliveries")


class UsageCount(Base):
    """Anonymous usage figures for the city team's reports: how often something happened in a
    week, nothing else — no person, no text."""

    __tablename__ = "usage_count"

    week: Mapped[date] = mapped_column(Date, primary_key=True, doc="The Monday of the week.")
    event: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class JobLease(Base):
    """Who runs a periodic job now, and when it last finished: with several replicas each job
    runs on one of them at a time, and a replica that dies loses its lease when it expires."""

    __tablename__ = "job_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), default="")
    expires_at: Mapped[datetime] = mapped_column(doc="The holder must renew before this.")
    last_done: Mapped[datetime | None] = mapped_column(doc="When the job last completed a run.")


class GuidedPath(Base):
    """A guided path's shape: its questions, its steps and their conditions (see
    `knowledge.paths`); its words, per language, are `PathText` rows reviewed like topics."""

    __tablename__ = "guided_path"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    shape: Mapped[dict[str, Any]] = mapped_column(
        JSON, doc="order, questions and steps, as in the path's YAML."
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    texts: Mapped[list[PathText]] = relationship(
        back_populates="path", cascade="all, delete-orphan", order_by="PathText.lang"
    )


class PathText(Reviewed, Base):
    """A path's words in one language."""

    __tablename__ = "path_text"
    __table_args__ = (UniqueConstraint("path_id", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(
        ForeignKey("guided_path.id", ondelete="CASCADE"), index=True
    )
    lang: Mapped[str] = mapped_column(String(8))
    body: Mapped[dict[str, Any]] = mapped_column(
        JSON, doc="title, intro, the questions' and steps' words (PathTextDoc without review)."
    )

    path: Mapped[GuidedPath] = relationship(back_populates="texts")
    revisions: Mapped[list[PathRevision]] = relationship(
        back_populates="text", cascade="all, delete-orphan", order_by="PathRevision.id"
    )


class PathRevision(Snapshot, Base):
    """A path's words in one language just before a change."""

    __tablename__ = "path_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    text_id: Mapped[int] = mapped_column(ForeignKey("path_text.id", ondelete="CASCADE"), index=True)

    text: Mapped[PathText] = relationship(back_populates="revisions")


class PathProgress(Base):
    """One person on one path: their answers and the steps they ticked. Minimal: a keyed
    hash, short answer codes and step ids; `/forget` deletes it."""

    __tablename__ = "path_progress"
    __table_args__ = (UniqueConstraint("user_key", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_key: Mapped[str] = mapped_column(String(64), index=True)
    path: Mapped[str] = mapped_column(String(32))
    answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    done: Mapped[list[str]] = mapped_column(JSON, default=list)
    remind_chat: Mapped[int | None] = mapped_column(
        BigInteger, doc="Only when the person asked for reminders before deadlines: their chat."
    )
    reminded: Mapped[list[str]] = mapped_column(
        JSON, default=list, doc="'step:days' reminders already sent (never twice)."
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
