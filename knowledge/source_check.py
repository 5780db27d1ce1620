"""Are the cited pages still there, and do they still say what they said when a person checked?

`witaj kb sources --check` fetches every source, keeps a hash of each page's visible text
(`LinkCheck.page_hash`) and notes when it moved. A translation reviewed before its source's page
changed is flagged "source changed since you reviewed" in the workspace. Nothing here needs the
network to be up: an address that cannot be reached is reported as such and keeps what the
last successful check saw.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from html.parser import HTMLParser

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from knowledge.models import LinkCheck, Source, Topic, Translation, utcnow

USER_AGENT = "WitajSourceCheck/1.0 (+https://github.com/; checks cited official pages)"
MAX_PAGE_BYTES = 5_000_000
DEAD = frozenset({404, 410})
"""Statuses that mean the page is gone; others (403 to robots, 5xx) may be passing trouble."""


class SourceState(StrEnum):
    """Worst first: the order the workspace and the command line list them in."""

    DEAD = "dead"
    CHANGED = "changed"
    """The page's text moved after the citing translation was last reviewed."""
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    UNCHECKED = "unchecked"
    OK = "ok"


@dataclass(frozen=True)
class PageResult:
    url: str
    status: int | None
    problem: str | None
    page_hash: str | None


class _TextOnly(HTMLParser):
    """Collects what a reader sees: no markup, no scripts or styles."""

    SKIP = frozenset({"script", "style", "noscript", "template", "svg"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in self.SKIP:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def page_text(body: str, content_type: str = "text/html") -> str:
    """The visible text, whitespace collapsed, so a reformatted page is not a changed page."""
    if "html" in content_type:
        parser = _TextOnly()
        parser.feed(body)
        parser.close()
        body = " ".join(parser.parts)
    return re.sub(r"\s+", " ", body).strip()


def text_fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def fetch(http: aiohttp.ClientSession, url: str) -> PageResult:
    try:
        async with http.get(url, allow_redirects=True) as response:
            if response.status >= 400:
                return PageResult(url, response.status, f"HTTP {response.status}", None)
            raw = await response.content.read(MAX_PAGE_BYTES)
            charset = response.charset or "utf-8"
            body = raw.decode(charset, errors="replace")
            text = page_text(body, response.content_type or "text/html")
            return PageResult(url, response.status, None, text_fingerprint(text))
    except (aiohttp.ClientError, TimeoutError, UnicodeError, LookupError, ValueError) as exc:
        problem = " ".join(str(exc).split())[:200] or type(exc).__name__
        return PageResult(url, None, problem, None)


async def fetch_all(
    urls: Iterable[str], *, concurrency: int = 6, per_page: float = 15.0
) -> list[PageResult]:
    """Every address once, a few at a time, each within `per_page` seconds."""
    limit = asyncio.Semaphore(concurrency)
    client_timeout = aiohttp.ClientTimeout(total=per_page)
    headers = {"User-Agent": USER_AGENT, "Accept": "text/html,text/plain;q=0.9,*/*;q=0.5"}
    async with aiohttp.ClientSession(timeout=client_timeout, headers=headers) as http:

        async def one(url: str) -> PageResult:
            async with limit:
                return await fetch(http, url)

        return list(await asyncio.gather(*(one(url) for url in dict.fromkeys(urls))))


async def cited_urls(session: AsyncSession) -> list[str]:
    rows = await session.scalars(select(Source.url).distinct().order_by(Source.url))
    return list(rows)


async def record(
    session: AsyncSession, results: Iterable[PageResult], *, now: datetime | None = None
) -> list[str]:
    """Store what each check saw; returns the addresses whose text changed since the last one.

    An unreachable or refused page keeps its last known hash: a network outage is not a change.
    """
    now = now or utcnow()
    results = list(results)
    known = {
        row.url: row
        for row in await session.scalars(
            select(LinkCheck).where(LinkCheck.url.in_([r.url for r in results]))
        )
    }
    changed = []
    for result in results:
        row = known.get(result.url)
        if row is None:
            row = LinkCheck(url=result.url)
            session.add(row)
        row.checked_at = now
        row.status = result.status
        row.problem = result.problem
        if result.page_hash is not None:
            if row.page_hash is not None and row.page_hash != result.page_hash:
                row.changed_at = now
                changed.append(result.url)
            row.page_hash = result.page_hash
    await session.flush()
    return changed


def state(check: LinkCheck | None, vouched_at: datetime | None) -> SourceState:
    """A cited page's state for a translation last vouched for (reviewed or saved) at a time."""
    if check is None:
        return SourceState.UNCHECKED
    if check.status in DEAD:
        return SourceState.DEAD
    if check.status is None:
        return SourceState.UNREACHABLE
    if check.status >= 400:
        return SourceState.REFUSED
    if check.changed_at is not None and (
        vouched_at is None or _aware(check.changed_at) > _aware(vouched_at)
    ):
        return SourceState.CHANGED
    return SourceState.OK


def _aware(value: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def checks_for(session: AsyncSession, urls: Iterable[str]) -> dict[str, LinkCheck]:
    wanted = list(dict.fromkeys(urls))
    if not wanted:
        return {}
    rows = await session.scalars(select(LinkCheck).where(LinkCheck.url.in_(wanted)))
    return {row.url: row for row in rows}


@dataclass(frozen=True)
class Citation:
    """One translation citing one page, and what the last check says about it for them."""

    slug: str
    lang: str
    url: str
    state: SourceState
    checked_at: datetime | None
    problem: str | None


def vouched_at(tr: Translation) -> datetime:
    """When a person last stood behind the text: its review, else its last save."""
    return tr.reviewed_at or tr.updated_at


async def citations(session: AsyncSession) -> list[Citation]:
    """Every (translation, source) pair with its state, worst first."""
    topics = await session.scalars(
        select(Topic).options(selectinload(Topic.translations).selectinload(Translation.sources))
    )
    pairs = [(t.slug, tr, s.url) for t in topics for tr in t.translations for s in tr.sources]
    checks = await checks_for(session, (url for _, _, url in pairs))
    found = []
    for slug, tr, url in pairs:
        check = checks.get(url)
        found.append(
            Citation(
                slug,
                tr.lang,
                url,
                state(check, vouched_at(tr)),
                check.checked_at if check else None,
                check.problem if check else None,
            )
        )
    order = list(SourceState)
    return sorted(found, key=lambda c: (order.index(c.state), c.slug, c.lang, c.url))
