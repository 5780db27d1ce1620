"""Schools with preparatory classes: their facts, their information per language, link counts.

A school's facts (name, address, contacts) are written once; what parents need to read — who
can join, how to apply, what to bring — is kept per language with the same draft/reviewed
status and history as a topic's translation. `SchoolDoc` is the validated exchange shape: CSV
import, `witaj school add`, and the in-memory directory the bot reads from.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from babel import Locale
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from knowledge import languages, reviewing
from knowledge.enums import Status
from knowledge.languages import LANGUAGES, SOURCE_LANGUAGE
from knowledge.models import School, SchoolInfo, SchoolOpen, SchoolRevision
from knowledge.reviewing import Cell
from knowledge.versions import bump_content_version

CODE = re.compile(r"[A-Za-z0-9_-]{1,40}")
"""A school code is the tail of a Telegram start payload, whose alphabet it keeps."""

INFO_FIELDS = ("who_can_join", "how_to_apply", "what_to_bring")
_SPOKEN = frozenset(Locale("en").languages)
"""Two-letter language codes staff may speak: every language Babel can name (not only ours)."""

Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=3000)]


class SchoolInfoDoc(BaseModel):
    """Preparatory-class information in one language."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    who_can_join: Text = ""
    how_to_apply: Text = ""
    what_to_bring: Text = ""
    status: Status = Status.DRAFT
    reviewed_at: datetime | None = None
    reviewer: str | None = None

    def text(self) -> tuple[str, str, str]:
        return (self.who_can_join, self.how_to_apply, self.what_to_bring)

    def is_empty(self) -> bool:
        return not any(self.text())


class SchoolDoc(BaseModel):
    """A school as imported, added on the command line, and read by the bot."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    district: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    address: Line = ""
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = ""
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    website: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    contact_person: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    staff_languages: tuple[str, ...] = ()
    assistant: bool = False
    demo: bool = False
    infos: dict[str, SchoolInfoDoc] = Field(default_factory=dict)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not CODE.fullmatch(value):
            raise ValueError("a school code is 1-40 of A-Z, a-z, 0-9, '_' and '-'")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError("not an e-mail address")
        return value

    @field_validator("website")
    @classmethod
    def _website(cls, value: str) -> str:
        if value and not re.fullmatch(r"https?://[^\s]+\.[^\s]+", value):
            raise ValueError("a website starts with https:// or http://")
        return value

    @field_validator("staff_languages", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return re.split(r"[\s,;]+", value.strip()) if isinstance(value, str) else value

    @field_validator("staff_languages")
    @classmethod
    def _spoken(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        codes = tuple(dict.fromkeys(code.strip().lower() for code in value if code.strip()))
        unknown = [code for code in codes if code not in _SPOKEN]
        if unknown:
            raise ValueError(f"unknown language code {', '.join(unknown)} (use ISO codes: uk, ar)")
        return codes

    @field_validator("infos")
    @classmethod
    def _languages(cls, value: dict[str, SchoolInfoDoc]) -> dict[str, SchoolInfoDoc]:
        unknown = [lang for lang in value if lang not in LANGUAGES]
        if unknown:
            raise ValueError(f"unknown language {', '.join(unknown)}; use {', '.join(LANGUAGES)}")
        return {lang: info for lang, info in value.items() if not info.is_empty()}

    def pick(self, lang: str) -> tuple[str, SchoolInfoDoc] | None:
        """The reader's language, or its fallback (see `knowledge.languages.fallback_order`)."""
        return languages.pick(self.infos, lang)


FACTS = tuple(name for name in SchoolDoc.model_fields if name not in ("code", "infos", "demo"))


class SchoolError(ValueError):
    """What a practitioner asked for that the school rules refuse; the message says why."""


# --- reading


def _with_infos() -> Any:
    return selectinload(School.infos).selectinload(SchoolInfo.revisions)


async def get_school(session: AsyncSession, code: str) -> School | None:
    if not CODE.fullmatch(code):
        return None
    return await session.scalar(select(School).where(School.code == code).options(_with_infos()))


