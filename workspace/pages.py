"""Rendering: one Jinja environment, every page gets the translator, the user and the token."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from knowledge.content import SLUG_RE
from knowledge.i18n import N_, Translator
from knowledge.languages import LANGUAGES, NATIVE_NAMES
from workspace.session import I18N, SESSION, USER, translator

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


SAVED = {
    "1": N_("Saved."),
    "reviewed": N_("Saved and marked as reviewed."),
    "restored": N_("Restored: the earlier text is back, saved as a draft."),
    "created": N_("Saved: a new draft topic. Check the text, then mark it as reviewed."),
    "school": N_("Saved: the school is added."),
    "plan": N_("Saved: the owner and review date of {topic}."),
    "sending": N_("Saved: the announcement is on its way."),
    "stopped": N_("Stopped: the announcement goes to nobody else."),
}
"""What a page says after a form saved something: a POST redirects to `?saved=<key>` and the
page shows the confirmation on top (only these texts: nothing typed into the address shows)."""


def saved_notice(request: web.Request, t: Translator) -> str | None:
    key = request.query.get("saved", "")
    if key not in SAVED:
        return None
    topic = request.query.get("topic", "")
    if "{topic}" in SAVED[key] and not SLUG_RE.match(topic):
        key = "1"  # not a topic's name: say no more than that it was saved
    return t.gettext(SAVED[key]).format(topic=topic)


def render(request: web.Request, name: str, *, status: int = 200, **context: Any) -> web.Response:
    t = translator(request)
    html = ENV.get_template(name).render(
        _=t.gettext,
        ngettext=t.ngettext,
        date=t.date,
        lang=t.lang,
        ui_languages=request.app[I18N].languages,
        languages=LANGUAGES,
        native=NATIVE_NAMES,
        user=request.get(USER),
        csrf=request[SESSION]["csrf"],
        path=request.path,
        saved_notice=saved_notice(request, t),
        **{"today": date.today(), **context},
    )
    return web.Response(text=html, content_type="text/html", status=status)
