"""Answers: the topic × language matrix, the editor beside the Polish text, history, restore."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from knowledge import accounts, announcements, editing, lint, matrix, reviewing, source_check
from knowledge.announcements import topic_update_texts
from knowledge.content import SourceDoc, TranslationDoc
from knowledge.enums import Status
from knowledge.languages import LANGUAGES, SOURCE_LANGUAGE
from knowledge.models import ROW_ID
from knowledge.render import card_length, to_html
from knowledge.repository import TRANSLATIONS, topic_doc, translation_doc
from knowledge.reviewing import Cell
from workspace.common import (
    forbidden,
    line_field,
    problem_of,
    redirect,
    refresh,
    restore_text,
    store,
    text_field,
)
from workspace.pages import render
from workspace.public.pages import PUBLIC_I18N
from workspace.session import current_user, form_of, translator

routes = web.RouteTableDef()

SOURCE_EXTRAS = {"homepage": "homepage", "until": "valid_until"}
"""What a source line may carry after its address: `| homepage: why`, `| until: 2027-03-04`."""


def _sources(value: Any) -> tuple[SourceDoc, ...]:
    """One source per line: "title | https://…", then any extras (a bare URL is its own title)."""
    found = []
    for line in line_field(value):
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


def source_problems(t: Any, sources: tuple[SourceDoc, ...]) -> list[str]:
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


@routes.get("/")
async def matrix_page(request: web.Request) -> web.Response:
    async with store(request).sessions() as session:
        rows = await matrix.load_matrix(session)
    totals = {c: sum(1 for r in rows for v in r.cells.values() if v is c) for c in Cell}
    return render(request, "matrix.html", rows=rows, totals=totals, Cell=Cell)


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
        "preview": _preview(shown),
        "length": card_length(shown.title, shown.answer) if shown else 0,
        "history": reviewing.history(TRANSLATIONS, row) if row else [],
    }


def _preview(doc: TranslationDoc | None) -> str | None:
    """As the bot shows it: the short answer first, then (after "More details") the rest."""
    if doc is None:
        return None
    title = f"<b>{to_html(doc.title)}</b>"
    if not doc.summary:
        return f"{title}\n\n{to_html(doc.answer)}"
    return f"{title}\n\n{to_html(doc.summary)}\n\n<hr>\n{title}\n\n{to_html(doc.answer)}"


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
    async with store(request).sessions() as session:
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
    form = form_of(request)
    lang = request.match_info["lang"]
    if not accounts.can_edit(user, lang):
        return forbidden(request, t.gettext("You may not edit this language."))
    async with store(request).sessions.begin() as session:
        topic, lang = await _topic(request, session)
        row = editing.translation(topic, lang)
        stored = translation_doc(row) if row else None
        try:
            draft = TranslationDoc(
                title=str(form.get("title", "")).strip(),
                summary=text_field(form.get("summary")),
                answer=text_field(form.get("answer")) or "",
                clerk_note=text_field(form.get("clerk_note")) if lang == SOURCE_LANGUAGE else None,
                valid_until=str(form.get("valid_until", "")).strip() or None,
                phrasings=line_field(form.get("phrasings")),
                keywords=line_field(form.get("keywords")),
                sources=_sources(form.get("sources")),
                status=stored.status if stored else Status.DRAFT,
                reviewed_at=stored.reviewed_at if stored else None,
                reviewer=stored.reviewer if stored else None,
            )
        except ValidationError as exc:
            return _editor_error(request, topic, lang, form, problem_of(exc))
        if refused := source_problems(t, draft.sources):
            return _editor_error(request, topic, lang, form, " ".join(refused))
        base = str(form.get("version", ""))
        action = str(form.get("action", "save"))
        if action == "preview":
            context = _editor_context(topic, lang, draft=draft, version=int(base or 0))
            return render(request, "editor.html", can_edit=True, previewing=True, **context)
        try:
            await reviewing.save(
                session,
                TRANSLATIONS,
                topic.translations,
                lang,
                draft,
                base_version=int(base) if base.isdigit() else None,
                actor=user.name,
                reviewed=action == "review",
            )
        except reviewing.EditConflictError as conflict:
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
    saved = "reviewed" if action == "review" else "1"
    return redirect(f"/t/{topic.slug}/{lang}?saved={saved}&notified={notified}")


async def _notify_followers(request: web.Request, session: Any, topic: Any) -> int:
    """An answer changed materially: tell the people who follow it, each in their language."""
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


@routes.post(f"/t/{{slug}}/{{lang}}/restore/{{revision:{ROW_ID}}}")
async def restore(request: web.Request) -> web.Response:
    t = translator(request)
    user = current_user(request)
    if not accounts.can_edit(user, request.match_info["lang"]):
        return forbidden(request, t.gettext("You may not edit this language."))
    async with store(request).sessions.begin() as session:
        topic, lang = await _topic(request, session)
        await restore_text(request, session, TRANSLATIONS, topic.translations, lang)
    refresh(request)
    return redirect(f"/t/{topic.slug}/{lang}?saved=restored")