async def list_schools(session: AsyncSession, *, demo: bool = True) -> list[School]:
    query = (
        select(School).options(selectinload(School.infos)).order_by(School.district, School.name)
    )
    if not demo:
        query = query.where(School.demo.is_(False))
    return list(await session.scalars(query))


def info_doc(row: SchoolInfo) -> SchoolInfoDoc:
    return SchoolInfoDoc(
        who_can_join=row.who_can_join,
        how_to_apply=row.how_to_apply,
        what_to_bring=row.what_to_bring,
        status=row.status,
        reviewed_at=row.reviewed_at,
        reviewer=row.reviewer,
    )


def school_doc(row: School) -> SchoolDoc:
    return SchoolDoc(
        code=row.code,
        **{name: getattr(row, name) for name in FACTS},
        demo=row.demo,
        infos={info.lang: info_doc(info) for info in row.infos},
    )


async def load_directory(session: AsyncSession, *, demo: bool) -> dict[str, SchoolDoc]:
    """Every school as the bot reads it, by code (demo schools only where `demo`)."""
    return {row.code: school_doc(row) for row in await list_schools(session, demo=demo)}


def info(school: School, lang: str) -> SchoolInfo | None:
    return reviewing.find(school.infos, lang)


def info_hash(doc: SchoolInfoDoc) -> str:
    # The form stored since the schools came in (schema 0004): the three texts, a blank line.
    return hashlib.sha256(("\n".join(doc.text()) + "\n\n").encode()).hexdigest()


def _write_info(row: SchoolInfo, doc: SchoolInfoDoc) -> None:
    for name in (*INFO_FIELDS, "status", "reviewed_at", "reviewer"):
        setattr(row, name, getattr(doc, name))


def _lines(doc: SchoolInfoDoc) -> list[str]:
    return [
        line for name, text in zip(INFO_FIELDS, doc.text(), strict=True)
        for line in (f"[{name}]", *text.splitlines())
    ] + [f"[{doc.status.value}]"]  # fmt: skip


INFOS: reviewing.Kind[SchoolInfo, SchoolInfoDoc] = reviewing.Kind(
    doc_type=SchoolInfoDoc,
    read=info_doc,
    write=_write_info,
    new_row=lambda lang: SchoolInfo(lang=lang, revisions=[]),
    revision=lambda row, **fields: SchoolRevision(info=row, **fields),
    lines=_lines,
    made_from=lambda row: info_hash(info_doc(row)),
)
"""Schools' information per language, for the reviewed-editing core."""


def cell(school: School, lang: str) -> Cell:
    """Missing, draft, reviewed or outdated — the topic matrix's rule, for a school's text."""
    return reviewing.cell(INFOS, info(school, lang), info(school, SOURCE_LANGUAGE))


# --- writing


async def add_school(session: AsyncSession, doc: SchoolDoc, *, actor: str) -> School:
    if await session.scalar(select(School.id).where(School.code == doc.code)) is not None:
        raise SchoolError(f"a school with code {doc.code!r} already exists")
    school = School(code=doc.code, demo=doc.demo, infos=[])
    session.add(school)
    await _upsert(session, school, doc, actor=actor)
    return school


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


async def import_schools(
    session: AsyncSession, docs: list[SchoolDoc], *, actor: str = "import"
) -> ImportReport:
    """Create or update schools by code; the caller owns the (single) transaction."""
    report = ImportReport()
    existing = {
        row.code: row
        for row in await session.scalars(
            select(School).where(School.code.in_([doc.code for doc in docs])).options(_with_infos())
        )
    }
    for doc in docs:
        school = existing.get(doc.code)
        if school is None:
            school = School(code=doc.code, demo=doc.demo, infos=[])
            session.add(school)
            await _upsert(session, school, doc, actor=actor)
            report.created.append(doc.code)
        elif await _upsert(session, school, doc, actor=actor):
            report.updated.append(doc.code)
        else:
            report.unchanged.append(doc.code)
    return report


async def _upsert(session: AsyncSession, school: School, doc: SchoolDoc, *, actor: str) -> bool:
    changed = update_facts(school, doc)
    for lang, incoming in doc.infos.items():
        row = info(school, lang)
        if row is None or info_doc(row).text() != incoming.text():
            await reviewing.save(
                session, INFOS, school.infos, lang, incoming,
                base_version=row.version if row else None, actor=actor, reviewed=False,
                action="import",
            )  # fmt: skip
            changed = True
    if changed:
        await session.flush()
        await bump_content_version(session)
    return changed


