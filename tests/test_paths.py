"""Guided paths as content: the shape holds together, every language says every word, the
checklist follows the answers, and the seed's import keeps practitioners' edits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from knowledge import path_store
from knowledge.content import TopicDoc
from knowledge.languages import LANGUAGES
from knowledge.paths import PathDoc, checklist, dump_path, lint, load_path, load_paths, next_step
from knowledge.store import Store


def _words(title: str = "Po przyjeździe") -> dict[str, Any]:
    return {
        "title": title,
        "questions": {"status": {"text": "Status?", "options": {"ukr": "UKR", "eu": "UE"}}},
        "steps": {
            "pesel": {"title": "PESEL", "why": "Najpierw numer."},
            "cukr": {"title": "Karta CUKR", "why": "Przed terminem.", "office": "Urząd"},
        },
    }


def _path(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": "arrived",
        "questions": [{"id": "status", "options": ["ukr", "eu"]}],
        "steps": [
            {"id": "pesel", "topic": "pesel"},
            {
                "id": "cukr",
                "topic": "temporary-protection",
                "when": {"status": ["ukr"]},
                "deadline": "2027-03-04",
            },
        ],
        "translations": {lang: _words() for lang in LANGUAGES},
    }
    data.update(changes)
    return data


def test_the_checklist_follows_the_answers() -> None:
    path = PathDoc.model_validate(_path())
    assert [s.id for s in checklist(path, {"status": "ukr"})] == ["pesel", "cukr"]
    assert [s.id for s in checklist(path, {"status": "eu"})] == ["pesel"]
    assert [s.id for s in checklist(path, {})] == ["pesel", "cukr"]  # skipped: nothing ruled out
    steps = checklist(path, {"status": "ukr"})
    assert next_step(steps, {"pesel"}) == steps[1]
    assert next_step(steps, {"pesel", "cukr"}) is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"steps": [{"id": "a", "topic": "pesel", "when": {"nope": ["x"]}}]}, "no question"),
        ({"steps": [{"id": "a", "topic": "pesel", "when": {"status": ["mars"]}}]}, "no answer"),
        ({"steps": [{"id": "a", "topic": "pesel", "when": {"status": []}}]}, "reaches it"),
        ({"steps": [{"id": "a", "topic": "pesel"}, {"id": "a", "topic": "pesel"}]}, "twice"),
        ({"questions": [{"id": f"q{i}", "options": ["a", "b"]} for i in range(6)]}, "at most"),
    ],
)
def test_a_path_nobody_could_follow_is_refused(change: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        PathDoc.model_validate(_path(**change))


def test_lint_wants_every_word_in_every_language_and_real_topics() -> None:
    data = _path()
    del data["translations"]["be"]
    data["translations"]["ar"] = {**_words(), "steps": {"pesel": {"title": "x", "why": "y"}}}
    data["steps"][0]["topic"] = "no-such-topic"
    problems = lint(PathDoc.model_validate(data), {"pesel", "temporary-protection"})
    assert "be: missing" in problems
    assert "ar: step 'cukr' has no text" in problems
    assert "step 'pesel': no topic 'no-such-topic'" in problems


def test_the_exchange_form_reads_back_the_same(tmp_path: Path) -> None:
    path = PathDoc.model_validate(_path())
    file = tmp_path / "arrived.yaml"
    file.write_text(dump_path(path), encoding="utf-8")
    assert load_path(file) == path


def test_the_shipped_paths_are_complete(topics: list[TopicDoc]) -> None:
    shipped = load_paths()
    assert len(shipped) >= 4
    slugs = {t.slug for t in topics}
    for path in shipped:
        assert lint(path, slugs) == [], path.slug
    cukr = next(p for p in shipped if p.slug == "protection-ends")
    assert any(str(s.deadline) == "2027-03-04" for s in cukr.steps)


async def test_the_seed_never_overwrites_a_practitioners_edit(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'p.sqlite3'}")
    try:
        first = PathDoc.model_validate(_path())
        async with store.transaction() as session:
            report = await path_store.import_paths(session, [first], actor="seed")
        assert report.created == ["arrived"]
        async with store.transaction() as session:
            row = await path_store.get_path(session, "arrived")
            assert row is not None
            polish = next(t for t in row.texts if t.lang == "pl")
            polish.updated_by = "anna"  # a practitioner edited the Polish words
        changed = {lang: _words("Nowy tytuł") for lang in LANGUAGES}
        second = PathDoc.model_validate(_path(translations=changed))
        async with store.transaction() as session:
            report = await path_store.import_paths(session, [second], actor="seed")
        assert report.conflicts == ["arrived/pl"]
        async with store.sessions() as session:
            (loaded,) = await path_store.load_paths(session)
        assert loaded.translations["pl"].title == "Po przyjeździe"  # kept
        assert loaded.translations["uk"].title == "Nowy tytuł"  # not edited: updated
    finally:
        await store.close()
