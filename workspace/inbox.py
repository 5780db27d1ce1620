"""Closing the gaps: unanswered questions, feedback, review plans."""

from __future__ import annotations

from datetime import date

from aiohttp import web
from pydantic import ValidationError

from knowledge import accounts, gaps
from knowledge.content import SLUG_RE, SourceDoc
from knowledge.enums import Category
from knowledge.languages import LANGUAGES, SOURCE_LANGUAGE
from workspace.access import conversation_languages
from workspace.common import ids_field, library, redirect, refresh, store
from workspace.pages import render
from workspace.paging import paginate
from workspace.session import current_user, form_of, translator
from workspace.topics import source_problems

routes = web.RouteTableDef()
INBOX_PAGE = 20
"""Groups of unanswered questions on one page."""


@routes.get("/unanswered")
async def unanswered_page(request: web.Request) -> web.Response:
    # Migrants' own words: a translator reads those in their languages only.
    readable = conversation_languages(current_user(request))
    async with store(request).sessions() as session:
        groups = await gaps.unanswered_groups(session, readable)
    topics = sorted(
        (doc.slug, doc.translations[SOURCE_LANGUAGE].title if SOURCE_LANGUAGE in doc.translations
         else doc.slug)
        for doc in library(request).catalog.values()
    )  # fmt: skip
    return render(
        request,
        "unanswered.html",
        page=paginate(groups, request.query.get("page"), INBOX_PAGE),
        topics=topics,
        categories=[c.value for c in Category],
        notice=request.query.get("notice"),
    )


@routes.post("/unanswered/link")
async def unanswered_link(request: web.Request) -> web.Response:
    form = form_of(request)
    slug = str(form.get("slug", ""))
    if not slug:  # no topic is picked for the practitioner: they choose one, or nothing happens
        return redirect("/unanswered?notice=choose")
    try:
        async with store(request).sessions.begin() as session:
            missing = await gaps.answer_with_topic(
                session,
                ids_field(form),
                slug,
                actor=current_user(request).name,
            )
    except LookupError:
        raise web.HTTPNotFound() from None
    refresh(request)
    notice = "missing:" + ",".join(missing) if missing else "linked"
    return redirect(f"/unanswered?notice={notice}")


@routes.post("/unanswered/new")
async def unanswered_new(request: web.Request) -> web.Response:
    t = translator(request)
    form = form_of(request)
    slug = str(form.get("slug", "")).strip()
    lang = str(form.get("lang", ""))
    try:
        if not SLUG_RE.match(slug) or lang not in LANGUAGES:
            raise ValueError(t.gettext("A topic id is lower-case words joined by hyphens."))
        source = SourceDoc(
            title=str(form.get("source_title", "")).strip() or "—",
            url=str(form.get("source_url", "")).strip(),
        )
        if problems := source_problems(t, (source,)):  # as the editor would refuse it
            raise ValueError(problems[0])
        async with store(request).sessions.begin() as session:
            await gaps.new_topic(
                session,
                ids_field(form),
                slug=slug,
                category=Category(str(form.get("category", ""))),
                lang=lang,
                title=str(form.get("title", "")).strip(),
                answer=str(form.get("answer", "")).strip(),
                source=source,
                actor=current_user(request).name,
            )
    except (ValueError, ValidationError) as exc:
        return render(request, "message.html", status=400, message=str(exc))
    refresh(request)
    return redirect(f"/t/{slug}/{lang}?saved=created")


@routes.post("/unanswered/dismiss")
async def unanswered_dismiss(request: web.Request) -> web.Response:
    form = form_of(request)
    async with store(request).sessions.begin() as session:
        await gaps.dismiss(session, ids_field(form))
    return redirect("/unanswered?notice=dismissed")


@routes.get("/feedback")
async def feedback_page(request: web.Request) -> web.Response:
    async with store(request).sessions() as session:
        lines = await gaps.feedback_report(session)
    return render(request, "feedback.html", lines=lines)


@routes.get("/reviews")
async def reviews_page(request: web.Request) -> web.Response:
    today = date.today()
    async with store(request).sessions() as session:
        plan = await gaps.review_plan(session, today)
        users = await accounts.list_users(session)
    return render(
        request,
        "reviews.html",
        plan=plan,
        states={d.slug: d.state(today).value for d in plan},
        late={d.slug for d in gaps.overdue(plan, today)},
        expiring={d.slug for d in gaps.expiring(plan, today)},
        today=today,
        owners=[u.name for u in users],
        just_saved=request.query.get("topic") if request.query.get("saved") == "plan" else None,
    )


@routes.post("/reviews/{slug}")
async def reviews_set(request: web.Request) -> web.Response:
    form = form_of(request)
    due_text = str(form.get("review_due", "")).strip()
    try:
        due = date.fromisoformat(due_text) if due_text else None
        async with store(request).sessions.begin() as session:
            await gaps.plan_review(
                session, request.match_info["slug"], str(form.get("owner", "")) or None, due
            )
    except ValueError as exc:
        return render(request, "message.html", status=400, message=str(exc))
    except LookupError:
        raise web.HTTPNotFound() from None
    slug = request.match_info["slug"]
    return redirect(f"/reviews?saved=plan&topic={slug}#review-{slug}")
