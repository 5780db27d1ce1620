"""The workspace as an attacker's checklist would try it: every route as anonymous and as each
role, forms without or with an old CSRF token, redirects after login, cookies reused after
logout, disabling and a password change, login guessing from one address and from many.

The webhook's checks (no secret, wrong secret, malformed, oversized, duplicated) are in
tests/e2e/test_webhook.py; /forget scanning every table and Redis key in
tests/e2e/test_privacy.py.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import ClientSession, CookieJar, web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from flows.cards import school_card
from knowledge import accounts, people, web_sessions
from knowledge.enums import Role
from knowledge.i18n import I18n
from knowledge.library import Librarian
from knowledge.models import Practitioner, SchoolOpen, Ticket, WebSession, utcnow
from knowledge.render import TELEGRAM_LIMIT, clip, strip_controls, telegram_length
from knowledge.schools import OncePerDay, SchoolDoc, SchoolInfoDoc
from knowledge.settings import CONTENT_DIR, Settings
from knowledge.store import Store
from tests.conftest import shared_library
from workspace.access import RULES
from workspace.app import build_workspace
from workspace.auth import safe_next
from workspace.session import COOKIE

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "purple kettle on the roof"
OWN, OTHER = "demo-krzyki", "demo-psie-pole"
ROLES = ("admin", "editor", "translator", "school")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated, seeded database with the demo schools and an account per role; every
    test works on its own copy."""
    path = tmp_path_factory.mktemp("security") / "seed.sqlite3"

    async def build() -> None:
        store = await Store.open(f"sqlite+aiosqlite:///{path}", seed_dir=CONTENT_DIR, demo=True)
        async with store.transaction() as session:
            for name in ROLES:
                await accounts.add_user(
                    session,
                    name,
                    Role(name),
                    PASSWORD,
                    languages=["uk"] if name == "translator" else None,
                    school=OWN if name == "school" else None,
                )
            await accounts.add_user(session, "second", Role.ADMIN, PASSWORD)
        await store.close()

    asyncio.run(build())
    return path


@dataclass
class Site:
    store: Store
    server: TestServer

    @property
    def url(self) -> str:
        return str(self.server.make_url(""))


