"""Every query the knowledge base makes. Handlers and services call these; none builds SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from knowledge import reviewing
from knowledge.content import SourceDoc, TopicDoc, TranslationDoc, text_hash
from knowledge.languages import SOURCE_LANGUAGE
from knowledge.models import Revision, Source, Topic, Translation, utcnow
from knowledge.versions import bump_content_version


def translation_doc(row: Translation) -> TranslationDoc:
    return TranslationDoc(
        title=row.title,
        status=row.status,
        reviewed_at=row.reviewed_at,
        reviewer=row.reviewer,
        valid_until=row.valid_until,
        summary=row.summary,
        answer=row.answer,
        clerk_note=row.clerk_note,
        phrasings=tuple(row.phrasings),
        keywords=tuple(row.keywords),
        sources=tuple(
            SourceDoc(title=s.title, url=s.url, homepage=s.homepage, valid_until=s.valid_until)
            for s in row.sources
        ),
    )


def topic_doc(row: Topic) -> TopicDoc:
    return TopicDoc(
        slug=row.slug,
        category=row.category,
        order=row.position,
        related=tuple(row.related),
        translations={tr.lang: translation_doc(tr) for tr in row.translations},
    )


def _whole_topics() -> Select[Topic]:
    """Every topic with its translations and their sources, in the knowledge base's order."""
    return (
        select(Topic)
        .options(selectinload(Topic.translations).selectinload(Translation.sources))
        .order_by(Topic.position, Topic.slug)
    )


async def load_topics(session: AsyncSession) -> list[TopicDoc]:
    """The whole knowledge base as exchange documents (for export, search index and lint)."""
    return [topic_doc(row) for row in await session.scalars(_whole_topics())]


async def topic_batches(session: AsyncSession, size: int = 200) -> AsyncIterator[list[TopicDoc]]:
    """The whole knowledge base in its order, a batch of rows at a time: the search and the
    catalogue are built from ten thousand topics without holding them all at once."""
    rows = await session.stream_scalars(_whole_topics().execution_options(yield_per=size))
    async for batch in rows.partitions():
        yield [topic_doc(row) for row in batch]


async def count_topics(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Topic)) or 0)


def write_translation(row: Translation, doc: TranslationDoc) -> None:
    """Copy a document's text, sources and review stamp into the row."""
    row.title = doc.title
    row.summary = doc.summary
    row.answer = doc.answer
    row.clerk_note = doc.clerk_note
    row.valid_until = doc.valid_until
    row.phrasings = list(doc.phrasings)
    row.keywords = list(doc.keywords)
    row.status = doc.status
    row.reviewed_at = doc.reviewed_at
    row.reviewer = doc.reviewer
    row.sources = [
        Source(position=i, title=s.title, url=s.url, homepage=s.homepage, valid_until=s.valid_until)
        for i, s in enumerate(doc.sources)
    ]


def translation_lines(doc: TranslationDoc) -> list[str]:
    """A translation as lines, for the history's diffs."""
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


TRANSLATIONS: reviewing.Kind[Translation, TranslationDoc] = reviewing.Kind(
    doc_type=TranslationDoc,
    read=translation_doc,
    write=write_translation,
    new_row=lambda lang: Translation(lang=lang, sources=[], revisions=[]),
    revision=lambda row, **fields: Revision(translation=row, **fields),
    lines=translation_lines,
    made_from=lambda row: text_hash(row.title, row.answer, row.summary),
)
"""Topics' translations, for the reviewed-editing core."""


async def save_translation(
    session: AsyncSession,
    row: Translation,
    doc: TranslationDoc,
    *,
    actor: str,
    action: str,
    keep_old: bool = True,
) -> None:
    """Replace a translation's text as it is (import, learned phrasings), keeping the replaced
    text as a revision; the editor's saves go through `knowledge.editing`."""
    if keep_old:
        reviewing.keep_revision(session, TRANSLATIONS, row, actor=actor, action=action)
    write_translation(row, doc)
    row.updated_at = utcnow()
    row.updated_by = actor
    await session.flush()


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


async def import_topics(
    session: AsyncSession, docs: list[TopicDoc], *, actor: str = "import", force: bool = False
) -> ImportReport:
    """Upsert topics from exchange documents; the caller owns the transaction.

    A translation edited in the database since it was last imported is a conflict: it is kept
    and reported, unless `force` — and even then its old text stays in the revision history.
    """
    report = ImportReport()
    existing = {
        t.slug: t
        for t in await session.scalars(
            select(Topic).options(
                selectinload(Topic.translations).selectinload(Translation.sources)
            )
        )
    }
    for doc in docs:
        topic = existing.get(doc.slug)
        if topic is None:
            topic = Topic(slug=doc.slug, category=doc.category, position=doc.order, related=[])
            topic.translations = []
            session.add(topic)
        topic.category = doc.category
        topic.position = doc.order
        topic.related = list(doc.related)
        by_lang = {tr.lang: tr for tr in topic.translations}
        polish = doc.translations.get(SOURCE_LANGUAGE)
        # A file's translations were made from the Polish text in the same file.
        source_hash = polish.made_from() if polish else None
        for lang, tr_doc in doc.translations.items():
            key = f"{doc.slug}/{lang}"
            incoming = tr_doc.fingerprint()
            row = by_lang.get(lang)
            if row is None:
                row = Translation(lang=lang, sources=[])
                write_translation(row, tr_doc)
                row.updated_by = actor
                row.synced_hash = incoming
                row.source_hash = _source(lang, source_hash)
                topic.translations.append(row)
                report.created.append(key)
                continue
            current = translation_doc(row).fingerprint()
            if current == incoming:
                row.synced_hash = incoming
                if row.source_hash is None:
                    row.source_hash = _source(lang, source_hash)
                report.unchanged.append(key)
            elif row.synced_hash == current or force:
                await save_translation(session, row, tr_doc, actor=actor, action="import")
                row.synced_hash = incoming
                row.source_hash = _source(lang, source_hash)
                report.updated.append(key)
            else:
                report.conflicts.append(key)
    await session.flush()
    if report.changed:
        await bump_content_version(session)
    return report


def _source(lang: str, source_hash: str | None) -> str | None:
    return None if lang == SOURCE_LANGUAGE else source_hash


async def get_translation(session: AsyncSession, slug: str, lang: str) -> Translation | None:
    return await session.scalar(
        select(Translation)
        .join(Topic)
        .where(Topic.slug == slug, Translation.lang == lang)
        .options(selectinload(Translation.sources), selectinload(Translation.revisions))
    )
