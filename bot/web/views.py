"""The workspace's pages. Each asks a use case of `knowledge` and renders; none builds SQL."""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import Any

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot.web.pages import render
from bot.web.session import KNOWLEDGE, bypasses, current_user, start_session, translator
from knowledge import accounts, announcements, editing, gaps, lint, matrix, source_check
from knowledge.accounts import LoginThrottle
from knowledge.content import SLUG_RE, SourceDoc, TranslationDoc
from knowledge.languages import LANGUAGES, SOURCE_LANGUAGE
from knowledge.models import Category, Role, Status
from knowledge.render import card_length, to_html
from knowledge.repository import topic_doc, translation_doc
from knowledge.service import Knowledge

log = logging.getLogger(__name__)
THROTTLE = web.AppKey("login_throttle", LoginThrottle)
_refreshes: set[asyncio.Task[Any]] = set()

routes = web.RouteTableDef()


def redirect(location: str) -> web.Response:
    """A 303 the session middleware can still put a cookie on (raising would skip it)."""
    return web.Response(status=303, headers={"Location": location})


def _knowledge(request: web.Request) -> Knowledge:
    return request.app[KNOWLEDGE]


def refresh(request: web.Request) -> None:
    """Rebuild this process's index now; other replicas see the content version move."""
    task = asyncio.create_task(_knowledge(request).refresh_index())
    _refreshes.add(task)
    task.add_done_callback(_refreshes.discard)


def _text(value: Any) -> str | None:
    """A multi-line field as stored: Unix line ends, no surrounding blanks, None when empty."""
    return str(value or "").replace("\r\n", "\n").strip() or None


def _lines(value: Any) -> tuple[str, ...]:
    return tuple(line.strip() for line in str(value or "").splitlines() if line.strip())


SOURCE_EXTRAS = {"homepage": "homepage", "until": "valid_until"}
"""What a source line may carry after its address: `| homepage: why`, `| until: 2027-03-04`."""


def _sources(value: Any) -> tuple[SourceDoc, ...]:
    """One source per line: "title | https://…", then any extras (a bare URL is its own title)."""
    found = []
    for line in _lines(value):
        parts = [part.strip() for part in line.split("|")]
        at = next((i for i, part in enumerate(parts) if "://" in part), min(1, len(parts) - 1))
        fields: dict[str, Any] = {"title": " | ".join(parts[:at]) or parts[at], "url": parts[at]}
        for extra in parts[at + 1 :]:
            key, _, text = extra.partition(":")
            if key.strip().casefold() in SOURCE_EXTRAS and text.strip():
                fields[SOURCE_EXTRAS[key.strip().casefold()]] = text.strip()
        found.append(SourceDoc.model_validate(fields))
    return tuple(found)


def _sources_text(doc: TranslationDoc | None) -> str:
    if doc is None:
        return ""
    lines = []
    for s in doc.sources:
        extras = [f"homepage: {s.homepage}"] if s.homepage else []
        extras += [f"until: {s.valid_until.isoformat()}"] if s.valid_until else []
        lines.append(" | ".join([s.title, s.url, *extras]))
    return "\n".join(lines)


def _source_problems(t: Any, sources: tuple[SourceDoc, ...]) -> list[str]:
    """Addresses a person could not check a fact against, in the editor's words."""
    problems = []
    for source in sources:
        problem = lint.source_problem(source)
        if problem is lint.SourceProblem.MALFORMED:
            message = t.gettext("“{url}” is not a web address: use one starting with https://.")
            problems.append(message.format(url=source.url))
        elif problem is lint.SourceProblem.HOMEPAGE:
            message = t.gettext(
                "“{url}” is a site's home page: cite the page that states the fact, "
                "or add “| homepage: why” to the line."
            )
            problems.append(message.format(url=source.url))
    return problems