async def open_site(seeded: Path, tmp_path: Path, **settings: str) -> tuple[Site, web.AppRunner]:
    path = tmp_path / "site.sqlite3"
    shutil.copy(seeded, path)
    store = await Store.open(f"sqlite+aiosqlite:///{path}")
    librarian = Librarian(store, shared_library(), demo=True)
    await librarian.refresh()  # the demo schools
    app = await build_workspace(
        store,
        librarian,
        Settings(database_url=f"sqlite+aiosqlite:///{path}", **settings),  # type: ignore[arg-type]
        "witaj_test_bot",
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return Site(store, server), server.runner


@pytest_asyncio.fixture
async def site(seeded: Path, tmp_path: Path) -> AsyncIterator[Site]:
    opened, _ = await open_site(seeded, tmp_path)
    try:
        yield opened
    finally:
        await opened.server.close()
        await opened.store.close()


class Browser:
    """A practitioner's browser: a cookie jar and the last CSRF token a page gave it."""

    def __init__(self, site: Site, headers: dict[str, str] | None = None) -> None:
        self.site = site
        self.http = ClientSession(cookie_jar=CookieJar(unsafe=True), headers=headers)
        self.csrf = ""

    async def get(self, path: str) -> tuple[int, str, str]:
        """Status, body and Location (redirects are not followed)."""
        async with self.http.get(self.site.url + path, allow_redirects=False) as resp:
            body = (await resp.read()).decode(errors="replace")
        self._remember(body)
        return resp.status, body, resp.headers.get("Location", "")

    async def post(
        self, path: str, form: dict[str, str] | None = None, *, csrf: str | None = None
    ) -> tuple[int, str, str]:
        data = {**(form or {}), "csrf": self.csrf if csrf is None else csrf}
        async with self.http.post(self.site.url + path, data=data, allow_redirects=False) as r:
            body = await r.text()
        self._remember(body)
        return r.status, body, r.headers.get("Location", "")

    async def login(self, name: str, password: str = PASSWORD, nxt: str = "/") -> int:
        await self.get("/login")
        status, _, _ = await self.post("/login", {"name": name, "password": password, "next": nxt})
        if status == 303:
            await self.get("/messages")  # a page with the new session's CSRF token
        return status

    def cookie(self) -> str:
        return next(c.value for c in self.http.cookie_jar if c.key == COOKIE)

    def _remember(self, page: str) -> None:
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        if found:
            self.csrf = found.group(1)

    async def close(self) -> None:
        await self.http.close()


@pytest_asyncio.fixture
async def browsers(site: Site) -> AsyncIterator[dict[str, Browser]]:
    opened = {name: Browser(site) for name in ("anonymous", *ROLES)}
    for name in ROLES:
        assert await opened[name].login(name) == 303
    await opened["anonymous"].get("/login")
    yield opened
    for browser in opened.values():
        await browser.close()


# Who may open what, written out by hand (not read from workspace/access.py): the table a
# reviewer checks. "school" opens the pages of its own school (OWN) and of no other.
PAGES: list[tuple[str, str, set[str]]] = [
    ("GET", "/", {"admin", "editor", "translator"}),
    ("GET", "/t/pesel/uk", {"admin", "editor", "translator"}),
    ("GET", "/t/pesel/pl", {"admin", "editor", "translator"}),
    ("POST", "/t/pesel/uk", {"admin", "editor", "translator"}),
    ("POST", "/t/pesel/pl", {"admin", "editor"}),
    ("POST", "/t/pesel/pl/restore/1", {"admin", "editor"}),
    ("GET", "/unanswered", {"admin", "editor", "translator"}),
    ("POST", "/unanswered/link", {"admin", "editor"}),
    ("POST", "/unanswered/new", {"admin", "editor"}),
    ("POST", "/unanswered/dismiss", {"admin", "editor"}),
    ("GET", "/feedback", {"admin", "editor", "translator"}),
    ("GET", "/reviews", {"admin", "editor", "translator"}),
    ("POST", "/reviews/pesel", {"admin", "editor"}),
    ("GET", "/users", {"admin"}),
    ("POST", "/users/second/disable", {"admin"}),
    ("GET", "/schools", set(ROLES)),
    ("POST", "/schools", {"admin"}),
    ("GET", f"/schools/{OWN}", set(ROLES)),
    ("GET", f"/schools/{OTHER}", {"admin", "editor", "translator"}),
    ("POST", f"/schools/{OWN}", {"admin", "school"}),
    ("POST", f"/schools/{OTHER}", {"admin"}),
    ("GET", f"/schools/{OWN}/uk", set(ROLES)),
    ("GET", f"/schools/{OTHER}/uk", {"admin", "editor", "translator"}),
    ("POST", f"/schools/{OWN}/uk", {"admin", "school"}),
    ("POST", f"/schools/{OTHER}/uk", {"admin"}),
    ("POST", f"/schools/{OTHER}/uk/restore/1", {"admin"}),
    ("GET", f"/schools/{OWN}/qr.png", set(ROLES)),
    ("GET", f"/schools/{OTHER}/qr.svg", {"admin", "editor", "translator"}),
    ("GET", f"/schools/{OTHER}/poster", {"admin", "editor", "translator"}),
    ("GET", "/tickets", {"admin", "editor", "translator"}),
    ("GET", "/tickets/1", {"admin", "editor", "translator"}),
    ("GET", "/announcements", {"admin", "editor", "translator"}),
    ("POST", "/announcements/preview", {"admin", "editor"}),
    ("POST", "/announcements", {"admin", "editor"}),
    ("POST", "/announcements/1/cancel", {"admin", "editor"}),
    ("GET", "/messages", set(ROLES)),
    ("POST", "/messages/1", set(ROLES)),
    ("GET", "/paths", {"admin", "editor", "translator"}),
    ("GET", "/paths/just-arrived/pl", {"admin", "editor", "translator"}),
    ("POST", "/paths/just-arrived/uk", {"admin", "editor", "translator"}),
    ("POST", "/paths/just-arrived/pl", {"admin", "editor"}),
    ("POST", "/paths/just-arrived/pl/restore/1", {"admin", "editor"}),
    ("GET", "/usage", {"admin", "editor", "translator"}),
    ("GET", "/usage.csv", {"admin", "editor", "translator"}),
]
PUBLIC_PAGES = ["/login", f"/s/{OWN}", "/healthz", "/metrics", "/static/workspace.css"]


def test_every_route_of_the_app_has_a_rule_and_a_row_here(seeded: Path, tmp_path: Path) -> None:
    """A new page with no line in the access table is refused — and must be added here too."""

    async def routes() -> set[tuple[str, str]]:
        site, _ = await open_site(seeded, tmp_path)
        try:
            app = site.server.app
            assert app is not None
            return {
                (route.method, route.resource.canonical)
                for route in app.router.routes()
                if route.resource is not None and route.method != "HEAD"
            }
        finally:
            await site.server.close()
            await site.store.close()

    found = asyncio.run(routes())
    assert found - set(RULES) == set()
    untried = []
    for method, canonical in found:
        pattern = re.sub(r"\\\{[a-z]+\\\}", "[^/]+", re.escape(canonical))
        if RULES[(method, canonical)] is None:
            continue
        if not any(m == method and re.fullmatch(pattern, p) for m, p, _ in PAGES):
            untried.append(f"{method} {canonical}")
    assert untried == []


@pytest.mark.parametrize("role", ["anonymous", *ROLES])
async def test_each_role_opens_only_its_pages(browsers: dict[str, Browser], role: str) -> None:
    browser = browsers[role]
    wrong: list[str] = []
    for method, path, allowed in PAGES:
        if method == "GET":
            status, body, location = await browser.get(path)
        else:
            status, body, location = await browser.post(path, {"ids": "", "text": "x"})
        if role == "anonymous":
            refused = (method == "GET" and status == 302 and location.startswith("/login")) or (
                method == "POST" and status == 403
            )
        else:
            refused = status == 403 and "may not open this page" in body
        if role == "school" and path == "/":  # a school's home is its school
            ok = status == 302 and location == f"/schools/{OWN}"
        else:
            ok = refused != (role in allowed)
        if not ok:
            wrong.append(f"{method} {path} -> {status}")
    assert wrong == []


async def test_public_pages_open_for_anyone(browsers: dict[str, Browser]) -> None:
    for path in PUBLIC_PAGES:
        status, _, _ = await browsers["anonymous"].get(path)
        assert status == 200, path


async def test_every_form_refuses_a_missing_forged_or_old_csrf_token(
    browsers: dict[str, Browser],
) -> None:
    admin = browsers["admin"]
    old = admin.csrf
    await admin.post("/logout")
    assert await admin.login("admin") == 303
    assert admin.csrf != old  # a new token with the new session
    for method, path, _ in PAGES:
        if method != "POST":
            continue
        for token in ("", "x" * 32, old):
            status, body, _ = await admin.post(path, {"text": "x"}, csrf=token)
            assert status == 403 and "expired" in body, (path, token)
    status, _, _ = await browsers["anonymous"].post("/login", {"name": "admin"}, csrf="")
    assert status == 403


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/%0d%0aSet-Cookie:x=1",
        "/\tevil",
        "/\r\n/evil.example",
        "",
        "/" + "a" * 3000,
    ],
)
def test_next_is_never_another_site(target: str) -> None:
    result = safe_next(target)
    assert result == "/" or (result.startswith("/") and "\r" not in result and "\n" not in result)
    assert not result.startswith("//") and "\\" not in result and "evil.example" not in result


