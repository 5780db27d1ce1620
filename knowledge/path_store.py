"""Guided paths in the database: their shape, their words per language (reviewed with the same
core as topics and schools), the seed's import, and each person's progress."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from knowledge.models import GuidedPath, PathProgress, PathRevision, PathText, utcnow
from knowledge.paths import PathDoc, PathTextDoc, checklist
from knowledge.reviewing import Kind, find, keep_revision
from knowledge.versions import bump_content_version

REVIEW_FIELDS = ("status", "reviewed_at", "reviewer")
IMPORTERS = frozenset({"seed", "import"})
"""Who writes a path's words from YAML; anyone else is a practitioner whose edit is kept."""


def text_doc(row: PathText) -> PathTextDoc:
    return PathTextDoc.model_validate(
        {**row.body, "status": row.status, "reviewed_at": row.reviewed_at, "reviewer": row.reviewer}
    )


def write_text(row: PathText, doc: PathTextDoc) -> None:
    row.body = doc.model_dump(mode="json", exclude=set(REVIEW_FIELDS))
    row.status, row.reviewed_at, row.reviewer = doc.status, doc.reviewed_at, doc.reviewer


def text_lines(doc: PathTextDoc) -> list[str]:
    lines = [doc.title, doc.intro]
    for qid, question in doc.questions.items():
        lines.append(f"{qid}: {question.text}")
        lines += [f"  {key}: {label}" for key, label in question.options.items()]
    for sid, step in doc.steps.items():
        lines += [f"{sid}: {step.title}", f"  {step.why}", f"  {step.office}", f"  {step.bring}"]
    return lines


def _made_from(row: PathText) -> str:
    return hashlib.sha256(json.dumps(row.body, sort_keys=True).encode()).hexdigest()


PATH_TEXTS: Kind[PathText, PathTextDoc] = Kind(
    doc_type=PathTextDoc,
    read=text_doc,
    write=write_text,
    new_row=lambda lang: PathText(lang=lang),
    revision=lambda row, **values: PathRevision(text=row, **values),
    lines=text_lines,
    made_from=_made_from,
)


def shape_of(doc: PathDoc) -> dict[str, object]:
    return doc.model_dump(mode="json", include={"order", "questions", "steps"})


def path_doc(row: GuidedPath) -> PathDoc:
    return PathDoc.model_validate(
        {"slug": row.slug, **row.shape, "translations": {t.lang: text_doc(t) for t in row.texts}}
    )


async def get_path(session: AsyncSession, slug: str) -> GuidedPath | None:
    return await session.scalar(
        select(GuidedPath)
        .where(GuidedPath.slug == slug)
        .options(selectinload(GuidedPath.texts).selectinload(PathText.revisions))
    )


async def load_paths(session: AsyncSession) -> list[PathDoc]:
    rows = await session.scalars(select(GuidedPath).options(selectinload(GuidedPath.texts)))
    return sorted((path_doc(row) for row in rows), key=lambda p: (p.order, p.slug))


@dataclass
class PathImport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    """`slug/lang` whose database text a practitioner edited: kept, the seed's not applied."""


async def import_paths(
    session: AsyncSession, docs: Iterable[PathDoc], *, actor: str, force: bool = False
) -> PathImport:
    """Bring paths in: new ones whole; a language's words only where nobody edited them since
    the last import (or with `force`)."""
    report = PathImport()
    changed = False
    for doc in docs:
        row = await get_path(session, doc.slug)
        if row is None:
            row = GuidedPath(slug=doc.slug, shape=shape_of(doc), texts=[])
            session.add(row)
            report.created.append(doc.slug)
            changed = True
        elif row.shape != shape_of(doc):
            row.shape, row.updated_at = shape_of(doc), utcnow()
            report.updated.append(doc.slug)
            changed = True
        for lang, words in doc.translations.items():
            text = find(row.texts, lang)
            if text is None:
                text = PathText(lang=lang)
                write_text(text, words)
                text.updated_by = actor
                row.texts.append(text)
                changed = True
            elif text_doc(text) != words:
                if text.updated_by not in IMPORTERS and not force:
                    report.conflicts.append(f"{doc.slug}/{lang}")
                    continue
                keep_revision(session, PATH_TEXTS, text, actor=actor, action="import")
                write_text(text, words)
                text.updated_by, text.updated_at = actor, utcnow()
                changed = True
                if doc.slug not in report.created + report.updated:
                    report.updated.append(doc.slug)
    await session.flush()
    if changed:
        await bump_content_version(session)
    return report


