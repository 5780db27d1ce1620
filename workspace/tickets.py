"""The workspace's view of handed-over conversations (tickets)."""

from __future__ import annotations

from aiohttp import web

from knowledge import handoff
from knowledge.i18n import N_
from knowledge.models import ROW_ID
from workspace.access import conversation_languages
from workspace.pages import render
from workspace.paging import paginate
from workspace.session import STORE, current_user

routes = web.RouteTableDef()
STATUS_WORDS = (N_("open"), N_("closed"))
"""Ticket states as the templates show them (`_(status.value)`), for extraction."""
TICKETS_PAGE = 50


@routes.get("/tickets")
async def tickets_page(request: web.Request) -> web.Response:
    languages = conversation_languages(current_user(request))
    async with request.app[STORE].sessions() as session:
        rows = await handoff.list_tickets(session, languages=languages)
    page = paginate(rows, request.query.get("page"), TICKETS_PAGE)
    return render(request, "tickets.html", page=page)


@routes.get(f"/tickets/{{ticket:{ROW_ID}}}")
async def ticket_page(request: web.Request) -> web.Response:
    async with request.app[STORE].sessions() as session:
        ticket = await handoff.get_ticket(session, int(request.match_info["ticket"]))
    languages = conversation_languages(current_user(request))
    if ticket is None or (languages is not None and ticket.lang not in languages):
        raise web.HTTPNotFound()
    return render(request, "ticket.html", ticket=ticket)
