"""One reviewed-editing core for every text practitioners edit — topics' translations and
schools' information alike.

What they share: a status (draft until someone vouches for it), a revision that keeps every
replaced text, restore, an optimistic lock (a save names the version it started from; when
someone else saved in between, nothing is written and `EditConflictError` carries what is
stored now, so the page can show both), and "outdated" (a translation remembers the hash of
the Polish text it was made from). A `Kind` tells the core how to read and write one sort.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.enums import Status
from knowledge.languages import LANGUAGES, SOURCE_LANGUAGE
from knowledge.models import Reviewed, Snapshot, utcnow
from knowledge.versions import bump_content_version


class ReviewedDoc(Protocol):
    """The exchange shape of an edited text (a pydantic model)."""

    status: Status
    reviewed_at: Any
    reviewer: str | None

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Any: ...

    def model_dump(self, *, mode: str = "python") -> dict[str, Any]: ...


class RevisedRow(Protocol):
    lang: str
    status: Status
    version: int
    updated_by: str
    source_hash: str | None
    revisions: list[Any]


D = TypeVar("D", bound=BaseModel)
R = TypeVar("R", bound=Reviewed)


class Cell(StrEnum):
    """Where a text stands."""

    MISSING = "missing"
    DRAFT = "draft"
    REVIEWED = "reviewed"
    OUTDATED = "outdated"
    """The Polish text changed after this translation was made."""


class EditConflictError(Exception):
    def __init__(self, stored: Any, version: int, by: str) -> None:
        super().__init__(f"saved meanwhile by {by} (version {version})")
        self.stored = stored
        self.version = version
        self.by = by


@dataclass(frozen=True)
class Change:
    """One step of a text's history: what a revision held and what replaced it."""

    revision: Snapshot
    diff: list[str]


@dataclass(frozen=True)
class Kind(Generic[R, D]):
    doc_type: type[D]
    read: Callable[[R], D]
    """The row as its exchange document."""
    write: Callable[[R, D], None]
    """Copy a document's text and review stamp into the row."""
    new_row: Callable[[str], R]
    revision: Callable[..., Snapshot]
    """A new revision of a row (`revision(row, version=…, …)`), attached through its
    relationship, which does not load the row's whole history."""
    lines: Callable[[D], list[str]]
    """The text as lines, for the history's diffs."""
    made_from: Callable[[R], str]
    """The hash of a Polish row's text, that translations made from it remember (read from
    the row's own columns: no relationship is loaded)."""

    def text(self, doc: D) -> D:
        """The document without its review stamp: what "the text changed" compares."""
        return doc.model_copy(
            update={"status": Status.DRAFT, "reviewed_at": None, "reviewer": None}
        )


def find(rows: Sequence[R], lang: str) -> R | None:
    return next((row for row in rows if row.lang == lang), None)  # type: ignore[attr-defined]


def keep_revision(
    session: AsyncSession, kind: Kind[R, D], row: R, *, actor: str, action: str
) -> None:
    """Put the row's current text into its history before it is replaced."""
    revision = kind.revision(
        row,
        version=row.version,
        changed_by=actor,
        action=action,
        snapshot=kind.read(row).model_dump(mode="json"),
    )
    session.add(revision)


async def save(
    session: AsyncSession,
    kind: Kind[R, D],
    rows: list[R],
    lang: str,
    doc: D,
    *,
    base_version: int | None,
    actor: str,
    reviewed: bool,
    action: str = "edit",
) -> R:
    """Store an editor's text in `rows` (the owner's list of languages), keeping the replaced
    text as a revision and stamping the review when asked; bumps the content version."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    row = find(rows, lang)
    if row is not None and base_version != row.version:
        raise EditConflictError(kind.read(row), row.version, row.updated_by)
    if reviewed:
        doc = doc.model_copy(
            update={"status": Status.REVIEWED, "reviewed_at": utcnow(), "reviewer": actor}
        )
    elif row is None or kind.text(kind.read(row)) != kind.text(doc):
        # New or changed text that nobody vouched for yet is a draft; the last review stays on
        # record until the next one.
        doc = doc.model_copy(update={"status": Status.DRAFT})
    if row is None:
        row = kind.new_row(lang)
        rows.append(row)
    else:
        keep_revision(session, kind, row, actor=actor, action=action)
    kind.write(row, doc)
    row.updated_at = utcnow()
    row.updated_by = actor
    polish = find(rows, SOURCE_LANGUAGE)
    if lang != SOURCE_LANGUAGE and polish is not None:
        row.source_hash = kind.made_from(polish)
    await session.flush()
    await bump_content_version(session)
    return row


async def restore(
    session: AsyncSession,
    kind: Kind[R, D],
    rows: list[R],
    lang: str,
    revision_id: int,
    *,
    actor: str,
) -> R:
    """Bring an earlier text back, as a draft (the text it replaces goes into the history)."""
    row = find(rows, lang)
    revisions = row.revisions if row is not None else []  # type: ignore[attr-defined]
    revision = next((r for r in revisions if r.id == revision_id), None)
    if row is None or revision is None:
        raise LookupError(f"{lang} has no revision {revision_id}")
    doc = kind.doc_type.model_validate(revision.snapshot)
    return await save(
        session,
        kind,
        rows,
        lang,
        doc.model_copy(update={"status": Status.DRAFT}),
        base_version=row.version,
        actor=actor,
        reviewed=False,
        action=f"restore {revision.version}",
    )


def history(kind: Kind[R, D], row: R) -> list[Change]:
    """Newest first: each revision's text against the text that replaced it."""
    revisions = row.revisions  # type: ignore[attr-defined]
    texts = [kind.lines(kind.doc_type.model_validate(r.snapshot)) for r in revisions]
    texts.append(kind.lines(kind.read(row)))
    changes = [
        Change(revision, list(difflib.unified_diff(texts[i], texts[i + 1], lineterm="", n=1))[2:])
        for i, revision in enumerate(revisions)
    ]
    return changes[::-1]


def cell(kind: Kind[R, D], row: R | None, polish: R | None) -> Cell:
    """Missing, draft, reviewed or outdated: one rule for every sort of text."""
    if row is None:
        return Cell.MISSING
    if (
        row.lang != SOURCE_LANGUAGE  # type: ignore[attr-defined]
        and polish is not None
        and row.source_hash is not None
        and row.source_hash != kind.made_from(polish)
    ):
        return Cell.OUTDATED
    return Cell.REVIEWED if row.status is Status.REVIEWED else Cell.DRAFT