@pytest.mark.parametrize("target", ["/t/pesel/uk", "/schools?lang=pl", "/users#x"])
def test_next_keeps_a_path_on_this_site(target: str) -> None:
    assert safe_next(target) == target


async def test_login_redirects_only_to_this_site(site: Site) -> None:
    browser = Browser(site)
    try:
        status, page, _ = await browser.get("/login?next=/\\evil.example")
        assert "evil.example" not in page
        await browser.get("/login")
        for nxt, expected in (("/\\evil.example", "/"), ("/reviews", "/reviews")):
            await browser.post("/logout")
            await browser.get("/login")
            status, _, location = await browser.post(
                "/login", {"name": "editor", "password": PASSWORD, "next": nxt}
            )
            assert (status, location) == (303, expected)
    finally:
        await browser.close()


async def _copy_of(site: Site, browser: Browser) -> Browser:
    """Another browser holding a copy of this one's session cookie."""
    thief = Browser(site, headers={"Cookie": f"{COOKIE}={browser.cookie()}"})
    return thief


@pytest.mark.parametrize("how", ["logout", "disable", "password", "remove", "switch-user"])
async def test_a_copied_cookie_stops_working(site: Site, how: str) -> None:
    editor, admin = Browser(site), Browser(site)
    try:
        assert await editor.login("editor") == 303
        assert await admin.login("admin") == 303
        thief = await _copy_of(site, editor)
        assert (await thief.get("/reviews"))[0] == 200
        if how == "logout":
            await editor.post("/logout")
        elif how == "switch-user":  # someone else logs in on the same (shared) computer
            assert await editor.login("admin") == 303
        elif how == "password":
            status, _, _ = await admin.post("/users/editor/password", {"password": NEW_PASSWORD})
            assert status == 303
        else:
            assert (await admin.post(f"/users/editor/{how}"))[0] == 303
        status, _, location = await thief.get("/reviews")
        assert status == 302 and location.startswith("/login")
        assert (await thief.post("/reviews/pesel", {"action": "approve"}))[0] == 403
        await thief.close()
        if how == "disable":
            assert await Browser(site).login("editor") == 401  # and no new session either
            assert (await admin.post("/users/editor/enable"))[0] == 303
            again = Browser(site)
            assert await again.login("editor") == 303
            await again.close()
        if how == "password":
            fresh = Browser(site)
            assert await fresh.login("editor") == 401
            assert await fresh.login("editor", NEW_PASSWORD) == 303
            await fresh.close()
    finally:
        await editor.close()
        await admin.close()


