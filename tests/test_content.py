"""The seed content and its exchange format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml

from bot.config import CONTENT_DIR
from knowledge import lint
from knowledge.content import ContentError, TopicDoc, dump_topic, parse_topic
from knowledge.languages import LANGUAGES
from knowledge.models import Status
from tests.conftest import shared_file


def test_every_required_topic_is_there_in_six_languages(topics: list[TopicDoc]) -> None:
    required = yaml.safe_load(shared_file("eval", "topics.yaml").read_text(encoding="utf-8"))
    expected = {slug: cat for cat, group in required.items() for slug in group}
    assert {t.slug: str(t.category) for t in topics} == expected
    for topic in topics:
        assert tuple(topic.translations) == LANGUAGES, topic.slug


def test_content_passes_the_linter_without_errors(topics: list[TopicDoc]) -> None:
    errors = [f for f in lint.check(topics) if f.severity is lint.Severity.ERROR]
    assert errors == []


def test_translations_are_rich_enough_for_search(topics: list[TopicDoc]) -> None:
    for topic in topics:
        for lang, tr in topic.translations.items():
            assert len(tr.phrasings) >= 15, (topic.slug, lang)
            assert len(tr.keywords) >= 10, (topic.slug, lang)
            assert 2 <= len(tr.sources) <= 6, (topic.slug, lang)
            assert all(
                s.url.startswith("https://") or s.url.startswith("http://") for s in tr.sources
            )


def test_seed_files_are_in_canonical_form() -> None:
    for path in sorted(CONTENT_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert dump_topic(parse_topic(text, path)) == text, path.name


GOOD = """\
slug: demo
category: school
order: 3
translations:
  en:
    title: Demo
    status: reviewed
    reviewed_at: '2026-01-02T03:04:05Z'
    reviewer: Anna
    answer: |-
      Line one with **bold**.
      • bullet
    phrasings:
    - how does the demo work
    keywords:
    - demo
    sources:
    - title: Example
      url: https://www.gov.pl/
"""


def test_dump_and_parse_round_trip() -> None:
    topic = parse_topic(GOOD, "demo.yaml")
    assert topic.translations["en"].reviewed_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert dump_topic(topic) == GOOD


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (GOOD.replace("category: school", "category: leisure"), 2, "category"),
        (GOOD.replace("  en:\n", "  xx:\n"), 5, "unknown language"),
        (GOOD.replace("    title: Demo\n", ""), 6, "title"),
        (GOOD.replace("status: reviewed", "status: approved"), 7, "status"),
        (GOOD.replace("- demo\n", "- ''\n"), 16, "empty"),
        (GOOD.replace("slug: demo", "slug: Demo Topic"), 1, "slug"),
        (GOOD.replace("- demo\n", "- [demo\n"), 17, "invalid YAML"),
        (GOOD.replace("      url: https://www.gov.pl/\n", ""), 18, "url"),
        ("- just\n- a list\n", 1, "expected a mapping"),
    ],
)
def test_malformed_topic_names_line_and_reason(text: str, line: int, reason: str) -> None:
    with pytest.raises(ContentError) as caught:
        parse_topic(text, "demo.yaml")
    assert caught.value.line == line, str(caught.value)
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"demo.yaml:{line}: ")


def test_file_name_must_match_slug() -> None:
    with pytest.raises(ContentError, match="file name"):
        parse_topic(GOOD, "other.yaml")


def _topic(**changes: object) -> TopicDoc:
    base = parse_topic(GOOD, "demo.yaml")
    en = base.translations["en"]
    translations = {lang: en for lang in LANGUAGES}
    for lang, update in changes.items():
        translations[lang] = en.model_copy(update=update)  # type: ignore[arg-type]
    return base.model_copy(update={"translations": translations})


def _problems(topic: TopicDoc, **kwargs: object) -> list[str]:
    return [f"{f.severity}:{f.langs}:{f.problem}" for f in lint.check([topic], **kwargs)]  # type: ignore[arg-type]


def test_lint_clean_topic_has_no_findings() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert _problems(_topic(), now=now) == []


def test_lint_reports_each_error_kind() -> None:
    from knowledge.content import SourceDoc

    topic = _topic(
        pl={"answer": "x" * 5000},
        uk={"sources": ()},
        ru={"sources": (SourceDoc(title="bad", url="htp:/nowhere"),)},
        be={"answer": "See https://www.gov.pl/other and {date}"},
        ar={"answer": "Unclosed **bold"},
    )
    topic = topic.model_copy(update={"related": ("no-such-topic",)})
    problems = "\n".join(_problems(topic, required_slugs={"demo", "pesel"}))
    assert "error::required topic is missing" in problems
    assert "related topic 'no-such-topic' is an unknown slug" in problems
    assert "error:pl:answer is 50" in problems
    assert "error:uk:no sources" in problems
    assert "error:ru:malformed source link 'htp:/nowhere'" in problems
    assert "error:ru:source links differ from en" in problems
    assert "error:be:links in answer differ from en" in problems
    assert "error:be:placeholders differ from en" in problems
    assert "error:ar:unbalanced ** bold marks" in problems


def test_lint_warns_about_drafts_and_old_reviews() -> None:
    topic = _topic(
        pl={"status": Status.DRAFT, "reviewed_at": None},
        uk={"status": Status.DRAFT, "reviewed_at": None},
    )
    now = datetime(2026, 1, 2, tzinfo=UTC) + timedelta(days=400)
    problems = _problems(topic, now=now)
    assert "warning:pl,uk:draft, not reviewed by a practitioner" in problems
    assert "warning:en,ru,be,ar:last review older than 365 days" in problems
    missing = _problems(topic.model_copy(update={"translations": {}}), now=now)
    assert "error:en,pl,uk,ru,be,ar:missing translation" in missing
