"""A school's public page (`/s/<code>`) and its A4 poster, rendered in the reader's language."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import SQLAlchemyError

from flows.cards import ASSISTANT, school_view
from flows.schools import CITY_LIST
from knowledge import schools
from knowledge.i18n import N_, I18n, Translator
from knowledge.languages import LANGUAGES, NATIVE_NAMES, RTL_LANGUAGES
from knowledge.links import LinkBase, qr_svg_inline
from knowledge.schools import SchoolDoc
from knowledge.store import Store
from workspace.session import LIBRARIAN, LINKS, PUBLIC_PREFIX, STORE

log = logging.getLogger(__name__)

ENV = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
SCAN = N_("Scan for information in your language")
POSTER_TITLE = N_("Preparatory class: information for parents")

PUBLIC_I18N = web.AppKey("public_i18n", I18n)
VISITS = web.AppKey("public_visits", schools.OncePerDay)

routes = web.RouteTableDef()


def reader_language(request: web.Request) -> str:
    """`?lang=`, else the browser's first language we speak, else English."""
    wanted = request.query.get("lang", "")
    if wanted in LANGUAGES:
        return wanted
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


def _page(name: str, t: Translator, status: int = 200, **context: Any) -> web.Response:
    html = ENV.get_template(name).render(
        _=t.gettext,
        lang=t.lang,
        dir="rtl" if t.rtl else "ltr",
        languages=LANGUAGES,
        native=NATIVE_NAMES,
        rtl=RTL_LANGUAGES,
        **context,
    )
    return web.Response(
        text=html,
        content_type="text/html",
        status=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


@routes.get(PUBLIC_PREFIX + "{code}")
async def school_page(request: web.Request) -> web.Response:
    t = request.app[PUBLIC_I18N].get(reader_language(request))
    code = request.match_info["code"]
    school = request.app[LIBRARIAN].current.schools.get(code)
    if school is None:
        return _page("missing.html", t, status=404, city=CITY_LIST, code=code)
    # A language switch is the same visit; a reload (or a script) the same visitor.
    if "sw" not in request.query and request.app[VISITS].first(request.remote or "?", code):
        await _count(request.app[STORE], code)
    links = request.app[LINKS]
    return _page(
        "school.html",
        t,
        school=school,
        view=school_view(school, t),
        assistant=t.gettext(ASSISTANT),
        telegram=links.school_link(code),
        city=CITY_LIST,
    )


async def _count(store: Store, code: str) -> None:
    """Count the visit; a database that went away must not cost the parent the page."""
    try:
        async with store.transaction() as session:
            await schools.record_open(session, code, "web", date.today())
    except SQLAlchemyError:
        log.warning("could not count a visit of /s/%s", code, exc_info=True)


def poster(school: SchoolDoc, i18n: I18n, links: LinkBase, page_url: str, ui: Translator) -> str:
    """The printable A4 poster: the school, the QR code, and one line per language."""
    telegram = links.school_link(school.code)
    lines = [
        (code, "rtl" if code in RTL_LANGUAGES else "ltr", i18n.get(code).gettext(SCAN))
        for code in LANGUAGES
    ]
    titles = dict.fromkeys(i18n.get(code).gettext(POSTER_TITLE) for code in ("pl", "uk", "en"))
    return (
        _page(
            "poster.html",
            ui,
            school=school,
            qr=qr_svg_inline(telegram),
            telegram=telegram,
            short=telegram.removeprefix("https://"),
            page_url=page_url,
            lines=lines,
            titles=list(titles),
        ).text
        or ""
    )
