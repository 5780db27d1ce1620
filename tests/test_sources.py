"""Cited pages: dead links and pages that changed since a person reviewed the text citing them.

Everything runs against a local HTTP server (the machine has no internet): a page that stays,
a page whose text changes, a page that only changes its markup, one that is gone, one that
refuses robots, and an address where nothing listens.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from typer.testing import CliRunner

from cli.app import app
from knowledge import source_check
from knowledge.models import LinkCheck
from knowledge.source_check import SourceState, page_text

runner = CliRunner()


class Site:
    """A tiny web site whose pages the test can change between checks."""

    def __init__(self) -> None:
        self.law = "<html><body><h1>Opłata</h1><p>Opłata wynosi 100 zł.</p></body></html>"
        self.layout = "<p>Stała treść</p>"
        self.loop = asyncio.new_event_loop()
        self.port = 0

    def app(self) -> web.Application:
        async def page(request: web.Request) -> web.Response:
            name = request.match_info["name"]
            if name == "gone":
                raise web.HTTPNotFound()
            if name == "robots-only":
                raise web.HTTPForbidden()
            body = self.law if name == "law" else self.layout
            return web.Response(text=body, content_type="text/html")

        application = web.Application()
        application.router.add_get("/{name}", page)
        return application

    def start(self) -> None:
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self.loop)
            runner_ = web.AppRunner(self.app())
            self.loop.run_until_complete(runner_.setup())
            site = web.TCPSite(runner_, "127.0.0.1", 0)
            self.loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            self.loop.run_forever()
            self.loop.run_until_complete(runner_.cleanup())

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        ready.wait(5)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    s.start()
    yield s
    s.stop()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_visible_text_ignores_markup_scripts_and_spacing() -> None:
    a = page_text("<div><p>Opłata   wynosi\n100 zł</p><script>var t=1</script></div>")
    b = page_text("<section><span>Opłata wynosi</span> <b>100 zł</b><style>p{}</style></section>")
    assert a == b == "Opłata wynosi 100 zł"


async def test_fetch_tells_gone_from_refused_from_unreachable(site: Site) -> None:
    nowhere = f"http://127.0.0.1:{closed_port()}/x"
    results = await source_check.fetch_all(
        [site.url("law"), site.url("gone"), site.url("robots-only"), nowhere], per_page=3
    )
    by_url = {r.url: r for r in results}
    assert by_url[site.url("law")].status == 200 and by_url[site.url("law")].page_hash
    assert by_url[site.url("gone")].status == 404 and by_url[site.url("gone")].page_hash is None
    assert by_url[site.url("robots-only")].status == 403
    assert by_url[nowhere].status is None and by_url[nowhere].problem


def test_state_follows_the_review_date() -> None:
    checked = datetime(2026, 12, 1, tzinfo=UTC)
    changed = LinkCheck(url="u", checked_at=checked, status=200, changed_at=checked)
    assert source_check.state(changed, checked - timedelta(days=1)) is SourceState.CHANGED
    assert source_check.state(changed, checked + timedelta(days=1)) is SourceState.OK
    gone = LinkCheck(url="u", checked_at=checked, status=404)
    assert source_check.state(gone, None) is SourceState.DEAD
    offline = LinkCheck(url="u", checked_at=checked, status=None, problem="timeout")
    assert source_check.state(offline, None) is SourceState.UNREACHABLE
    assert source_check.state(None, None) is SourceState.UNCHECKED


TOPIC = """\
slug: fees
category: everyday
order: 1
translations:
{translations}"""
TRANSLATION = """\
  {lang}:
    title: Fees
    status: reviewed
    reviewed_at: '2026-11-01T10:00:00Z'
    reviewer: Anna
    summary: The fee is 100 zł.
    answer: The fee is 100 zł.
    phrasings:
    - how much is the fee
    keywords:
    - fee
    sources:
    - title: The law
      url: {law}
    - title: Layout
      url: {layout}
    - title: Gone
      url: {gone}
    - title: Offline
      url: {offline}
"""


def test_kb_sources_check_reports_dead_and_changed_pages(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = tmp_path / "content"
    content.mkdir()
    urls = {
        "law": site.url("law"),
        "layout": site.url("layout"),
        "gone": site.url("gone"),
        "offline": f"http://127.0.0.1:{closed_port()}/page",
    }
    translations = "".join(TRANSLATION.format(lang=lang, **urls) for lang in ("en", "pl"))
    (content / "fees.yaml").write_text(TOPIC.format(translations=translations), encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    monkeypatch.setenv("CONTENT_DIR", str(content))

    first = runner.invoke(app, ["kb", "sources", "--check", "--timeout", "3"])
    assert first.exit_code == 1, first.output  # a cited page is gone
    assert "dead" in first.stdout and urls["gone"] in first.stdout
    assert "unreachable" in first.stdout and "changed" not in first.stdout.split("dead")[0]

    site.law = "<html><body><h1>Opłata</h1><p>Opłata wynosi 200 zł.</p></body></html>"
    site.layout = "<div>  <b>Stała</b>   treść </div>"  # same words, new markup
    second = runner.invoke(app, ["kb", "sources", "--check", "--timeout", "3"])
    assert second.exit_code == 1, second.output
    changed_rows = [line for line in second.stdout.splitlines() if "changed" in line]
    assert any(urls["law"] in line for line in changed_rows), second.stdout
    assert not any(urls["layout"] in line for line in changed_rows), second.stdout

    # Without --check nothing is fetched: the last check is reported as it stands.
    site.stop()
    listed = runner.invoke(app, ["kb", "sources"])
    assert "changed" in listed.stdout and urls["law"] in listed.stdout
