"""The usage overview: anonymous weekly figures for the city team's reports.

Counts only — questions by topic and language, how often the bot had no answer, handoffs and
how soon a person answered, safety replies — and the most asked questions still without an
answer (for a translator, those asked in their languages). Nothing here names or identifies a
person; the CSV is the same table for a report.
"""

from __future__ import annotations

import csv
import io

from aiohttp import web

from knowledge import gaps, usage
from workspace.access import conversation_languages
from workspace.common import library, store
from workspace.pages import render
from workspace.session import current_user

routes = web.RouteTableDef()
WEEKS = 8
TOP_UNANSWERED = 10


@routes.get("/usage")
async def usage_page(request: web.Request) -> web.Response:
    # The most asked questions are migrants' own words: a translator sees those in their
    # languages only (the figures are counts, for everyone).
    readable = conversation_languages(current_user(request))
    async with store(request).sessions() as session:
        figures = await usage.overview(session, weeks=WEEKS)
        groups = (await gaps.unanswered_groups(session, readable))[:TOP_UNANSWERED]
    catalog = library(request).catalog
    titles = {
        slug: doc.translations["pl"].title if "pl" in doc.translations else slug
        for slug, doc in catalog.items()
    }
    return render(
        request,
        "usage.html",
        figures=figures,
        totals=figures.totals,
        titles=titles,
        buckets=usage.REPLY_BUCKET_NAMES,
        unanswered=[(g.lang, g.text, len(g.questions)) for g in groups],
    )


@routes.get("/usage.csv")
async def usage_csv(request: web.Request) -> web.Response:
    async with store(request).sessions() as session:
        figures = await usage.overview(session, weeks=52)
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(
        ["week", "questions", "answered", "abstained", "abstention_rate", "handoffs",
         *(f"first_reply_{name}" for name in usage.REPLY_BUCKET_NAMES), "safety_replies"]
    )  # fmt: skip
    for week in figures.weeks:
        out.writerow(
            [week.monday.isoformat(), week.questions, week.answered, week.abstained,
             f"{week.abstention_rate:.3f}", week.handoffs,
             *(week.first_replies.get(name, 0) for name in usage.REPLY_BUCKET_NAMES),
             week.safety]
        )  # fmt: skip
    return web.Response(
        text=buffer.getvalue(),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="witaj-usage.csv"'},
    )
