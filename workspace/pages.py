"""Rendering: one Jinja environment, every page gets the translator, the user and the token."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

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
        **{"today": date.today(), **context},
    )
    return web.Response(text=html, content_type="text/html", status=status)
