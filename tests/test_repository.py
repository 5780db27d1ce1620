"""The knowledge base on SQLite and PostgreSQL: import, history, conflicts, locking."""

from __future__ import annotations

import asyncio
import gc
import shutil
import weakref
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm.exc import StaleDataError

from knowledge import people, repository, versions
from knowledge.content import ContentError, TopicDoc, write_dir
from knowledge.library import Librarian
from knowledge.models import Revision, Translation
from knowledge.search import SearchIndex
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


def _with_a_new_phrasing(tmp_path: Path) -> Path:
    """A copy of the seed whose PESEL topic has one more English phrasing."""
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    path = folder / "pesel.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("phrasings:\n", "phrasings:\n    - zorblax quuxification\n", 1))
    return folder


async def test_changed_file_updates_untouched_translation_and_the_index(
    store: Store, tmp_path: Path
) -> None:
    folder = _with_a_new_phrasing(tmp_path)
    librarian = await Librarian.open(store)
    old_version = librarian.current.version
    report = await store.import_dir(folder)
    assert report.updated == ["pesel/en"] and not report.conflicts
    assert await librarian.refresh()
    assert librarian.current.version > old_version
    assert librarian.current.index.search("zorblax quuxification").hits[0].slug == "pesel"


async def test_a_replaced_library_leaves_memory_though_the_start_was_frozen(
    store: Store, tmp_path: Path
) -> None:
    """The bot freezes what it holds after its start (bot/runner.py) so that the garbage
    collector stops walking it; a library replaced by an edit must still be freed then, so it
    may hold no reference cycle, which only the collector could break."""
    folder = _with_a_new_phrasing(tmp_path)
    librarian = await Librarian.open(store)
    old = librarian.current
    old.catalog["pesel"]  # a card unpacked, as an answer does
    old.index.search("pesel")
    parts = [weakref.ref(part) for part in (old, old.catalog, old.index)]
    del old
    gc.collect()
    gc.freeze()
    try:
        await store.import_dir(folder)
        assert await librarian.refresh()
        gc.collect()
        assert [part() for part in parts] == [None, None, None]
    finally:
        gc.unfreeze()


async def test_the_library_reads_the_knowledge_base_in_batches_and_keeps_every_card(
    store: Store, topics: list[TopicDoc]
) -> None:
    async with store.sessions() as session:
        batches = [batch async for batch in repository.topic_batches(session, size=7)]
    assert {len(batch) for batch in batches[:-1]} == {7} and 0 < len(batches[-1]) <= 7
    assert [t for batch in batches for t in batch] == topics
    catalog = (await Librarian.open(store)).current.catalog
    assert list(catalog) == [t.slug for t in topics]
    assert all(catalog[t.slug] == t.card() for t in topics)
    assert "no-such-topic" not in catalog and catalog.get("no-such-topic") is None


