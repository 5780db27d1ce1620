"""Sessions, CSRF tokens, login checks and the page language — one middleware.

The cookie is signed with a key kept in the database (so every replica accepts it) and holds
the CSRF token and, once logged in, a random session token whose hash is a row in
`web_session`: logging out, disabling the account or changing its password deletes the row,
and a copied cookie opens nothing any more. Sessions end after two idle hours or twelve in
all. Every POST must echo the CSRF token: a form on another site cannot, and neither can a
request that never loaded a page of ours.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from itsdangerous import BadSignature, URLSafeTimedSerializer
from multidict import MultiDict, MultiDictProxy

from knowledge import web_sessions
from knowledge.i18n import I18n, Translator
from knowledge.library import Librarian
from knowledge.links import LinkBase
from knowledge.models import Practitioner
from knowledge.render import strip_controls
from knowledge.store import Store

COOKIE = "witaj_session"
LANG_COOKIE = "witaj_lang"
MAX_AGE = int(web_sessions.ABSOLUTE.total_seconds())
PUBLIC = frozenset({"/login"})
PUBLIC_PREFIX = "/s/"
"""Parents' pages (workspace.public): no session, no cookie, no login."""

STORE = web.AppKey("store", Store)
LIBRARIAN = web.AppKey("librarian", Librarian)
I18N = web.AppKey("workspace_i18n", I18n)
SIGNER = web.AppKey("signer", URLSafeTimedSerializer)
SECURE = web.AppKey("secure_cookies", bool)
LINKS = web.AppKey("links", LinkBase)
EXEMPT = web.AppKey("exempt_paths", set)
"""Paths served by the same app that are not workspace pages (the Telegram webhook)."""

T = web.RequestKey("t", Translator)
SESSION = web.RequestKey("session", dict)
USER = web.RequestKey("user", Practitioner)
SESSION_CHANGED = web.RequestKey("session_changed", bool)
FORM = web.RequestKey("form", MultiDictProxy)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def translator(request: web.Request) -> Translator:
    return request[T]


def current_user(request: web.Request) -> Practitioner:
    if USER not in request:
        raise web.HTTPForbidden()
    return request[USER]


def _language(request: web.Request, i18n: I18n) -> str:
    wanted = request.query.get("lang") or request.cookies.get(LANG_COOKIE)
    if wanted in i18n.languages:
        return wanted
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in i18n.languages:
            return code
    return i18n.default


def _public(path: str) -> bool:
    return path in PUBLIC or path.startswith("/static/")


def bypasses(request: web.Request) -> bool:
    """Paths that are not workspace pages: the webhook, and the public pages for parents."""
    return request.path in request.app.get(EXEMPT, ()) or request.path.startswith(PUBLIC_PREFIX)


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    app = request.app
    if bypasses(request):
        return await handler(request)
    signer = app[SIGNER]
    lang = _language(request, app[I18N])
    request[T] = app[I18N].get(lang)
    data: dict[str, Any] = {}
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            loaded = signer.loads(raw, max_age=MAX_AGE)
            data = loaded if isinstance(loaded, dict) else {}
        except BadSignature:
            data = {}
    fresh = "csrf" not in data
    if fresh:
        data = {"csrf": secrets.token_urlsafe(24)}
    request[SESSION] = data
    user = None
    token = data.get("sid")
    if isinstance(token, str):
        async with app[STORE].transaction() as session:
            user = await web_sessions.user_of(session, token)
        if user is None:  # ended (logout, disabled, new password, timeout): forget it
            data.pop("sid", None)
            request[SESSION_CHANGED] = True
    if user is not None:
        request[USER] = user
    if request.method == "POST":
        form = request[FORM] = _cleaned(await request.post())
        token = form.get("csrf")
        if not isinstance(token, str) or not secrets.compare_digest(token, data["csrf"]):
            raise web.HTTPForbidden(text=request[T].gettext("This form has expired. Reload."))
    if user is None and not _public(request.path):
        if request.method == "GET":
            raise web.HTTPFound(f"/login?next={request.path_qs}")
        raise web.HTTPForbidden(text=request[T].gettext("Please log in."))
    response = await handler(request)
    if fresh or request.get(SESSION_CHANGED):
        response.set_cookie(
            COOKIE,
            signer.dumps(request[SESSION]),
            max_age=MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=app[SECURE],
        )
    if request.query.get("lang") == lang:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=365 * 86400,
            httponly=True,
            samesite="Lax",
            secure=app[SECURE],
        )
    return response


def form_of(request: web.Request) -> MultiDictProxy[Any]:
    """The posted form, read once, without control characters in its text fields."""
    return request[FORM]


def _cleaned(form: MultiDictProxy[Any]) -> MultiDictProxy[Any]:
    clean: MultiDict[Any] = MultiDict()
    for key, value in form.items():
        clean.add(key, strip_controls(value) if isinstance(value, str) else value)
    return MultiDictProxy(clean)


async def log_in(request: web.Request, user: Practitioner) -> None:
    """A new session and a new CSRF token (no fixation of an old session). The browser's
    previous session ends: someone logging in on a shared computer leaves none behind."""
    previous = request[SESSION].get("sid")
    async with request.app[STORE].transaction() as session:
        if isinstance(previous, str):
            await web_sessions.end(session, previous)
        token = await web_sessions.start(session, user)
    request[SESSION] = {"csrf": secrets.token_urlsafe(24), "sid": token}
    request[SESSION_CHANGED] = True


async def log_out(request: web.Request) -> None:
    """End the session on the server: the cookie, even copied, opens nothing any more."""
    token = request[SESSION].get("sid")
    if isinstance(token, str):
        async with request.app[STORE].transaction() as session:
            await web_sessions.end(session, token)
    request[SESSION] = {"csrf": secrets.token_urlsafe(24)}
    request[SESSION_CHANGED] = True