# ---------------------------------------------------------------- login


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    return render(request, "login.html", next=request.query.get("next", "/"), error=None)


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    form = await request.post()
    name = str(form.get("name", "")).strip().casefold()[:64]
    password = str(form.get("password", ""))
    target = str(form.get("next", "/"))
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    throttle = request.app[THROTTLE]
    keys = (f"name:{name}", f"addr:{request.remote}")
    wait = throttle.blocked_for(*keys)
    if wait > 0:
        error = t.gettext("Too many failed attempts. Try again in {minutes} min.").format(
            minutes=int(wait // 60) + 1
        )
        return render(request, "login.html", status=429, next=target, error=error)
    async with _knowledge(request).sessions.begin() as session:
        user = await accounts.authenticate(session, name, password)
    if user is None:
        throttle.failed(*keys)
        error = t.gettext("Wrong name or password.")
        return render(request, "login.html", status=401, next=target, error=error)
    throttle.succeeded(*keys)
    start_session(request, user)
    return redirect(target)


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    start_session(request, None)
    return redirect("/login")


# ---------------------------------------------------------------- matrix and editor


@routes.get("/")
async def matrix_page(request: web.Request) -> web.Response:
    async with _knowledge(request).sessions() as session:
        rows = await matrix.load_matrix(session)
    totals = {c: sum(1 for r in rows for v in r.cells.values() if v is c) for c in matrix.Cell}
    return render(request, "matrix.html", rows=rows, totals=totals, Cell=matrix.Cell)


def _editor_context(
    topic: Any, lang: str, *, draft: TranslationDoc | None = None, version: int | None = None
) -> dict[str, Any]:
    row = editing.translation(topic, lang)
    polish = editing.translation(topic, SOURCE_LANGUAGE)
    stored = translation_doc(row) if row else None
    shown = draft or stored
    return {
        "topic": topic,
        "target": lang,
        "row": row,
        "source": translation_doc(polish) if polish else None,
        "doc": shown,
        "sources_text": _sources_text(shown),
        "version": version if version is not None else (row.version if row else ""),
        "cell": matrix.cell(row, polish),
        "preview": (f"<b>{to_html(shown.title)}</b>\n\n{to_html(shown.answer)}" if shown else None),
        "length": card_length(shown.title, shown.answer) if shown else 0,
        "history": editing.history(row) if row else [],
    }


async def _source_states(session: Any, row: Any) -> list[tuple[Any, str, Any]]:
    """Each cited page with what the last link check says about it for this text."""
    if row is None:
        return []
    checks = await source_check.checks_for(session, (s.url for s in row.sources))
    since = source_check.vouched_at(row)
    return [
        (s, source_check.state(checks.get(s.url), since), checks.get(s.url)) for s in row.sources
    ]


async def _topic(request: web.Request, session: Any) -> tuple[Any, str]:
    lang = request.match_info["lang"]
    if lang not in LANGUAGES:
        raise web.HTTPNotFound()
    topic = await editing.get_topic(session, request.match_info["slug"])
    if topic is None:
        raise web.HTTPNotFound()
    return topic, lang


@routes.get("/t/{slug}/{lang}")
async def editor_page(request: web.Request) -> web.Response:
    async with _knowledge(request).sessions() as session:
        topic, lang = await _topic(request, session)
        context = _editor_context(topic, lang)
        context["source_states"] = await _source_states(session, context["row"])
    user = current_user(request)
    notified = request.query.get("notified", "")
    return render(
        request,
        "editor.html",
        can_edit=accounts.can_edit(user, lang),
        notified=int(notified) if notified.isdigit() else 0,
        **context,
    )


@routes.post("/t/{slug}/{lang}")
async def editor_save(request: web.Request) -> web.Response:
    t = translator(request)
    user = current_user(request)
    form = await request.post()
    lang = request.match_info["lang"]
    if not accounts.can_edit(user, lang):
        return forbidden(request, t.gettext("You may not edit this language."))
    async with _knowledge(request).sessions.begin() as session:
        topic, lang = await _topic(request, session)
        row = editing.translation(topic, lang)
        stored = translation_doc(row) if row else None
        try:
            draft = TranslationDoc(
                title=str(form.get("title", "")).strip(),
                summary=_text(form.get("summary")),
                answer=_text(form.get("answer")) or "",
                clerk_note=_text(form.get("clerk_note")) if lang == SOURCE_LANGUAGE else None,
                valid_until=str(form.get("valid_until", "")).strip() or None,
                phrasings=_lines(form.get("phrasings")),
                keywords=_lines(form.get("keywords")),
                sources=_sources(form.get("sources")),
                status=stored.status if stored else Status.DRAFT,
                reviewed_at=stored.reviewed_at if stored else None,
                reviewer=stored.reviewer if stored else None,
            )
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            return _editor_error(request, topic, lang, form, problems)
        if refused := _source_problems(t, draft.sources):
            return _editor_error(request, topic, lang, form, " ".join(refused))
        base = str(form.get("version", ""))
        action = str(form.get("action", "save"))
        if action == "preview":
            context = _editor_context(topic, lang, draft=draft, version=int(base or 0))
            return render(request, "editor.html", can_edit=True, previewing=True, **context)
        try:
            await editing.save(
                session,
                topic,
                lang,
                draft,
                base_version=int(base) if base.isdigit() else None,
                actor=user.name,
                reviewed=action == "review",
            )
        except editing.EditConflictError as conflict:
            return render(
                request,
                "conflict.html",
                status=409,
                topic=topic,
                target=lang,
                mine=draft,
                mine_sources=_sources_text(draft),
                stored=conflict.stored,
                version=conflict.version,
                by=conflict.by,
            )
        notified = 0
        if form.get("notify") == "on" and accounts.can_manage(user):
            notified = await _notify_followers(request, session, topic)
    refresh(request)
    return redirect(f"/t/{topic.slug}/{lang}?saved=1&notified={notified}")


async def _notify_followers(request: web.Request, session: Any, topic: Any) -> int:
    """An answer changed materially: tell the people who follow it, each in their language."""
    from bot.announcer import topic_update_texts
    from bot.public.pages import PUBLIC_I18N

    doc = topic_doc(topic)
    texts = topic_update_texts(request.app[PUBLIC_I18N], doc)
    row = await announcements.create(
        session,
        texts,
        f"topic:{topic.slug}",
        created_by=current_user(request).name,
        topics=[topic.slug],
        topic=topic.slug,
    )
    return await announcements.start(session, row)


def _editor_error(
    request: web.Request, topic: Any, lang: str, form: Any, problem: str
) -> web.Response:
    """The form comes back with everything typed in it, and what is wrong."""
    context = _editor_context(topic, lang)
    typed = ("title", "summary", "answer", "clerk_note", "valid_until", "phrasings", "keywords")
    context["typed"] = {k: str(form.get(k, "")) for k in typed}
    context["sources_text"] = str(form.get("sources", ""))
    context["version"] = str(form.get("version", ""))
    return render(request, "editor.html", status=400, can_edit=True, error=problem, **context)


@routes.post("/t/{slug}/{lang}/restore/{revision:\\d+}")
async def restore(request: web.Request) -> web.Response:
    t = translator(request)
    user = current_user(request)
    if not accounts.can_edit(user, request.match_info["lang"]):
        return forbidden(request, t.gettext("You may not edit this language."))
    async with _knowledge(request).sessions.begin() as session:
        topic, lang = await _topic(request, session)
        try:
            await editing.restore(
                session, topic, lang, int(request.match_info["revision"]), actor=user.name
            )
        except LookupError:
            raise web.HTTPNotFound() from None
    refresh(request)
    return redirect(f"/t/{topic.slug}/{lang}?restored=1")


# ---------------------------------------------------------------- gaps


def _manager(request: web.Request) -> web.Response | None:
    if accounts.can_manage(current_user(request)):
        return None
    return forbidden(request, translator(request).gettext("Only editors and admins can do this."))


def forbidden(request: web.Request, message: str) -> web.Response:
    return render(request, "message.html", status=403, message=message)


def _ids(form: Any) -> list[int]:
    return [int(x) for x in str(form.get("ids", "")).split(",") if x.strip().isdigit()]


@routes.get("/unanswered")
async def unanswered_page(request: web.Request) -> web.Response:
    knowledge = _knowledge(request)
    async with knowledge.sessions() as session:
        groups = await gaps.unanswered_groups(session)
    topics = sorted(
        (doc.slug, doc.translations[SOURCE_LANGUAGE].title if SOURCE_LANGUAGE in doc.translations
         else doc.slug)
        for doc in knowledge.catalog.values()
    )  # fmt: skip
    return render(
        request,
        "unanswered.html",
        groups=groups,
        topics=topics,
        categories=[c.value for c in Category],
        notice=request.query.get("notice"),
    )


@routes.post("/unanswered/link")
async def unanswered_link(request: web.Request) -> web.Response:
    if (refused := _manager(request)) is not None:
        return refused
    form = await request.post()
    try:
        async with _knowledge(request).sessions.begin() as session:
            missing = await gaps.answer_with_topic(
                session, _ids(form), str(form.get("slug", "")), actor=current_user(request).name
            )
    except LookupError:
        raise web.HTTPNotFound() from None
    refresh(request)
    notice = "missing:" + ",".join(missing) if missing else "linked"
    return redirect(f"/unanswered?notice={notice}")


@routes.post("/unanswered/new")
async def unanswered_new(request: web.Request) -> web.Response:
    if (refused := _manager(request)) is not None:
        return refused
    t = translator(request)
    form = await request.post()
    slug = str(form.get("slug", "")).strip()
    lang = str(form.get("lang", ""))
    try:
        if not SLUG_RE.match(slug) or lang not in LANGUAGES:
            raise ValueError(t.gettext("A topic id is lower-case words joined by hyphens."))
        async with _knowledge(request).sessions.begin() as session:
            await gaps.new_topic(
                session,
                _ids(form),
                slug=slug,
                category=Category(str(form.get("category", ""))),
                lang=lang,
                title=str(form.get("title", "")).strip(),
                answer=str(form.get("answer", "")).strip(),
                source=SourceDoc(
                    title=str(form.get("source_title", "")).strip() or "—",
                    url=str(form.get("source_url", "")).strip(),
                ),
                actor=current_user(request).name,
            )
    except (ValueError, ValidationError) as exc:
        return render(request, "message.html", status=400, message=str(exc))
    refresh(request)
    return redirect(f"/t/{slug}/{lang}")


@routes.post("/unanswered/dismiss")
async def unanswered_dismiss(request: web.Request) -> web.Response:
    if (refused := _manager(request)) is not None:
        return refused
    form = await request.post()
    async with _knowledge(request).sessions.begin() as session:
        await gaps.dismiss(session, _ids(form))
    return redirect("/unanswered?notice=dismissed")


@routes.get("/feedback")
async def feedback_page(request: web.Request) -> web.Response:
    async with _knowledge(request).sessions() as session:
        lines = await gaps.feedback_report(session)
    return render(request, "feedback.html", lines=lines)


@routes.get("/reviews")
async def reviews_page(request: web.Request) -> web.Response:
    async with _knowledge(request).sessions() as session:
        plan = await gaps.review_plan(session)
        users = await accounts.list_users(session)
    today = date.today()
    return render(
        request,
        "reviews.html",
        plan=plan,
        late={d.slug for d in gaps.overdue(plan, today)},
        expiring={d.slug for d in gaps.expiring(plan, today)},
        today=today,
        owners=[u.name for u in users],
    )


@routes.post("/reviews/{slug}")
async def reviews_set(request: web.Request) -> web.Response:
    if (refused := _manager(request)) is not None:
        return refused
    form = await request.post()
    due_text = str(form.get("review_due", "")).strip()
    try:
        due = date.fromisoformat(due_text) if due_text else None
        async with _knowledge(request).sessions.begin() as session:
            await gaps.plan_review(
                session, request.match_info["slug"], str(form.get("owner", "")) or None, due
            )
    except ValueError as exc:
        return render(request, "message.html", status=400, message=str(exc))
    except LookupError:
        raise web.HTTPNotFound() from None
    return redirect("/reviews")


@routes.get("/users")
async def users_page(request: web.Request) -> web.Response:
    if current_user(request).role is not Role.ADMIN:
        return forbidden(request, translator(request).gettext("Only admins can see this."))
    async with _knowledge(request).sessions() as session:
        users = await accounts.list_users(session)
    return render(request, "users.html", users=users)


@web.middleware
async def database_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """A database that went away gets a page saying so, not a stack trace."""
    if bypasses(request):
        response: web.StreamResponse = await handler(request)
        return response
    try:
        page: web.StreamResponse = await handler(request)
        return page
    except SQLAlchemyError:
        log.exception("workspace: database error")
        t = translator(request)
        return render(
            request,
            "message.html",
            status=503,
            message=t.gettext("The database is not reachable. Nothing was saved; try again."),
        )
