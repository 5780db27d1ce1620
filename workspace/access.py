"""Who may open which page: one table for every route, enforced by one middleware.

Admins manage accounts and schools; editors manage topics, the inbox, reviews and
announcements; translators work on their own languages (and the conversations in them); a
school's account sees and edits only its own school. A route missing from the table is
refused (tests/test_security.py checks every route against every role), so a new page cannot
be opened by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from knowledge.enums import Role
from knowledge.models import Practitioner, School
from workspace.common import forbidden
from workspace.session import STORE, USER, Handler, bypasses, translator

A, E, T, S = Role.ADMIN, Role.EDITOR, Role.TRANSLATOR, Role.SCHOOL


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    own_language: bool = False
    """A translator only where the route's {lang} is one of theirs."""
    own_school: bool = False
    """A school's account only where the route's {code} is its school."""


def rule(*roles: Role, own_language: bool = False, own_school: bool = False) -> Rule:
    return Rule(frozenset(roles), own_language, own_school)


PUBLIC = None
STAFF = rule(A, E, T)
MANAGERS = rule(A, E)
ADMINS = rule(A)
SCHOOL_VIEW = rule(A, E, T, S, own_school=True)
SCHOOL_EDIT = rule(A, S, own_school=True)
TOPIC = rule(A, E, T, own_language=True)

RULES: dict[tuple[str, str], Rule | None] = {
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/s/{code}"): PUBLIC,
    ("GET", "/static"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/"): STAFF,
    ("GET", "/t/{slug}/{lang}"): STAFF,  # other languages read-only for a translator
    ("POST", "/t/{slug}/{lang}"): TOPIC,
    ("POST", "/t/{slug}/{lang}/restore/{revision}"): TOPIC,
    ("GET", "/unanswered"): STAFF,
    ("POST", "/unanswered/link"): MANAGERS,
    ("POST", "/unanswered/new"): MANAGERS,
    ("POST", "/unanswered/dismiss"): MANAGERS,
    ("GET", "/feedback"): STAFF,
    ("GET", "/reviews"): STAFF,
    ("POST", "/reviews/{slug}"): MANAGERS,
    ("GET", "/users"): ADMINS,
    ("POST", "/users/{name}/{action}"): ADMINS,
    ("GET", "/schools"): rule(A, E, T, S),
    ("POST", "/schools"): ADMINS,
    ("GET", "/schools/{code}"): SCHOOL_VIEW,
    ("POST", "/schools/{code}"): SCHOOL_EDIT,
    ("GET", "/schools/{code}/{lang}"): SCHOOL_VIEW,
    ("POST", "/schools/{code}/{lang}"): SCHOOL_EDIT,
    ("POST", "/schools/{code}/{lang}/restore/{revision}"): SCHOOL_EDIT,
    ("GET", "/schools/{code}/qr.{kind}"): SCHOOL_VIEW,
    ("GET", "/schools/{code}/poster"): SCHOOL_VIEW,
    ("GET", "/tickets"): STAFF,
    ("GET", "/tickets/{ticket}"): STAFF,
    ("GET", "/announcements"): STAFF,
    ("POST", "/announcements/preview"): MANAGERS,
    ("POST", "/announcements"): MANAGERS,
    ("POST", "/announcements/{id}/cancel"): MANAGERS,
    ("GET", "/messages"): rule(A, E, T, S),
    ("POST", "/messages/{id}"): rule(A, E, T, S),
    ("GET", "/paths"): STAFF,
    ("GET", "/paths/{slug}/{lang}"): STAFF,  # other languages read-only for a translator
    ("POST", "/paths/{slug}/{lang}"): TOPIC,
    ("POST", "/paths/{slug}/{lang}/restore/{revision}"): TOPIC,
    ("GET", "/usage"): STAFF,
    ("GET", "/usage.csv"): STAFF,
}


def conversation_languages(user: Practitioner) -> frozenset[str] | None:
    """The languages of the conversations a practitioner may read and answer (None: all).
    Conversations are the most private thing here: a translator sees those in their own
    languages, a school's account none."""
    if user.role in (A, E):
        return None
    return frozenset(user.languages) if user.role is T else frozenset()


def route_key(request: web.Request) -> tuple[str, str] | None:
    resource = request.match_info.route.resource
    if resource is None:
        return None
    method = "GET" if request.method == "HEAD" else request.method
    return method, resource.canonical


@web.middleware
async def access_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    key = route_key(request)
    if key is None or bypasses(request):  # no such page (404/405), or not a workspace page
        return await handler(request)
    if key not in RULES:
        return _refuse(request)
    found = RULES[key]
    if found is PUBLIC:
        return await handler(request)
    user = request.get(USER)
    if user is None:  # the session middleware sent anonymous visitors to the login page
        return _refuse(request)
    if user.role is S and key == ("GET", "/"):  # a school's home is its school
        raise web.HTTPFound(f"/schools/{await _school_code(request)}")
    if user.role not in found.roles:
        return _refuse(request)
    params = request.match_info
    if found.own_language and user.role is T and params.get("lang") not in user.languages:
        return _refuse(request)
    if found.own_school and user.role is S and params.get("code") != await _school_code(request):
        return _refuse(request)
    return await handler(request)


async def _school_code(request: web.Request) -> str | None:
    user = request[USER]
    if user.school_id is None:
        return None
    async with request.app[STORE].sessions() as session:
        school = await session.get(School, user.school_id)
    return school.code if school is not None else None


def _refuse(request: web.Request) -> web.Response:
    return forbidden(request, translator(request).gettext("Your account may not open this page."))