# --- a person's progress


@dataclass(frozen=True)
class Progress:
    answers: dict[str, str]
    done: frozenset[str]
    reminders: bool = False


async def progress(session: AsyncSession, key: str, slug: str) -> Progress | None:
    row = await _progress_row(session, key, slug)
    if row is None:
        return None
    return Progress(dict(row.answers), frozenset(row.done), row.remind_chat is not None)


async def set_reminders(session: AsyncSession, key: str, slug: str, chat_id: int | None) -> bool:
    """Reminders before this path's deadlines on (to `chat_id`) or off; False: no progress."""
    row = await _progress_row(session, key, slug)
    if row is None:
        return False
    row.remind_chat = chat_id
    await session.flush()
    return True


REMIND_DAYS = (30, 7, 1)
"""How many days before a step's deadline a reminder goes out."""


@dataclass(frozen=True)
class Reminder:
    row_id: int
    user_key: str
    chat_id: int
    path: str
    step: str
    days: int
    mark: int
    """Which of `REMIND_DAYS` this reminder is (the nearest at or above `days`)."""


async def due_reminders(
    session: AsyncSession, paths: Mapping[str, PathDoc], today: date
) -> list[Reminder]:
    """Unticked steps of opted-in people whose deadline is `REMIND_DAYS` away (or nearer and
    not yet reminded at that distance), once each."""
    rows = await session.scalars(select(PathProgress).where(PathProgress.remind_chat.is_not(None)))
    due = []
    for row in rows:
        path = paths.get(row.path)
        if path is None or row.remind_chat is None:
            continue
        for step in checklist(path, row.answers):
            if step.deadline is None or step.id in row.done:
                continue
            left = (step.deadline - today).days
            marks = [d for d in REMIND_DAYS if 0 <= left <= d]
            if marks and f"{step.id}:{min(marks)}" not in row.reminded:
                due.append(
                    Reminder(
                        row.id, row.user_key, row.remind_chat, row.path, step.id, left, min(marks)
                    )
                )
    return due


async def mark_reminded(session: AsyncSession, reminder: Reminder) -> None:
    row = await session.get(PathProgress, reminder.row_id)
    if row is not None:
        row.reminded = sorted({*row.reminded, f"{reminder.step}:{reminder.mark}"})


async def started_paths(session: AsyncSession, key: str) -> list[str]:
    """The paths a person has answers on, most recently touched first."""
    rows = await session.scalars(
        select(PathProgress)
        .where(PathProgress.user_key == key)
        .order_by(PathProgress.updated_at.desc())
    )
    return [row.path for row in rows]


async def save_progress(
    session: AsyncSession, key: str, slug: str, answers: dict[str, str], done: Iterable[str]
) -> None:
    row = await _progress_row(session, key, slug)
    if row is None:
        row = PathProgress(user_key=key, path=slug)
        session.add(row)
    row.answers, row.done, row.updated_at = dict(answers), sorted(set(done)), utcnow()
    await session.flush()


async def drop_progress(session: AsyncSession, key: str, slug: str) -> None:
    await session.execute(
        delete(PathProgress).where(PathProgress.user_key == key, PathProgress.path == slug)
    )


async def _progress_row(session: AsyncSession, key: str, slug: str) -> PathProgress | None:
    return await session.scalar(
        select(PathProgress).where(PathProgress.user_key == key, PathProgress.path == slug)
    )
