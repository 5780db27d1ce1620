"""What the workspace editor does to a translation: save, review, restore — and never lose text.

Saving names the version the editor started from. When someone else saved in between, nothing
is written and `EditConflictError` carries the text now stored, so the page can show both.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from knowledge.content import TranslationDoc
from knowledge.enums import Status
from knowledge.languages import SOURCE_LANGUAGE
from knowledge.matrix import text_hash
from knowledge.models import Snapshot, Topic, Translation, utcnow
from knowledge.repository import bump_content_version, save_translation, translation_doc


class EditConflictError(Exception):
    def __init__(self, stored: TranslationDoc, version: int, by: str) -> None:
        super().__init__(f"saved meanwhile by {by} (version {version})")
        self.stored = stored
        self.version = version
        self.by = by


@dataclass(frozen=True)
class Change:
    """One step of a text's history: what a revision held and what replaced it."""

    revision: Snapshot
    diff: list[str]


async def get_topic(session: AsyncSession, slug: str) -> Topic | None:
    return await session.scalar(
        select(Topic)
        .where(Topic.slug == slug)
        .options(
            selectinload(Topic.translations).selectinload(Translation.sources),
            selectinload(Topic.translations).selectinload(Translation.revisions),
        )
    )


def translation(topic: Topic, lang: str) -> Translation | None:
    return next((tr for tr in topic.translations if tr.lang == lang), None)


async def save(
    session: AsyncSession,
    topic: Topic,
    lang: str,
    doc: TranslationDoc,
    *,
    base_version: int | None,
    actor: str,
    reviewed: bool,
    action: str = "edit",
) -> Translation:
    """Store an editor's text, stamping the review when asked; bumps the content version."""
    row = translation(topic, lang)
    if row is not None and base_version != row.version:
        raise EditConflictError(translation_doc(row), row.version, row.updated_by)
    if reviewed:
        doc = doc.model_copy(
            update={"status": Status.REVIEWED, "reviewed_at": utcnow(), "reviewer": actor}
        )
    elif row is None or _content(translation_doc(row)) != _content(doc):
        # New or changed text that nobody vouched for yet is a draft; the last review stays
        # on record until the next one.
        doc = doc.model_copy(update={"status": Status.DRAFT})
    if row is None:
        row = Translation(lang=lang, sources=[], revisions=[])
        topic.translations.append(row)
        await save_translation(session, row, doc, actor=actor, action="create", keep_old=False)
    else:
        await save_translation(session, row, doc, actor=actor, action=action)
    polish = translation(topic, SOURCE_LANGUAGE)
    if lang != SOURCE_LANGUAGE and polish is not None:
        row.source_hash = text_hash(polish.title, polish.answer, polish.summary)
    await bump_content_version(session)
    return row


async def restore(
    session: AsyncSession, topic: Topic, lang: str, revision_id: int, *, actor: str
) -> Translation:
    row = translation(topic, lang)
    revision = next((r for r in row.revisions if r.id == revision_id), None) if row else None
    if row is None or revision is None:
        raise LookupError(f"{topic.slug}/{lang} has no revision {revision_id}")
    doc = TranslationDoc.model_validate(revision.snapshot)
    return await save(
        session,
        topic,
        lang,
        doc.model_copy(update={"status": Status.DRAFT}),
        base_version=row.version,
        actor=actor,
        reviewed=False,
        action=f"restore {revision.version}",
    )


def history(row: Translation) -> list[Change]:
    """Newest first: each revision's text against the text that replaced it."""
    texts = [_text(TranslationDoc.model_validate(r.snapshot)) for r in row.revisions]
    texts.append(_text(translation_doc(row)))
    changes = [
        Change(
            revision,
            list(difflib.unified_diff(texts[i], texts[i + 1], lineterm="", n=1))[2:],
        )
        for i, revision in enumerate(row.revisions)
    ]
    return changes[::-1]


def _content(doc: TranslationDoc) -> TranslationDoc:
    return doc.model_copy(update={"status": Status.DRAFT, "reviewed_at": None, "reviewer": None})


def _text(doc: TranslationDoc) -> list[str]:
    return [
        doc.title,
        *([f"⏳ {doc.valid_until.isoformat()}"] if doc.valid_until else []),
        "",
        *(f"» {line}" for line in (doc.summary or "").splitlines()),
        "",
        *doc.answer.splitlines(),
        "",
        *(f"🏛 {line}" for line in (doc.clerk_note or "").splitlines()),
        *(f"? {p}" for p in doc.phrasings),
        *(f"# {k}" for k in doc.keywords),
        *(f"🔗 {s.title} {s.url}" for s in doc.sources),
        f"[{doc.status.value}]",
    ]
