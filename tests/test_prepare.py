"""The start-up helper: a second process readies the database and the index while the bot
imports aiogram; whatever it leaves undone, the bot does itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from cli import prepare
from cli.serve import open_parts
from knowledge.models import Topic
from knowledge.settings import CONTENT_DIR, Settings

ROOT = Path(__file__).resolve().parent.parent


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'witaj.sqlite3'}",
        index_cache=tmp_path / "index",
        content_dir=CONTENT_DIR,
    )


async def _topics(settings: Settings, helper: subprocess.Popen[bytes] | None) -> tuple[int, bool]:
    """How many topics the opened store has, and whether the index was mapped from disk."""
    store, librarian = await open_parts(settings, demo=False, helper=helper)
    try:
        async with store.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(Topic))
        mapped = isinstance(librarian.current.index.arrays()["topics"].base, np.memmap)
        return int(count or 0), mapped
    finally:
        await store.close()


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="needs sched_getaffinity")
async def test_the_helper_prepares_what_the_bot_then_only_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})
    monkeypatch.chdir(ROOT)
    settings = _settings(tmp_path)
    helper = prepare.start(settings, demo=False)
    assert helper is not None
    assert await prepare.finished(helper, wait=120)
    assert list((tmp_path / "index").iterdir()), "the helper left no index"
    # The bot opens the database the helper seeded and maps the index it saved.
    assert await _topics(settings, helper) == (38, True)


async def test_a_failed_helper_leaves_the_work_to_the_bot(tmp_path: Path) -> None:
    failed = subprocess.Popen([sys.executable, "-c", "raise SystemExit(1)"])  # noqa: ASYNC220
    settings = _settings(tmp_path)
    count, _ = await _topics(settings, failed)
    assert count == 38  # seeded by the bot itself


async def test_a_helper_that_hangs_is_stopped_and_its_work_done_here(tmp_path: Path) -> None:
    hung = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # noqa: ASYNC220
    assert not await prepare.finished(hung, wait=0.2)
    assert hung.wait(5) != 0  # killed, not left behind


def test_the_helper_logs_as_the_bot_beside_it_does(tmp_path: Path) -> None:
    """With LOG_FORMAT=json a log collector reads the helper's lines too."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'witaj.sqlite3'}",
        "INDEX_CACHE": str(tmp_path / "index"),
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli.prepare", "real"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert any(r["message"].startswith("library built: 38 topics") for r in records)
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)


def test_no_helper_on_a_single_core(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert prepare.start(_settings(tmp_path), demo=False) is None
