"""`witaj kb check`: what would embarrass a practitioner in front of a migrant.

Errors block publishing (non-zero exit); warnings are review work still to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import ValidationError

from knowledge.content import (
    EXPIRY_NOTICE,
    SUMMARY_LIMIT,
    ContentError,
    SourceDoc,
    TopicDoc,
    TranslationDoc,
    valid_url,
)
from knowledge.enums import Status
from knowledge.languages import LANGUAGES, SOURCE_LANGUAGE
from knowledge.render import (
    CARD_RESERVE,
    TELEGRAM_LIMIT,
    card_length,
    placeholders,
    unbalanced_bold,
    urls,
)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    slug: str
    langs: str
    problem: str


def bare_homepage(url: str) -> bool:
    """A site's front page: a person cannot check a particular fact against it."""
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


class SourceProblem(StrEnum):
    MALFORMED = "malformed"
    HOMEPAGE = "homepage"


def source_problem(source: SourceDoc) -> SourceProblem | None:
    """Why a source cannot be cited as it stands (the workspace's editor asks the same)."""
    if not valid_url(source.url):
        return SourceProblem.MALFORMED
    if bare_homepage(source.url) and not source.homepage:
        return SourceProblem.HOMEPAGE
    return None


def check(
    topics: Iterable[TopicDoc],
    *,
    required_slugs: set[str] | None = None,
    review_max_age: timedelta = timedelta(days=365),
    now: datetime | None = None,
    outdated: set[tuple[str, str]] | None = None,
) -> list[Finding]:
    """Errors and warnings; `outdated` (slug, language) pairs come from the database's matrix,
    which alone knows what Polish text each translation was made from."""
    now = now or datetime.now(UTC)
    topics = list(topics)
    known = {t.slug for t in topics}
    findings: list[Finding] = []

    def error(slug: str, langs: str, problem: str) -> None:
        findings.append(Finding(Severity.ERROR, slug, langs, problem))

    def warn(slug: str, langs: str, problem: str) -> None:
        findings.append(Finding(Severity.WARNING, slug, langs, problem))

    if required_slugs is not None:
        for slug in sorted(required_slugs - known):
            error(slug, "", "required topic is missing")
        for slug in sorted(known - required_slugs):
            error(slug, "", "unknown slug (not in the topic list)")

    limit = TELEGRAM_LIMIT - CARD_RESERVE
    for topic in topics:
        slug = topic.slug
        missing = [lang for lang in LANGUAGES if lang not in topic.translations]
        if missing:
            error(slug, ",".join(missing), "missing translation")
        for ref in topic.related:
            if ref not in known:
                error(slug, "", f"related topic {ref!r} is an unknown slug")
        drafts: list[str] = []
        stale: list[str] = []
        old: list[str] = []
        for lang, tr in topic.translations.items():
            length = card_length(tr.title, tr.answer)
            if length > limit:
                error(slug, lang, f"answer is {length} characters; a card allows {limit}")
            if not tr.sources:
                error(slug, lang, "no sources")
            for source in tr.sources:
                problem = source_problem(source)
                if problem is SourceProblem.MALFORMED:
                    error(slug, lang, f"malformed source link {source.url!r}")
                elif problem is SourceProblem.HOMEPAGE:
                    error(
                        slug,
                        lang,
                        f"source {source.url!r} is a bare home page: cite the page that states "
                        "the fact, or give `homepage: <why>`",
                    )
            if tr.summary is None:
                error(slug, lang, "no summary: the short answer shown first is missing")
            elif len(tr.summary) > SUMMARY_LIMIT:
                error(
                    slug, lang, f"summary is {len(tr.summary)} characters; at most {SUMMARY_LIMIT}"
                )
            if tr.clerk_note is not None and lang != SOURCE_LANGUAGE:
                error(slug, lang, "a note for the official belongs to the Polish text only")
            for name, text in (("answer", tr.answer), ("summary", tr.summary or "")):
                for url in urls(text):
                    if not valid_url(url):
                        error(slug, lang, f"malformed link in {name} {url!r}")
                if unbalanced_bold(text):
                    error(slug, lang, f"unbalanced ** bold marks in {name}")
            for what, until in _expiring(tr):
                if until < now.date():
                    warn(slug, lang, f"{what} expired on {until.isoformat()}: check it")
                elif until - now.date() <= EXPIRY_NOTICE:
                    warn(slug, lang, f"{what} expires on {until.isoformat()}: check it")
            if not tr.phrasings:
                warn(slug, lang, "no phrasings: search can only use the title and keywords")
            if (slug, lang) in (outdated or set()):
                old.append(lang)
            elif tr.status is not Status.REVIEWED:
                drafts.append(lang)
            elif tr.reviewed_at is not None and now - tr.reviewed_at > review_max_age:
                stale.append(lang)
        if drafts:
            warn(slug, ",".join(drafts), "draft, not reviewed by a practitioner")
        if old:
            warn(slug, ",".join(old), "outdated: the Polish text changed after this translation")
        if stale:
            warn(slug, ",".join(stale), f"last review older than {review_max_age.days} days")
        findings.extend(_cross_language(topic))
    return findings


