"""The workspace's view of handed-over conversations (tickets)."""

from __future__ import annotations

from aiohttp import web

from bot.i18n import N_
from bot.web.pages import render
from bot.web.session import KNOWLEDGE
from knowledge import handoff

routes = web.RouteTableDef()
STATUS_WORDS = (N_("open"), N_("closed"))
"""Ticket states as the templates show them (`_(status.value)`), for extraction."""


@routes.get("/tickets")
async def tickets_page(request: web.Request) -> web.Response:
    async with request.app[KNOWLEDGE].sessions() as session:
        rows = await handoff.list_tickets(session)
    return render(request, "tickets.html", rows=rows)


@routes.get("/tickets/{ticket:\\d+}")
async def ticket_page(request: web.Request) -> web.Response:
    async with request.app[KNOWLEDGE].sessions() as session:
        ticket = await handoff.get_ticket(session, int(request.match_info["ticket"]))
    if ticket is None:
        raise web.HTTPNotFound()
    return render(request, "ticket.html", ticket=ticket)