async def save_facts(session: AsyncSession, school: School, doc: SchoolDoc) -> None:
    if update_facts(school, doc):
        await session.flush()
        await bump_content_version(session)


def update_facts(school: School, doc: SchoolDoc) -> bool:
    """Copy the untranslated facts; True when any of them changed."""
    changed = False
    for name in FACTS:
        value = getattr(doc, name)
        value = list(value) if isinstance(value, tuple) else value
        if getattr(school, name, None) != value:
            setattr(school, name, value)
            changed = True
    return changed


async def remove_demo(session: AsyncSession) -> int:
    """Delete the sandbox's example schools (the bot is about to run for real)."""
    removed = await session.execute(delete(School).where(School.demo.is_(True)))
    count = int(getattr(removed, "rowcount", 0) or 0)
    if count:
        await bump_content_version(session)
    return count


# --- link analytics: counters per school, week and channel; no person in them


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def record_open(session: AsyncSession, code: str, channel: str, day: date) -> bool:
    """Count one opening of a school's link; False when no such school exists."""
    school_id = await session.scalar(select(School.id).where(School.code == code))
    if school_id is None:
        return False
    week = week_of(day)
    bump = (
        update(SchoolOpen)
        .where(
            SchoolOpen.school_id == school_id,
            SchoolOpen.week == week,
            SchoolOpen.channel == channel,
        )
        .values(count=SchoolOpen.count + 1)
    )
    if getattr(await session.execute(bump), "rowcount", 0):
        return True
    # Two first openings of a week may race: the unique constraint keeps one row, and the
    # loser counts as an update instead.
    try:
        async with session.begin_nested():
            session.add(SchoolOpen(school_id=school_id, week=week, channel=channel, count=1))
    except IntegrityError:
        await session.execute(bump)
    return True


def week_span(today: date, weeks: int = 8) -> list[date]:
    """The Mondays of the last `weeks` weeks, oldest first, this week last."""
    this = week_of(today)
    return [this - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


@dataclass(frozen=True)
class WeekCount:
    week: date
    bot: int
    web: int


async def opens_by_week(
    session: AsyncSession, today: date, *, weeks: int = 8
) -> dict[int, list[WeekCount]]:
    """Per school id: the last `weeks` weeks, oldest first, zero where nobody opened."""
    span = week_span(today, weeks)
    first = span[0]
    rows = await session.execute(
        select(
            SchoolOpen.school_id, SchoolOpen.week, SchoolOpen.channel, func.sum(SchoolOpen.count)
        )
        .where(SchoolOpen.week >= first)
        .group_by(SchoolOpen.school_id, SchoolOpen.week, SchoolOpen.channel)
    )
    counts: dict[tuple[int, date, str], int] = {
        (school_id, week, channel): int(total) for school_id, week, channel, total in rows
    }
    ids = {key[0] for key in counts}
    return {
        school_id: [
            WeekCount(w, counts.get((school_id, w, "bot"), 0), counts.get((school_id, w, "web"), 0))
            for w in span
        ]
        for school_id in ids
    }


class OncePerDay:
    """Whether a visitor opened a school's link already today — so that reloading a page (or
    a script) cannot inflate the counters. Only keyed hashes live here, in memory, with a key
    that dies with the process; nothing about visitors is stored anywhere."""

    def __init__(self, size: int = 200_000) -> None:
        self.size = size
        self._key = secrets.token_bytes(16)
        self._day: date | None = None
        self._seen: set[bytes] = set()

    def first(self, visitor: str, code: str, today: date | None = None) -> bool:
        today = today or date.today()
        if today != self._day or len(self._seen) >= self.size:
            self._day, self._seen = today, set()
        mark = hashlib.blake2b(f"{visitor}|{code}".encode(), key=self._key, digest_size=12)
        digest = mark.digest()
        if digest in self._seen:
            return False
        self._seen.add(digest)
        return True