def _expiring(tr: TranslationDoc) -> list[tuple[str, date]]:
    dated = [("answer", tr.valid_until)] + [(f"source {s.url}", s.valid_until) for s in tr.sources]
    return [(what, until) for what, until in dated if until is not None]


def _cross_language(topic: TopicDoc) -> list[Finding]:
    """Links and placeholders must be the same in every language version."""
    found: list[Finding] = []
    items = list(topic.translations.items())
    if not items:
        return found
    base_lang, base = items[0]
    base_sources = [s.url for s in base.sources]
    base_links = sorted(set(urls(base.answer)))
    base_placeholders = placeholders(base.answer)
    for lang, tr in items[1:]:
        if [s.url for s in tr.sources] != base_sources:
            found.append(
                Finding(Severity.ERROR, topic.slug, lang, f"source links differ from {base_lang}")
            )
        if sorted(set(urls(tr.answer))) != base_links:
            found.append(
                Finding(
                    Severity.ERROR, topic.slug, lang, f"links in answer differ from {base_lang}"
                )
            )
        if placeholders(tr.answer) != base_placeholders:
            found.append(
                Finding(Severity.ERROR, topic.slug, lang, f"placeholders differ from {base_lang}")
            )
    return found


def check_paths(
    directory: Path | None, topics: set[str], paths: list[Any] | None = None
) -> list[Finding]:
    """Guided paths (`content/paths/*.yaml`, or `paths` as loaded from the database): each
    loads, every step's topic exists, every language has every word, no step is unreachable."""
    from knowledge import paths as guided

    if paths is None:
        try:
            paths = guided.load_paths(directory or guided.PATHS_DIR)
        except (OSError, ContentError, yaml.YAMLError, ValidationError, ValueError) as exc:
            reason = " ".join(str(exc).split())[:300]
            return [Finding(Severity.ERROR, "paths", "", reason)]
    found = []
    for path in paths:
        for problem in guided.lint(path, topics):
            lang, _, rest = problem.partition(": ")
            langs = lang if lang in LANGUAGES else ""
            found.append(
                Finding(Severity.ERROR, f"path:{path.slug}", langs, rest if langs else problem)
            )
        found += _unreviewed(f"path:{path.slug}", path.translations)
    return found


def _unreviewed(slug: str, translations: Mapping[str, Any]) -> list[Finding]:
    """A warning naming the languages nobody has reviewed yet (none when all are)."""
    drafts = [lang for lang, text in translations.items() if text.status is not Status.REVIEWED]
    if not drafts:
        return []
    return [
        Finding(Severity.WARNING, slug, ",".join(drafts), "draft, not reviewed by a practitioner")
    ]


def check_safety(path: Path) -> list[Finding]:
    """The safety file (`content/safety/crisis.yaml`): it loads, its triggers can match, and
    every language has been reviewed by a practitioner."""
    from knowledge import safety

    try:
        doc = safety.load(path)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        reason = " ".join(str(exc).split())[:300]
        return [Finding(Severity.ERROR, "safety", "", f"{path.name}: {reason}")]
    found = [Finding(Severity.ERROR, "safety", "", problem) for problem in safety.lint(doc)]
    found += _unreviewed("safety", doc.translations)
    return found