async def test_a_translator_reads_only_the_conversations_in_their_languages(site: Site) -> None:
    async with site.store.sessions.begin() as session:
        own = Ticket(user_key="u-uk", chat_id=1, lang="uk")
        other = Ticket(user_key="u-ar", chat_id=2, lang="ar")
        session.add_all([own, other])
    translator, editor = Browser(site), Browser(site)
    try:
        assert await translator.login("translator") == 303  # a translator of Ukrainian
        assert await editor.login("editor") == 303
        _, page, _ = await translator.get("/tickets")
        assert f'id="ticket-{own.id}"' in page and f'id="ticket-{other.id}"' not in page
        assert (await translator.get(f"/tickets/{own.id}"))[0] == 200
        assert (await translator.get(f"/tickets/{other.id}"))[0] == 404
        _, page, _ = await editor.get("/tickets")
        assert f'id="ticket-{own.id}"' in page and f'id="ticket-{other.id}"' in page
        assert (await editor.get(f"/tickets/{other.id}"))[0] == 200
    finally:
        await translator.close()
        await editor.close()


async def test_a_translator_reads_only_the_questions_asked_in_their_languages(site: Site) -> None:
    async with site.store.sessions.begin() as session:
        await people.log_unanswered(session, "u-uk", "Де купити квиток на трамвай?", "uk", 0.1, [])
        await people.log_unanswered(session, "u-ar", "أين أجد طبيب أسنان للأطفال؟", "ar", 0.1, [])
    translator, editor = Browser(site), Browser(site)
    try:
        assert await translator.login("translator") == 303  # a translator of Ukrainian
        assert await editor.login("editor") == 303
        for path in ("/unanswered", "/usage"):
            _, page, _ = await translator.get(path)
            assert "квиток на трамвай" in page and "طبيب أسنان" not in page, path
            _, page, _ = await editor.get(path)
            assert "квиток на трамвай" in page and "طبيب أسنان" in page, path
    finally:
        await translator.close()
        await editor.close()


async def test_an_id_too_large_for_the_database_is_not_found_not_an_error(site: Site) -> None:
    admin = Browser(site)
    huge = "9" * 25
    try:
        assert await admin.login("admin") == 303
        assert (await admin.get(f"/tickets/{huge}"))[0] == 404
        assert (await admin.get("/tickets/9223372036854775808"))[0] == 404
        assert (await admin.post(f"/announcements/{huge}/cancel"))[0] == 404
        assert (await admin.post("/unanswered/dismiss", {"ids": f"{huge},1"}))[0] == 303
        status, _, _ = await admin.post("/messages/child-ill", {"action": "send", "ticket": huge})
        assert status in (200, 400)  # the page again (the form's own problems), no 500
    finally:
        await admin.close()


