"""The `witaj` command line as a practitioner and the evaluation harness use it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.app import app
from knowledge import repository
from knowledge.languages import LANGUAGES
from knowledge.settings import CONTENT_DIR
from knowledge.store import Store

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("INDEX_CACHE", str(tmp_path / "index"))
    return path


def test_batch_answers_one_line_per_input_in_order(db: Path, tmp_path: Path) -> None:
    batch = tmp_path / "in.jsonl"
    rows = [
        {"id": "a", "text": "Jak wyrobić numer PESEL?", "lang": "pl"},
        {"id": 7, "text": "What's the weather like on Mars?"},
        "broken line",
        {"id": "c", "text": "numer alarmowy policja"},
    ]
    batch.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    result = runner.invoke(app, ["ask", "--batch", str(batch)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 7, None, "c"]
    assert [o["slug"] for o in out] == ["pesel", None, None, "emergency-numbers"]
    for o in out:
        assert set(o) >= {"id", "slug", "score", "alternatives"}
        assert isinstance(o["score"], float) and isinstance(o["alternatives"], list)
    assert "error" in out[2]


def test_ask_json_and_text(db: Path) -> None:
    result = runner.invoke(app, ["ask", "jak otrymaty pesel", "--json"])
    assert result.exit_code == 0, result.output
    # The index built for the first question is kept: the next command maps it (1.3 s, not 2.5).
    assert any((db.parent / "index").iterdir())
    assert json.loads(result.stdout)["slug"] == "pesel"
    assert json.loads(result.stdout)["foreign"] is False
    spanish = runner.invoke(app, ["ask", "como consigo el numero PESEL en Wroclaw", "--json"])
    assert json.loads(spanish.stdout) | {"score": 0} == json.loads(spanish.stdout) | {
        "score": 0,
        "slug": "pesel",
        "foreign": True,
    }
    shown = runner.invoke(app, ["ask", "Як отримати PESEL?", "--lang", "uk"])
    assert shown.exit_code == 0
    assert "PESEL" in shown.stdout and "gov.pl" in shown.stdout


def test_ask_rejects_unknown_language(db: Path) -> None:
    result = runner.invoke(app, ["ask", "pesel", "--lang", "de"])
    assert result.exit_code == 2
    assert "--lang must be one of" in result.stderr


def test_check_is_clean_and_export_json_has_the_documented_shape(db: Path) -> None:
    check = runner.invoke(app, ["kb", "check"])
    assert check.exit_code == 0, check.output
    assert "0 errors" in check.stdout
    exported = runner.invoke(app, ["kb", "export", "--format", "json", "-"])
    assert exported.exit_code == 0
    topics = json.loads(exported.stdout)
    assert len(topics) == len(list(CONTENT_DIR.glob("*.yaml")))
    for topic in topics:
        assert {"slug", "category", "translations"} <= set(topic)
        assert list(topic["translations"]) == list(LANGUAGES)
        for tr in topic["translations"].values():
            assert {
                "title",
                "answer",
                "phrasings",
                "keywords",
                "sources",
                "status",
                "reviewed_at",
            } <= set(tr)
            for s in tr["sources"]:
                assert {"title", "url"} <= set(s) <= {"title", "url", "homepage", "valid_until"}


def test_yaml_export_round_trips(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = runner.invoke(app, ["kb", "export", str(out)])
    assert result.exit_code == 0, result.output
    for original in CONTENT_DIR.glob("*.yaml"):
        assert (out / original.name).read_text(encoding="utf-8") == original.read_text(
            encoding="utf-8"
        )


@pytest.mark.parametrize(
    ("broken", "text", "where"),
    [
        ("housing.yaml", "slug: housing\ncategory: everyday\n  bad: indent\n", "housing.yaml:3"),
        # A guided path's file too, while a topic's change is good: neither goes in.
        ("paths/just-arrived.yaml", "slug: just-arrived\nsteps: 12\n", "just-arrived.yaml:1"),
    ],
)
def test_broken_yaml_import_is_one_line_and_changes_nothing(
    db: Path, tmp_path: Path, broken: str, text: str, where: str
) -> None:
    before = runner.invoke(app, ["kb", "export", "--format", "json", "-"]).stdout
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    pesel = folder / "pesel.yaml"
    pesel.write_text(pesel.read_text().replace("PESEL", "PESEL (changed)", 1))
    (folder / broken).write_text(text)
    result = runner.invoke(app, ["kb", "import", str(folder)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("witaj: error: ") and where in result.stderr
    after = runner.invoke(app, ["kb", "export", "--format", "json", "-"]).stdout
    assert after == before


def test_import_reports_conflicts_with_exit_status(db: Path) -> None:
    async def practitioner_edits() -> None:
        kb = await Store.open(f"sqlite+aiosqlite:///{db}", seed_dir=CONTENT_DIR)
        async with kb.sessions.begin() as session:
            row = await repository.get_translation(session, "pesel", "uk")
            assert row is not None
            doc = repository.translation_doc(row).model_copy(update={"answer": "Нова відповідь"})
            await repository.save_translation(session, row, doc, actor="olena", action="edit")
        await kb.close()

    asyncio.run(practitioner_edits())
    result = runner.invoke(app, ["kb", "import"])
    assert result.exit_code == 1
    assert "0 updated" in result.stdout and "1 conflicts" in result.stdout
    assert "conflict: pesel/uk was edited in the database" in result.stderr
    exported = json.loads(runner.invoke(app, ["kb", "export", "--format", "json", "-"]).stdout)
    pesel = next(t for t in exported if t["slug"] == "pesel")
    assert pesel["translations"]["uk"]["answer"] == "Нова відповідь"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "is not a database URL"),
        ("sqlite:///plain.db", "SQLite needs the async driver"),
        ("postgresql+asyncpg://nobody@127.0.0.1:1/none", "database:"),
        ("mysql+nosuchdriver://x/y", "mysql is not supported"),
        ("mysql://x/y", "use SQLite (sqlite+aiosqlite:///path) or PostgreSQL"),
        ("postgres://u@h/db", "PostgreSQL needs the async driver"),
    ],
)
def test_broken_database_url_is_one_line_and_non_zero(
    monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    result = runner.invoke(app, ["ask", "pesel"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


@pytest.mark.parametrize("command", [["run"], ["web"], ["school", "list"]])
def test_a_wrong_setting_is_named_in_one_line_without_its_value(
    command: list[str], tmp_path: Path
) -> None:
    """`witaj run` printed a traceback for a bad setting, and every command echoed the value
    given: a mistyped BOT_TOKEN in full."""
    env = {
        **os.environ,
        "BOT_TOKEN": "123456:a secret token with spaces",
        "PRACTITIONER_CHAT_ID": "our group",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "-m", "cli", *command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("witaj: error: configuration:"), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "BOT_TOKEN" in result.stderr and "PRACTITIONER_CHAT_ID" in result.stderr
    assert "secret" not in result.stderr and "our group" not in result.stderr


def test_eval_prints_accuracy_tables(db: Path, tmp_path: Path) -> None:
    labelled = tmp_path / "dev.jsonl"
    labelled.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {
                    "id": "1",
                    "lang": "pl",
                    "text": "Jak wyrobić PESEL?",
                    "slug": "pesel",
                    "style": "plain",
                },
                {
                    "id": "2",
                    "lang": "en",
                    "text": "recipe for pancakes",
                    "slug": "none",
                    "style": "plain",
                },
            ]
        )
    )
    result = runner.invoke(app, ["eval", str(labelled)])
    assert result.exit_code == 0, result.output
    assert "accuracy 1.000 (2/2)" in result.stdout


def test_chat_prompt_answers_until_an_empty_line(db: Path) -> None:
    result = runner.invoke(
        app, ["chat"], input="numer alarmowy policja\nweather on Mars tomorrow\n\n"
    )
    assert result.exit_code == 0, result.output
    assert "112" in result.stdout
    assert "No answer for that yet" in result.stdout


def test_db_upgrade_creates_the_schema(db: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert db.exists() and "up to date" in result.stdout
    again = runner.invoke(app, ["db", "upgrade"])
    assert again.exit_code == 0


def test_user_accounts_can_be_disabled_enabled_given_a_password_and_removed(db: Path) -> None:
    from knowledge import accounts

    def user(*args: str, stdin: str | None = None) -> tuple[int, str]:
        result = runner.invoke(app, ["user", *args], input=stdin)
        return result.exit_code, result.output

    def can_log_in(name: str, password: str) -> bool:
        async def check() -> bool:
            store = await Store.open(f"sqlite+aiosqlite:///{db}")
            try:
                async with store.transaction() as session:
                    return await accounts.authenticate(session, name, password) is not None
            finally:
                await store.close()

        return asyncio.run(check())

    first, second = "first password 1", "second password 2"
    assert user("add", "boss", "--role", "admin", "--password-stdin", stdin=first + "\n")[0] == 0
    assert user("add", "anna", "--password-stdin", stdin=first + "\n")[0] == 0
    assert user("disable", "anna") == (0, "user anna disabled; their sessions have ended\n")
    assert not can_log_in("anna", first)
    assert user("enable", "anna")[0] == 0 and can_log_in("anna", first)
    assert user("password", "anna", "--password-stdin", stdin=second + "\n")[0] == 0
    assert can_log_in("anna", second) and not can_log_in("anna", first)
    code, output = user("password", "anna", "--password-stdin", stdin="short\n")
    assert code != 0 and "at least 10 characters" in output and can_log_in("anna", second)
    assert user("remove", "anna")[0] == 0 and not can_log_in("anna", second)
    code, output = user("disable", "anna")
    assert code != 0 and "no user 'anna'" in output
    code, output = user("remove", "boss")
    assert code != 0 and "last admin" in output and can_log_in("boss", first)


def test_guided_paths_go_out_and_come_back_with_the_knowledge_base(
    db: Path, tmp_path: Path
) -> None:
    from knowledge.paths import load_paths

    out = tmp_path / "kb"
    assert runner.invoke(app, ["kb", "export", str(out)]).exit_code == 0
    exported = load_paths(out / "paths")
    assert {p.slug for p in exported} >= {"just-arrived", "protection-ends"}
    assert exported == load_paths()  # the seed, exactly
    file = out / "paths" / "just-arrived.yaml"
    file.write_text(file.read_text().replace("slug: just-arrived", "slug: 'Not A Slug'"))
    result = runner.invoke(app, ["kb", "check", "--dir", str(out)])
    assert result.exit_code == 1 and "paths" in result.output
