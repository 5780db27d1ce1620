"""The knowledge base on SQLite and PostgreSQL: import, history, conflicts, locking."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from knowledge import repository, versions
from knowledge.content import ContentError, TopicDoc, write_dir
from knowledge.library import Librarian
from knowledge.models import Revision, Translation
from knowledge.settings import CONTENT_DIR
from knowledge.store import Store


async def test_seed_loads_every_topic_in_six_languages(
    store: Store, topics: list[TopicDoc]
) -> None:
    stored = await store.topics()
    assert [t.slug for t in stored] == [t.slug for t in topics]
    assert all(len(t.translations) == 6 for t in stored)
    assert stored == topics


async def test_export_writes_back_exactly_what_was_imported(store: Store, tmp_path: Path) -> None:
    write_dir(await store.topics(), tmp_path)
    for original in sorted(CONTENT_DIR.glob("*.yaml")):
        assert (tmp_path / original.name).read_bytes() == original.read_bytes(), original.name


async def test_reimport_is_idempotent(store: Store) -> None:
    async with store.sessions() as session:
        version = await versions.content_version(session)
    report = await store.import_dir(CONTENT_DIR)
    assert not report.created and not report.updated and not report.conflicts
    assert len(report.unchanged) == len(list(CONTENT_DIR.glob("*.yaml"))) * 6
    async with store.sessions() as session:
        assert await versions.content_version(session) == version


async def _edit(store: Store, slug: str, lang: str, answer: str, actor: str) -> None:
    async with store.sessions.begin() as session:
        row = await repository.get_translation(session, slug, lang)
        assert row is not None
        doc = repository.translation_doc(row).model_copy(update={"answer": answer})
        await repository.save_translation(session, row, doc, actor=actor, action="edit")


async def test_practitioner_edit_is_not_overwritten_by_import(store: Store) -> None:
    await _edit(store, "pesel", "uk", "Нова відповідь від практика", actor="olena")
    report = await store.import_dir(CONTENT_DIR)
    assert report.conflicts == ["pesel/uk"]
    async with store.sessions() as session:
        row = await repository.get_translation(session, "pesel", "uk")
        assert row is not None and row.answer == "Нова відповідь від практика"


async def test_forced_import_keeps_the_overwritten_text_in_history(store: Store) -> None:
    await _edit(store, "pesel", "en", "Edited by a practitioner", actor="anna")
    report = await store.import_dir(CONTENT_DIR, force=True)
    assert report.updated == ["pesel/en"]
    async with store.sessions() as session:
        row = await repository.get_translation(session, "pesel", "en")
        assert row is not None and row.answer != "Edited by a practitioner"
        history = [(r.action, r.changed_by, r.snapshot["answer"]) for r in row.revisions]
    assert history[-1] == ("import", "import", "Edited by a practitioner")
    assert history[0][0] == "edit" and history[0][1] == "anna"


async def test_changed_file_updates_untouched_translation_and_the_index(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    path = folder / "pesel.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("phrasings:\n", "phrasings:\n    - zorblax quuxification\n", 1))
    librarian = await Librarian.open(store)
    old_version = librarian.current.version
    report = await store.import_dir(folder)
    assert report.updated == ["pesel/en"] and not report.conflicts
    assert await librarian.refresh()
    assert librarian.current.version > old_version
    assert librarian.current.index.search("zorblax quuxification").hits[0].slug == "pesel"


async def test_malformed_file_is_rejected_and_nothing_is_written(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    good = folder / "bank-account.yaml"
    good.write_text(good.read_text(encoding="utf-8").replace("title:", "title: CHANGED", 1))
    (folder / "pesel.yaml").write_text("slug: pesel\ncategory: everyday\ntranslations: [\n")
    before = await store.topics()
    with pytest.raises(ContentError) as caught:
        await store.import_dir(folder)
    assert caught.value.path.name == "pesel.yaml" and caught.value.line == 4
    assert await store.topics() == before


async def test_concurrent_edits_raise_instead_of_losing_one(store: Store) -> None:
    async with store.sessions() as first, store.sessions() as second:
        query = select(Translation).where(Translation.lang == "pl").limit(1)
        a = (await first.scalars(query)).one()
        b = (await second.scalars(query)).one()
        a.answer = "first editor"
        await first.commit()
        b.answer = "second editor"
        with pytest.raises(StaleDataError):
            await second.commit()
    async with store.sessions() as session:
        row = await session.get(Translation, a.id)
        assert row is not None and row.answer == "first editor"


async def test_every_change_leaves_a_revision_with_the_old_text(store: Store) -> None:
    await _edit(store, "housing", "ru", "v2", actor="ivan")
    await _edit(store, "housing", "ru", "v3", actor="maria")
    async with store.sessions() as session:
        row = await repository.get_translation(session, "housing", "ru")
        assert row is not None
        revisions = list(
            await session.scalars(select(Revision).where(Revision.translation_id == row.id))
        )
    assert [r.snapshot["answer"] for r in revisions][1:] == ["v2"]
    assert [r.changed_by for r in revisions] == ["ivan", "maria"]
    assert row.version == 3


async def test_migrations_build_exactly_the_models(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from knowledge.db import make_engine, upgrade
    from knowledge.models import Base

    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []


def test_the_known_head_is_alembics_head() -> None:
    """A database at `HEAD` starts without loading Alembic: the constant must follow new
    migrations."""
    from alembic.script import ScriptDirectory

    from knowledge.db import HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD
