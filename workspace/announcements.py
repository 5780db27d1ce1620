"""The workspace's announcements: compose per language, preview the audience, send, progress."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from knowledge import announcements
from knowledge.enums import AnnouncementStatus
from knowledge.i18n import N_
from knowledge.languages import LANGUAGES
from knowledge.models import ROW_ID
from workspace.common import redirect
from workspace.pages import render
from workspace.session import LIBRARIAN, STORE, current_user, form_of

routes = web.RouteTableDef()
STATUS_WORDS = (N_("sending"), N_("done"), N_("cancelled"))
"""Announcement states as the template shows them (`_(status.value)`), for extraction."""


def _texts(form: Any) -> dict[str, str]:
    return {lang: str(form.get(f"text_{lang}", "")) for lang in LANGUAGES}


async def _page(
    request: web.Request, *, status: int = 200, error: str | None = None, **extra: object
) -> web.Response:
    catalog = request.app[LIBRARIAN].current.catalog
    async with request.app[STORE].sessions() as session:
        rows = await announcements.progress(session)
    return render(
        request,
        "announcements.html",
        status=status,
        rows=rows,
        audiences=announcements.audiences(sorted(catalog)),
        sending=any(r.announcement.status is AnnouncementStatus.SENDING for r in rows),
        error=error,
        texts=extra.pop("texts", {}),
        audience=extra.pop("audience", "all"),
        **extra,
    )


@routes.get("/announcements")
async def announcements_page(request: web.Request) -> web.Response:
    return await _page(request)


@routes.post("/announcements/preview")
async def preview(request: web.Request) -> web.Response:
    return await _compose(request, send=False)


@routes.post("/announcements")
async def send(request: web.Request) -> web.Response:
    return await _compose(request, send=True)


async def _compose(request: web.Request, *, send: bool) -> web.Response:
    """Preview (who gets it, which languages fall back) or send; a bad form comes back whole."""
    form = form_of(request)
    texts, audience = _texts(form), str(form.get("audience", "all"))
    catalog = request.app[LIBRARIAN].current.catalog
    try:
        cleaned = announcements.check(texts, audience, sorted(catalog))
        if send:
            async with request.app[STORE].sessions.begin() as session:
                row = await announcements.create(
                    session, texts, audience,
                    created_by=current_user(request).name, topics=sorted(catalog),
                )  # fmt: skip
                await announcements.start(session, row)
            return redirect("/announcements?saved=sending")
    except announcements.AnnouncementError as exc:
        return await _page(request, status=400, error=str(exc), texts=texts, audience=audience)
    async with request.app[STORE].sessions() as session:
        seen = await announcements.preview(session, cleaned, audience)
    fallbacks = {lang: announcements.fallback(cleaned, lang) for lang in seen.missing}
    return await _page(request, texts=texts, audience=audience, preview=seen, fallbacks=fallbacks)


@routes.post(f"/announcements/{{id:{ROW_ID}}}/cancel")
async def cancel(request: web.Request) -> web.Response:
    async with request.app[STORE].sessions.begin() as session:
        row = await announcements.get(session, int(request.match_info["id"]))
        if row is None:
            raise web.HTTPNotFound()
        stopped = row.status is AnnouncementStatus.SENDING  # else it had finished: nothing to stop
        await announcements.cancel(session, row)
    return redirect("/announcements?saved=stopped" if stopped else "/announcements")