async def test_the_workspace_refuses_what_would_lock_it_or_is_too_short(site: Site) -> None:
    admin = Browser(site)
    try:
        assert await admin.login("admin") == 303
        status, page, _ = await admin.post("/users/editor/password", {"password": "short"})
        assert status == 400 and "at least 10 characters" in page
        for weak in ("password1234", "a" * 12, "editor-2024-x"):
            status, page, _ = await admin.post("/users/editor/password", {"password": weak})
            assert status == 400 and "too easy to guess" in page, weak
        status, page, _ = await admin.post("/users/nobody/disable")
        assert status == 400 and "no such account" in page
        await admin.post("/users/second/remove")
        status, page, _ = await admin.post("/users/admin/disable")
        assert status == 400 and "last admin" in page
        assert (await admin.get("/users"))[0] == 200  # still logged in
    finally:
        await admin.close()


async def test_sessions_end_after_idle_hours_and_in_any_case_after_twelve(site: Site) -> None:
    async with site.store.transaction() as session:
        user = (
            await session.execute(select(Practitioner).where(Practitioner.name == "editor"))
        ).scalar_one()
        token = await web_sessions.start(session, user)
    start = utcnow()
    async with site.store.transaction() as session:
        for minutes in range(0, 11 * 60, 100):  # busy all day long
            assert await web_sessions.user_of(
                session, token, now=start + timedelta(minutes=minutes)
            )
        assert (
            await web_sessions.user_of(session, token, now=start + timedelta(hours=12, minutes=1))
            is None
        )
    async with site.store.transaction() as session:
        idle = await web_sessions.start(session, user)
        assert (
            await web_sessions.user_of(session, idle, now=start + timedelta(hours=2, minutes=1))
            is None
        )
    async with site.store.sessions() as session:  # both ended sessions are gone
        assert (await session.execute(select(WebSession))).scalars().all() == []


async def test_guessing_from_one_address_does_not_lock_the_owner_out_elsewhere(
    seeded: Path, tmp_path: Path
) -> None:
    site, _ = await open_site(seeded, tmp_path, trusted_proxies="127.0.0.1/32")
    attacker = Browser(site, headers={"X-Forwarded-For": "203.0.113.7"})
    owner = Browser(site, headers={"X-Forwarded-For": "198.51.100.20"})
    try:
        statuses = [await attacker.login("editor", "wrong password!") for _ in range(6)]
        assert statuses == [401] * 5 + [429]
        status, page, _ = await attacker.post("/login", {"name": "editor", "password": PASSWORD})
        assert status == 429 and re.search(r"\d+ min", page)  # says when to try again
        assert await owner.login("editor") == 303
        # Spraying many names from one address locks the address.
        sprayer = Browser(site, headers={"X-Forwarded-For": "203.0.113.8"})
        codes = [await sprayer.login(f"name{i}", "wrong password!") for i in range(21)]
        assert codes[:20] == [401] * 20 and codes[20] == 429
        await sprayer.close()
    finally:
        await attacker.close()
        await owner.close()
        await site.server.close()
        await site.store.close()


async def test_a_forged_forwarded_address_is_not_believed_without_a_trusted_proxy(
    site: Site,
) -> None:
    """Without TRUSTED_PROXIES the socket's address counts: a new X-Forwarded-For per guess
    does not buy new attempts."""
    statuses = []
    for i in range(6):
        browser = Browser(site, headers={"X-Forwarded-For": f"192.0.2.{i}"})
        statuses.append(await browser.login("editor", "wrong password!"))
        await browser.close()
    assert statuses == [401] * 5 + [429]


async def test_behind_a_proxy_requests_that_bypass_it_are_refused(
    seeded: Path, tmp_path: Path
) -> None:
    site, _ = await open_site(seeded, tmp_path, trusted_proxies="10.9.8.0/24")
    browser = Browser(site)
    try:
        status, _, _ = await browser.get("/login")
        assert status == 400  # 127.0.0.1 is not the proxy
        assert (await browser.get("/healthz"))[0] == 200  # probes still reach it
    finally:
        await browser.close()
        await site.server.close()
        await site.store.close()


