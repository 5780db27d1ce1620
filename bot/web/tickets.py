"""The workspace's view of handed-over conversations (tickets)."""

from __future__ import annotations

from aiohttp import web

from bot.i18n import N_
from bot.web.pages import render
from bot.web.session import KNOWLEDGE, current_user, translator
from bot.web.views import forbidden
from knowledge import handoff
from knowledge.models import Role

routes = web.RouteTableDef()
STATUS_WORDS = (N_("open"), N_("closed"))
"""Ticket states as the templates show them (`_(status.value)`), for extraction."""


def _refused(request: web.Request) -> web.Response | None:
    """A school's account manages its school's pages; migrants' conversations are not for it."""
    if current_user(request).role is Role.SCHOOL:
        return forbidden(request, translator(request).gettext("Only admins can see this."))
    return None


@routes.get("/tickets")
async def tickets_page(request: web.Request) -> web.Response:
    if (refused := _refused(request)) is not None:
        return refused
    async with request.app[KNOWLEDGE].sessions() as session:
        rows = await handoff.list_tickets(session)
    return render(request, "tickets.html", rows=rows)


@routes.get("/tickets/{ticket:\\d+}")
async def ticket_page(request: web.Request) -> web.Response:
    if (refused := _refused(request)) is not None:
        return refused
    async with request.app[KNOWLEDGE].sessions() as session:
        ticket = await handoff.get_ticket(session, int(request.match_info["ticket"]))
    if ticket is None:
        raise web.HTTPNotFound()
    return render(request, "ticket.html", ticket=ticket)
