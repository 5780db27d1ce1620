"""The seed content and its exchange format."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import yaml

from knowledge import lint
from knowledge.content import ContentError, TopicDoc, dump_topic, parse_topic
from knowledge.enums import Status
from knowledge.languages import LANGUAGES
from knowledge.settings import CONTENT_DIR
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
    summary: Line one.
    answer: |-
      Line one with **bold**.
      • bullet
    phrasings:
    - how does the demo work
    keywords:
    - demo
    sources:
    - title: Example
      url: https://www.gov.pl/web/demo
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
        (GOOD.replace("- demo\n", "- ''\n"), 17, "empty"),
        (GOOD.replace("slug: demo", "slug: Demo Topic"), 1, "slug"),
        (GOOD.replace("- demo\n", "- [demo\n"), 18, "invalid YAML"),
        (GOOD.replace("summary: Line one.", "valid_until: 4 March"), 10, "valid_until"),
        (GOOD.replace("      url: https://www.gov.pl/web/demo\n", ""), 19, "url"),
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


def test_new_fields_round_trip_exactly() -> None:
    text = (
        GOOD.replace(
            "    summary: Line one.\n",
            "    valid_until: '2027-03-04'\n    summary: Line one.\n",
        )
        .replace(
            "    phrasings:\n",
            "    clerk_note: Dzień dobry, ta osoba pyta o demo.\n    phrasings:\n",
        )
        .replace(
            "      url: https://www.gov.pl/web/demo\n",
            "      url: https://www.gov.pl/\n      homepage: the portal itself\n"
            "      valid_until: '2027-01-31'\n",
        )
    )
    topic = parse_topic(text, "demo.yaml")
    en = topic.translations["en"]
    assert en.valid_until == date(2027, 3, 4)
    assert en.sources[0].homepage == "the portal itself"
    assert en.sources[0].valid_until == date(2027, 1, 31)
    assert en.clerk_note == "Dzień dobry, ta osoba pyta o demo."
    assert dump_topic(topic) == text


def test_lint_refuses_bare_home_pages_unless_a_reason_is_given() -> None:
    from knowledge.content import SourceDoc

    now = datetime(2026, 6, 1, tzinfo=UTC)
    bare = (SourceDoc(title="gov", url="https://www.gov.pl"),)
    slash = (SourceDoc(title="gov", url="https://www.gov.pl/"),)
    deep = (SourceDoc(title="gov", url="https://www.gov.pl/web/udsc"),)
    reason = (SourceDoc(title="gov", url="https://mos.cudzoziemcy.gov.pl", homepage="portal"),)
    for sources in (bare, slash):
        problems = _problems(_topic(**{lang: {"sources": sources} for lang in LANGUAGES}), now=now)
        assert any("bare home page" in p for p in problems), problems
    for sources in (deep, reason):
        problems = _problems(_topic(**{lang: {"sources": sources} for lang in LANGUAGES}), now=now)
        assert problems == [], problems


def test_lint_requires_a_short_summary_and_keeps_the_officials_note_polish() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    problems = _problems(
        _topic(en={"summary": None}, uk={"summary": "x" * 601}, ru={"clerk_note": "Dzień dobry"}),
        now=now,
    )
    assert "error:en:no summary: the short answer shown first is missing" in problems
    assert "error:uk:summary is 601 characters; at most 600" in problems
    assert "error:ru:a note for the official belongs to the Polish text only" in problems
    assert _problems(_topic(pl={"clerk_note": "Dzień dobry"}), now=now) == []


def test_lint_warns_thirty_days_before_facts_expire_and_after() -> None:
    until = date(2027, 3, 4)
    topic = _topic(en={"valid_until": until})

    def expiry(now: datetime) -> list[str]:
        return [p for p in _problems(topic, now=now) if "expire" in p]

    assert expiry(datetime(2027, 1, 20, tzinfo=UTC)) == []
    soon = expiry(datetime(2027, 2, 10, tzinfo=UTC))
    assert soon == ["warning:en:answer expires on 2027-03-04: check it"]
    late = expiry(datetime(2027, 3, 5, tzinfo=UTC))
    assert late == ["warning:en:answer expired on 2027-03-04: check it"]


# Facts the December 2026 review corrected or added, as they must read in every language
# (a language-neutral pattern over the short and the full answer).
_DAY = r"[^\d\n]{1,24}"
CORRECTED_FACTS = [
    (
        "temporary-protection",
        rf"\b4{_DAY}2027",
        "protection ends 4 March 2027",
    ),
    ("temporary-protection", r"\b340\b", "CUKR stamp duty 340 zł"),
    ("temporary-protection", r"\b100\b", "CUKR card fee 100 zł"),
    ("health-insurance", rf"\b5{_DAY}2026", "NFZ care for uninsured adults ended 5 March 2026"),
    ("health-insurance", r"\b18\b", "children under 18 stay covered"),
    ("residence-permit", r"\b100\b", "residence card fee 100 zł"),
    ("pesel", r"\bCOM\b", "Wrocław's offices are COM"),
    ("address-registration", r"\bCOM\b", "Wrocław's offices are COM"),
    ("preparatory-class", rf"\b31{_DAY}2026", "special rules for Ukrainian pupils ended"),
    ("polish-lessons-at-school", rf"\b31{_DAY}2026", "special rules for Ukrainian pupils ended"),
    ("social-benefits", r"2[ ,.\u00a0\u202f]?403", "800+ contribution base: half the minimum wage"),
    ("migrant-info-point", r"Dominikański 6", "WroMigrant's operator WCRS, pl. Dominikański 6"),
    ("domestic-violence", r"800 120 002", "Niebieska Linia"),
    ("domestic-violence", r"\b112\b", "emergency number first"),
    ("newborn-registration", r"\b21\b", "21 days to register a birth"),
    ("newborn-registration", r"Włodkowica 20", "Wrocław's USC"),
    ("tax-return", rf"\b30{_DAY}2027", "PIT for 2026 is due 30 April 2027"),
]


@pytest.mark.parametrize(("slug", "pattern", "fact"), CORRECTED_FACTS)
def test_corrected_facts_read_the_same_in_every_language(
    topics: list[TopicDoc], slug: str, pattern: str, fact: str
) -> None:
    topic = next(t for t in topics if t.slug == slug)
    for lang, tr in topic.translations.items():
        text = f"{tr.summary}\n{tr.answer}"
        assert re.search(pattern, text), f"{slug}/{lang} lacks: {fact}"


def test_no_answer_names_the_old_city_offices(topics: list[TopicDoc]) -> None:
    """Wrocław serves residents in Centra Obsługi Mieszkańca (COM) since the BOMs were renamed."""
    for topic in topics:
        for lang, tr in topic.translations.items():
            text = " ".join([tr.answer, tr.summary or "", *tr.phrasings, *tr.keywords])
            assert not re.search(r"\bBOM\b|Biur\w* Obsługi Mieszkańców", text), (topic.slug, lang)
            assert all("wroclaw.pl/bom" not in s.url for s in tr.sources), (topic.slug, lang)


def test_dated_topics_carry_their_expiry(topics: list[TopicDoc]) -> None:
    topic = next(t for t in topics if t.slug == "temporary-protection")
    assert {tr.valid_until for tr in topic.translations.values()} == {date(2027, 3, 4)}