def test_locks_grow_longer_for_a_repeated_guesser_and_end_after_success() -> None:
    throttle = accounts.LoginThrottle(attempts=3, window=60, max_lock=200)
    keys = throttle.keys("anna", "203.0.113.7")
    now = 1000.0
    locks = []
    for _ in range(4):
        for _ in range(3):
            throttle.failed(*keys, now=now)
        locks.append(throttle.blocked_for(*keys, now=now))
        now += locks[-1] + 1
    assert locks == [60, 120, 200, 200]
    assert throttle.blocked_for(*throttle.keys("anna", "198.51.100.1"), now=now - 1) == 0
    throttle.succeeded(*keys)
    assert throttle.blocked_for(*keys, now=now) == 0


def test_a_guesser_cannot_escape_the_limits_by_changing_ipv6_address() -> None:
    throttle = accounts.LoginThrottle(attempts=3, window=60)
    for n in range(3):  # every guess from another address of the same /64
        throttle.failed(*throttle.keys("anna", f"2001:db8:1:2::{n + 1:x}"), now=1000.0)
    assert throttle.blocked_for(*throttle.keys("anna", "2001:db8:1:2:ffff::9"), now=1001.0) > 0
    assert throttle.blocked_for(*throttle.keys("anna", "2001:db8:1:3::1"), now=1001.0) == 0
    assert throttle.keys("b", "::ffff:203.0.113.7") == throttle.keys("b", "203.0.113.7")  # mapped


async def test_pages_cannot_be_framed_run_inline_scripts_or_stay_in_the_cache(site: Site) -> None:
    admin = Browser(site)
    try:
        assert await admin.login("admin") == 303
        async with admin.http.get(site.url + "/users") as resp:
            assert resp.status == 200
            policy = resp.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy
            assert resp.headers["X-Frame-Options"] == "DENY"
            assert resp.headers["Cache-Control"] == "no-store"
        async with admin.http.get(site.url + "/static/workspace.css") as resp:
            assert resp.status == 200 and "no-store" not in resp.headers.get("Cache-Control", "")
    finally:
        await admin.close()


def test_no_page_writes_a_script_inline() -> None:
    """The policy would silently break one (a button that does nothing): none may come back."""
    templates = Path(__file__).resolve().parent.parent / "workspace"
    for page in templates.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+=|javascript:|<script(?![^>]*\ssrc=)", html), page


def test_logging_in_to_ones_own_account_does_not_reset_the_addresss_count() -> None:
    throttle = accounts.LoginThrottle(attempts=5, client_attempts=6, window=300)
    for n in range(6):
        throttle.failed(*throttle.keys(f"victim{n}", "203.0.113.7"), now=1000.0)
        throttle.succeeded(*throttle.keys("me", "203.0.113.7"))
    assert throttle.blocked_for(*throttle.keys("victim9", "203.0.113.7"), now=1000.0) > 0


async def test_a_public_school_page_counts_a_visitor_once_a_day(site: Site) -> None:
    visitor = Browser(site)
    try:
        for _ in range(5):
            assert (await visitor.get(f"/s/{OWN}"))[0] == 200
        await visitor.get(f"/s/{OWN}?lang=uk&sw=1")  # a language switch is the same visit
    finally:
        await visitor.close()
    async with site.store.sessions() as session:
        counts = (await session.execute(select(SchoolOpen.channel, SchoolOpen.count))).all()
    assert counts == [("web", 1)]


def test_a_day_later_the_same_visitor_counts_again() -> None:
    visits = OncePerDay()
    today = date(2026, 12, 6)
    assert visits.first("203.0.113.7", OWN, today)
    assert not visits.first("203.0.113.7", OWN, today)
    assert visits.first("203.0.113.8", OWN, today)
    assert visits.first("203.0.113.7", OTHER, today)
    assert visits.first("203.0.113.7", OWN, today + timedelta(days=1))


# What reaches Telegram: lengths as Telegram counts them (UTF-16 code units), no tag cut.

EMOJI_ARABIC = "مرحبا 👨‍👩‍👧‍👦 بكم في فروتسواف 🇵🇱 " * 20


@pytest.mark.parametrize("limit", [1, 2, 50, 1024, 4096])
def test_clipped_text_fits_telegram_and_keeps_every_character_whole(limit: int) -> None:
    text = EMOJI_ARABIC * 30
    clipped = clip(text, limit)
    assert telegram_length(clipped) <= limit
    assert clipped.endswith("…")
    assert clipped[:-1].rstrip() == text[: len(clipped) - 1].rstrip()  # a prefix, nothing broken
    clipped.encode("utf-8")  # strict: no half of a surrogate pair left behind
    assert clip("short", 10) == "short"