async def test_with_an_index_cache_the_index_is_built_once_then_read(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "index"
    first = (await Librarian.open(store, cache=cache)).current
    assert [p.name for p in cache.iterdir()] == [first.searched]

    def build(*_: Any) -> None:
        raise AssertionError("the cached index was built again")

    monkeypatch.setattr(SearchIndex, "build", build)
    second = (await Librarian.open(store, cache=cache)).current
    assert second.searched == first.searched
    assert second.index.search("numer pesel dla dziecka").slug == "pesel"
    assert dict(second.catalog) == dict(first.catalog)


async def test_the_knowledge_base_is_read_twice_only_when_a_cached_index_was_expected(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readings: list[int] = []
    batches = repository.topic_batches

    def counted(session: Any) -> Any:
        readings.append(1)
        return batches(session)

    monkeypatch.setattr(repository, "topic_batches", counted)
    await Librarian.open(store, cache=tmp_path / "a")  # nothing cached: cards, then search input
    assert len(readings) == 2
    await Librarian.open(store, cache=tmp_path / "a")  # cached: the cards only
    assert len(readings) == 3
    await Librarian.open(store, cache=tmp_path / "b", one_pass=True)  # the start-up helper
    assert len(readings) == 4


async def test_a_refresh_that_finds_the_same_topics_keeps_their_index(store: Store) -> None:
    librarian = await Librarian.open(store)
    before = librarian.current
    async with store.transaction() as session:
        await versions.bump_content_version(session)  # as a school's edit does
    assert await librarian.refresh()
    assert librarian.current.version > before.version
    assert librarian.current.index is before.index and librarian.current.catalog is before.catalog


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


async def test_two_replicas_making_the_shared_secret_at_once_both_get_the_first(
    store: Store,
) -> None:
    """Two replicas starting on a new database both found no secret and made one: the second
    insert stopped that replica with a duplicate-key error."""
    async with store.sessions() as first, store.sessions() as second:
        made = await people.app_secret(first, "replicas")  # inserted, not yet committed
        racing = asyncio.create_task(people.app_secret(second, "replicas"))
        await asyncio.sleep(0.3)  # the second looked, found nothing, and waits on the key
        await first.commit()
        assert await asyncio.wait_for(racing, 30) == made
        await second.commit()
    async with store.sessions() as later:
        assert await people.app_secret(later, "replicas") == made


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
        await upgrade(engine, create=False)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []


def _schema(sync: Any) -> dict[str, Any]:
    """Every table's columns, keys, indexes and constraints as the database reports them."""
    from sqlalchemy import inspect

    db = inspect(sync)
    return {
        table: {
            "columns": sorted(  # migrations append columns: their order may differ
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                for c in db.get_columns(table)
            ),
            "primary": db.get_pk_constraint(table)["constrained_columns"],
            "foreign": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"], str(f.get("options")))
                for f in db.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in db.get_indexes(table)
            ),
            "unique": sorted(tuple(u["column_names"]) for u in db.get_unique_constraints(table)),
        }
        for table in sorted(db.get_table_names())
    }


async def test_a_new_database_is_created_as_the_migrations_would_build_it(
    database_url: str, tmp_path: Path
) -> None:
    """An empty database skips the migrations (faster start): the schema it gets must be the
    one they build, and Alembic must see it at the head so the next migration applies."""
    from alembic.runtime.migration import MigrationContext

    from knowledge.db import HEAD, make_engine, upgrade

    other = (
        f"sqlite+aiosqlite:///{tmp_path / 'migrated.sqlite3'}"
        if database_url.startswith("sqlite")
        else None
    )
    created = make_engine(database_url)
    try:
        await upgrade(created)
        async with created.connect() as conn:
            fresh = await conn.run_sync(_schema)
            head = await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
        if other is None:  # PostgreSQL: drop everything and migrate the same database
            async with created.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            migrated_engine = created
        else:
            migrated_engine = make_engine(other)
        try:
            await upgrade(migrated_engine, create=False)
            async with migrated_engine.connect() as conn:
                migrated = await conn.run_sync(_schema)
        finally:
            if migrated_engine is not created:
                await migrated_engine.dispose()
    finally:
        await created.dispose()
    assert head == HEAD
    assert "topic" in fresh
    for table in fresh.keys() | migrated.keys():
        assert fresh.get(table) == migrated.get(table), table


def test_the_known_head_is_alembics_head() -> None:
    """A database at `HEAD` starts without loading Alembic: the constant must follow new
    migrations."""
    from alembic.script import ScriptDirectory

    from knowledge.db import HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


async def test_an_unchanged_seed_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every start and most commands seed; reading the YAML again takes half a second, so a
    seed already brought in, byte for byte, is skipped — and a changed one is not."""
    import knowledge.store as store_module

    seed = tmp_path / "seed"
    shutil.copytree(CONTENT_DIR, seed)
    url = f"sqlite+aiosqlite:///{tmp_path / 'kb.sqlite3'}"
    await (await Store.open(url, seed_dir=seed)).close()

    def unread(directory: Path) -> list[TopicDoc]:
        raise AssertionError(f"{directory} was read again")

    with monkeypatch.context() as patched:
        patched.setattr(store_module, "load_dir", unread)
        await (await Store.open(url, seed_dir=seed)).close()

    pesel = seed / "pesel.yaml"
    pesel.write_text(pesel.read_text(encoding="utf-8").replace("PESEL", "PESEL ", 1), "utf-8")
    store = await Store.open(url, seed_dir=seed)
    try:
        report = await store.seed(seed)  # brought in by the open above: unchanged again
        assert not report.changed
        async with store.sessions() as session:
            versions_seen = await versions.content_version(session)
        assert versions_seen >= 2  # the first seed and the changed one
    finally:
        await store.close()
