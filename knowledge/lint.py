"""`witaj kb check`: what would embarrass a practitioner in front of a migrant.

Errors block publishing (non-zero exit); warnings are review work still to do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from knowledge.content import TopicDoc
from knowledge.languages import LANGUAGES
from knowledge.models import Status
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


def valid_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = parts.hostname or ""
    return (
        parts.scheme in ("http", "https")
        and "." in host
        and not any(ch.isspace() for ch in url)
        and all(label for label in host.split("."))
    )


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
                if not valid_url(source.url):
                    error(slug, lang, f"malformed source link {source.url!r}")
            for url in urls(tr.answer):
                if not valid_url(url):
                    error(slug, lang, f"malformed link in answer {url!r}")
            if unbalanced_bold(tr.answer):
                error(slug, lang, "unbalanced ** bold marks in answer")
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