def test_control_characters_go_but_lines_and_tabs_stay() -> None:
    assert strip_controls("pe\x00sel\x07?\r\n\tok\x1b[31m\x7f") == "pesel?\r\n\tok[31m"


def test_a_caption_loses_its_controls_at_the_edge_as_a_text_does() -> None:
    """A question typed under a photo is answered and may be kept (PostgreSQL refuses NUL)."""
    from aiogram.types import Update

    from bot.middlewares.context import _without_controls

    message = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"},
               "photo": [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}],
               "caption": "pe\x00sel?"}  # fmt: skip
    update = _without_controls(Update.model_validate({"update_id": 1, "message": message}))
    assert update.message is not None and update.message.caption == "pesel?"


@pytest.mark.parametrize("lang", ["ar", "uk", "en"])
def test_a_school_with_the_longest_texts_still_makes_one_valid_message(lang: str) -> None:
    longest = (EMOJI_ARABIC + "<b>&amp;") * 10
    info = SchoolInfoDoc(
        who_can_join=longest[:3000], how_to_apply=longest[:3000], what_to_bring=longest[:3000]
    )
    school = SchoolDoc(
        code="long", name="Szkoła <Podstawowa> nr 1" * 8, district="Krzyki", infos={lang: info}
    )
    card = school_card(school, I18n().get(lang))
    checker = _Tags()
    checker.feed(card)
    checker.close()
    assert checker.open == [] and checker.tags <= {"b", "i"}
    assert telegram_length(checker.text) <= TELEGRAM_LIMIT
    assert "<Podstawowa>" not in card  # escaped, not markup


class _Tags(HTMLParser):
    """Telegram's HTML as its parser sees it: tags must nest and close; the rest is text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.tags: set[str] = set()
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)
        self.tags.add(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag

    def handle_data(self, data: str) -> None:
        self.text += data


def test_names_sprayed_from_many_addresses_do_not_grow_the_throttle_without_end() -> None:
    throttle = accounts.LoginThrottle(window=60, max_lock=60, max_keys=1000)
    for i in range(20_000):
        throttle.failed(*throttle.keys(f"name{i}", f"10.0.{i // 250}.{i % 250}"), now=i * 0.1)
    assert len(throttle._failures) + len(throttle._locked) < 3000


async def test_a_failing_statement_never_shows_the_migrants_words(tmp_path: Path) -> None:
    from sqlalchemy import text

    from knowledge.db import make_engine

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    words = "мій чоловік мене б'є, адреса Ślężna 5"
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE q (t TEXT UNIQUE)"))
            await connection.execute(text("INSERT INTO q VALUES (:t)"), {"t": words})
            with pytest.raises(Exception) as failed:
                await connection.execute(text("INSERT INTO q VALUES (:t)"), {"t": words})
        assert "UNIQUE" in str(failed.value) and words not in str(failed.value)
    finally:
        await engine.dispose()


async def test_links_to_sources_do_not_hand_over_the_workspace(
    browsers: dict[str, Browser],
) -> None:
    status, page, _ = await browsers["editor"].get("/t/pesel/uk")
    assert status == 200
    external = re.findall(r"<a [^>]*href=\"https?://[^>]*>", page)
    assert external and all('rel="noopener noreferrer"' in a for a in external), external


@pytest.mark.parametrize("public", [None, "https://witaj.example.org"])
async def test_cookies_are_kept_from_scripts_and_from_plain_http_behind_https(
    seeded: Path, tmp_path: Path, public: str | None
) -> None:
    opened, _ = await open_site(seeded, tmp_path, **({"public_url": public} if public else {}))
    try:
        async with (
            ClientSession() as http,
            http.get(opened.url + "/login?lang=uk", allow_redirects=False) as resp,
        ):
            cookies = resp.headers.getall("Set-Cookie")
        assert {c.split("=")[0] for c in cookies} == {COOKIE, "witaj_lang"}
        for cookie in cookies:
            flags = {flag.strip().lower() for flag in cookie.split(";")[1:]}
            assert {"httponly", "samesite=lax"} <= flags, cookie
            assert ("secure" in flags) == (public is not None), cookie  # an https address
    finally:
        await opened.server.close()
        await opened.store.close()
