"""Ready messages for parents: pick one, fill the fields, get it in the parent's language.

The text comes out with dates and times formatted for that language, to copy into the
e-gradebook or a chat — or to send straight into an open conversation with a migrant.
"""

from __future__ import annotations

import html
from typing import Any

from aiohttp import web

from knowledge import handoff, message_templates
from knowledge.enums import TicketStatus
from knowledge.handoff import DeliveryError, Messenger, RecipientBlockedError
from knowledge.i18n import N_
from knowledge.languages import LANGUAGES, SOURCE_LANGUAGE
from knowledge.message_templates import FieldError, MessageTemplate
from knowledge.models import row_id
from workspace.access import conversation_languages
from workspace.pages import render
from workspace.session import STORE, current_user, form_of, translator

routes = web.RouteTableDef()
MESSENGER = web.AppKey("messenger", Messenger)
"""Sends into a conversation, when the workspace runs beside the bot."""

LABELS = {
    "date": N_("Date"),
    "time": N_("Time"),
    "room": N_("Room"),
    "place": N_("Meeting place"),
    "documents": N_("Documents (one per line)"),
}
PROBLEMS = {
    "date": N_("Please enter a valid date."),
    "time": N_("Please enter a valid time."),
    "text": N_("Please fill in this field (at most 200 characters)."),
    "list": N_("Please enter at least one line."),
}


def _template(request: web.Request) -> MessageTemplate:
    found = message_templates.load().get(request.match_info["id"])
    if found is None:
        raise web.HTTPNotFound()
    return found


async def _open_tickets(request: web.Request) -> list[Any]:
    languages = conversation_languages(current_user(request))
    if MESSENGER not in request.app or languages == frozenset():
        return []
    async with request.app[STORE].sessions() as session:
        rows = await handoff.list_tickets(session, languages=languages)
    return [row for row in rows if row.status is TicketStatus.OPEN and not row.undeliverable]


async def _page(request: web.Request, status: int = 200, **context: Any) -> web.Response:
    return render(
        request,
        "ready_messages.html",
        status=status,
        templates=list(message_templates.load().values()),
        labels=LABELS,
        tickets=await _open_tickets(request),
        **{"chosen": None, "values": {}, "target": "uk", "result": None, "error": None, **context},
    )


@routes.get("/messages")
async def messages_page(request: web.Request) -> web.Response:
    return await _page(request)


@routes.post("/messages/{id}")
async def make_message(request: web.Request) -> web.Response:
    template = _template(request)
    form = form_of(request)
    values = {f.name: str(form.get(f.name, "")) for f in template.fields}
    target = str(form.get("lang", ""))
    if target not in LANGUAGES:
        target = "uk"
    context: dict[str, Any] = {"chosen": template.id, "values": values, "target": target}
    try:
        result = message_templates.render(template, target, values)
        polish = message_templates.render(template, SOURCE_LANGUAGE, values)
    except FieldError as exc:
        problem = translator(request).gettext(PROBLEMS[exc.kind])
        label = translator(request).gettext(LABELS.get(exc.field, exc.field))
        return await _page(request, status=400, error=f"{label}: {problem}", **context)
    ticket_id = row_id(str(form.get("ticket", "")))
    if form.get("action") == "send" and ticket_id is not None:
        return await _send(request, template, values, ticket_id, context)
    return await _page(request, result=result, polish=polish, **context)


async def _send(
    request: web.Request,
    template: MessageTemplate,
    values: dict[str, str],
    ticket_id: int,
    context: dict[str, Any],
) -> web.Response:
    """Into a conversation: in the migrant's own language, whatever was picked on the page."""
    t = translator(request)
    author = current_user(request).name
    async with request.app[STORE].sessions.begin() as session:
        ticket = await handoff.get_ticket(session, ticket_id)
        languages = conversation_languages(current_user(request))
        if (
            ticket is None
            or ticket.status is not TicketStatus.OPEN
            or MESSENGER not in request.app
            or (languages is not None and ticket.lang not in languages)
        ):
            raise web.HTTPNotFound()
        text = message_templates.render(template, ticket.lang, values)
        try:
            await request.app[MESSENGER].send(
                ticket.chat_id, f"💬 <b>{html.escape(author)}</b>:\n\n{html.escape(text)}"
            )
        except RecipientBlockedError:
            ticket.undeliverable = True
            error = t.gettext("Not delivered: this person has blocked the bot.")
            return await _page(request, status=409, error=error, **context)
        except DeliveryError:
            error = t.gettext("Telegram did not accept the message; nothing was sent.")
            return await _page(request, status=502, error=error, **context)
        await handoff.add_message(session, ticket, text, from_migrant=False, author=author)
    sent = t.gettext("Sent into conversation #{n}.").format(n=ticket_id)
    return await _page(request, result=text, sent=sent, **context)
