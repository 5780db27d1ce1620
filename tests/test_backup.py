"""`witaj backup` / `witaj restore`: a city's work survives a lost server; migrants' words don't
travel with it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from typer.testing import CliRunner

from cli.app import app
from knowledge import accounts, announcements, backup, people, reviewing
from knowledge.enums import Role
from knowledge.library import Librarian
from knowledge.models import Base, Practitioner, Topic, Translation
from knowledge.repository import TRANSLATIONS
from knowledge.settings import CONTENT_DIR
from knowledge.store import Store
from tests.conftest import _drop_postgres_database, _postgres_database

PASSWORD = "correct horse battery staple"
MIGRANTS = ("person", "subscription", "unanswered_question", "delivery", "ticket", "feedback")


@pytest_asyncio.fixture
async def empty(store: Store, tmp_path: Path) -> AsyncIterator[str]:
    """A second, new database of the same kind as `store`'s."""
    if store.engine.dialect.name == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    admin, url = await _postgres_database()
    yield url
    await _drop_postgres_database(admin, url)


async def _counts(store: Store) -> dict[str, int]:
    async with store.sessions() as session:
        return {
            name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in Base.metadata.tables.items()
        }


async def test_backup_and_restore_round_trip(store: Store, empty: str, tmp_path: Path) -> None:
    await store.set_up_demo(enabled=True)
    async with store.transaction() as session:
        await accounts.add_user(session, "anna", Role.EDITOR, PASSWORD, languages=["uk"])
        key = people.user_key(await people.user_key_secret(session), 42)
        await people.set_language(session, key, "uk")
        await people.log_unanswered(session, key, "мій секрет", "uk", 0.1, [])
        await announcements.subscribe(session, key, 42, "uk", news=True)
        row = await announcements.create(
            session, {"uk": "Свята"}, "all", created_by="anna", topics=[]
        )
        await announcements.start(session, row)
        pesel = await session.scalar(
            select(Translation)
            .join(Topic)
            .where(Topic.slug == "pesel", Translation.lang == "uk")
            .options(selectinload(Translation.sources))
        )
        assert pesel is not None
        reviewing.keep_revision(session, TRANSLATIONS, pesel, actor="anna", action="edit")
    before = await _counts(store)
    file = tmp_path / "witaj-backup.json.gz"
    async with store.sessions() as session:
        backup.write(file, await backup.dump(session))
    assert "мій секрет".encode() not in file.read_bytes()

    restored = await Store.open(empty)
    try:
        async with restored.transaction() as session:
            summary = await backup.restore(session, backup.read(file), replace=False)
        after = await _counts(restored)
        assert {name: after[name] for name in backup.KEPT} == {
            name: before[name] for name in backup.KEPT
        }
        for name in ("topic", "translation", "revision", "source", "school", "school_info"):
            assert after[name] > 0, name
        for name in ("practitioner", "announcement"):
            assert after[name] > 0, name
        assert summary.total == sum(before[name] for name in backup.KEPT)
        assert all(after[name] == 0 for name in MIGRANTS)
        async with restored.transaction() as session:
            assert await accounts.authenticate(session, "anna", PASSWORD) is not None
            # New rows get new ids (PostgreSQL's sequences moved past the restored ones).
            await accounts.add_user(session, "bob", Role.EDITOR, PASSWORD, languages=["pl"])
            names = set(await session.scalars(select(Practitioner.name)))
        assert names == {"anna", "bob"}
        librarian = await Librarian.open(restored)
        assert librarian.current.index.search("Jak wyrobić numer PESEL?", None).slug == "pesel"
        # A second restore over it needs --replace.
        with pytest.raises(backup.BackupError, match="--replace"):
            async with restored.transaction() as session:
                await backup.restore(session, backup.read(file), replace=False)
        async with restored.transaction() as session:
            await backup.restore(session, backup.read(file), replace=True)
        assert (await _counts(restored))["practitioner"] == before["practitioner"]
    finally:
        await restored.close()


async def _seeded(url: str) -> None:
    await (await Store.open(url, seed_dir=CONTENT_DIR)).close()


def test_restore_refuses_what_is_not_a_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    asyncio.run(_seeded(url))
    runner = CliRunner()
    for name, content in (
        ("garbage.json", b"\x00\x01 not json"),
        ("other.json", b'{"format": "something-else"}'),
        ("future.json", b'{"format": "witaj-backup", "schema": "9999", "tables": {}}'),
    ):
        path = tmp_path / name
        path.write_bytes(content)
        result = runner.invoke(app, ["restore", str(path)])
        assert result.exit_code == 2, result.output
        assert "backup" in result.output.lower() or "newer" in result.output
    made = runner.invoke(app, ["backup", str(tmp_path / "b.json")])
    assert made.exit_code == 0, made.output
    again = runner.invoke(app, ["restore", str(tmp_path / "b.json")])
    assert again.exit_code == 2 and "--replace" in again.output
    # A backup whose values have the wrong kinds: one line, and nothing changed.
    data = json.loads((tmp_path / "b.json").read_text())
    topics = data["tables"]["topic"]
    for name, broken in (
        ("dates.json", [{**topics[0], "created_at": 12}, *topics[1:]]),
        ("kinds.json", [{**topics[0], "position": "first"}, *topics[1:]]),
    ):
        (tmp_path / name).write_text(
            json.dumps({**data, "tables": {**data["tables"], "topic": broken}})
        )
        result = runner.invoke(app, ["restore", "--replace", str(tmp_path / name)])
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert "topic" in result.output
    assert runner.invoke(app, ["kb", "check"]).exit_code == 0  # the topics are still there
