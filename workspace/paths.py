"""Guided paths in the workspace: which languages are missing, draft, reviewed or outdated, and
an editor for one language's words beside the Polish — the same status, history, restore and
conflict handling as topics and schools."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from knowledge import accounts, path_store, reviewing
from knowledge.enums import Status
from knowledge.languages import LANGUAGES, SOURCE_LANGUAGE
from knowledge.models import ROW_ID, GuidedPath
from knowledge.paths import PathTextDoc
from knowledge.reviewing import EditConflictError, find
from workspace.common import problem_of, redirect, refresh, restore_text, store
from workspace.pages import render
from workspace.session import current_user, form_of

routes = web.RouteTableDef()


@routes.get("/paths")
async def paths_page(request: web.Request) -> web.Response:
    async with store(request).sessions() as session:
        rows = [await path_store.get_path(session, p.slug)
                for p in await path_store.load_paths(session)]  # fmt: skip
    table = []
    for row in filter(None, rows):
        polish = find(row.texts, SOURCE_LANGUAGE)
        title = path_store.text_doc(polish).title if polish else row.slug
        cells = {lang: reviewing.cell(path_store.PATH_TEXTS, find(row.texts, lang), polish)
                 for lang in LANGUAGES}  # fmt: skip
        table.append((row.slug, title, cells))
    return render(request, "paths.html", table=table)


async def _path(session: Any, request: web.Request) -> tuple[GuidedPath, str]:
    lang = request.match_info["lang"]
    row = await path_store.get_path(session, request.match_info["slug"])
    if row is None or lang not in LANGUAGES:
        raise web.HTTPNotFound()
    return row, lang


def _context(
    request: web.Request, row: GuidedPath, lang: str, *, typed: PathTextDoc | None = None
) -> dict[str, Any]:
    text = find(row.texts, lang)
    polish = find(row.texts, SOURCE_LANGUAGE)
    return {
        "slug": row.slug,
        "target": lang,
        "row": text,
        "questions": row.shape["questions"],
        "steps": row.shape["steps"],
        "source": path_store.text_doc(polish) if polish else None,
        "doc": typed or (path_store.text_doc(text) if text else None),
        "version": text.version if text else "",
        "cell": reviewing.cell(path_store.PATH_TEXTS, text, polish),
        "history": reviewing.history(path_store.PATH_TEXTS, text) if text else [],
        "can_edit": accounts.can_edit(current_user(request), lang),
        "conflict": None,
    }


@routes.get("/paths/{slug}/{lang}")
async def path_page(request: web.Request) -> web.Response:
    async with store(request).sessions() as session:
        row, lang = await _path(session, request)
        context = _context(request, row, lang)
    return render(request, "path_editor.html", **context)


def _typed(form: Any, row: GuidedPath, stored: PathTextDoc | None) -> PathTextDoc:
    """The form's fields as one language's words (raises ValidationError when incomplete)."""

    def field(name: str) -> str:
        return str(form.get(name, "")).replace("\r\n", "\n").strip()

    return PathTextDoc.model_validate(
        {
            "title": field("title"),
            "intro": field("intro"),
            "questions": {
                q["id"]: {
                    "text": field(f"q.{q['id']}"),
                    "options": {o: field(f"o.{q['id']}.{o}") for o in q["options"]},
                }
                for q in row.shape["questions"]
            },
            "steps": {
                s["id"]: {k: field(f"s.{s['id']}.{k}") for k in ("title", "why", "office", "bring")}
                for s in row.shape["steps"]
            },
            "status": stored.status if stored else Status.DRAFT,
            "reviewed_at": stored.reviewed_at if stored else None,
            "reviewer": stored.reviewer if stored else None,
        }
    )


@routes.post("/paths/{slug}/{lang}")
async def path_save(request: web.Request) -> web.Response:
    """Who may save which language is the access table's (workspace/access.py) to decide."""
    form = form_of(request)
    user = current_user(request)
    async with store(request).sessions.begin() as session:
        row, lang = await _path(session, request)
        text = find(row.texts, lang)
        stored = path_store.text_doc(text) if text else None
        base = str(form.get("version", ""))
        try:
            doc = _typed(form, row, stored)
            await reviewing.save(
                session, path_store.PATH_TEXTS, row.texts, lang, doc,
                base_version=int(base) if base.isdigit() else None,
                actor=user.name, reviewed=form.get("action") == "review",
            )  # fmt: skip
        except ValidationError as exc:
            context = _context(request, row, lang)
            return render(request, "path_editor.html", status=400, error=problem_of(exc), **context)
        except EditConflictError as conflict:
            context = _context(request, row, lang, typed=doc)
            context["conflict"] = conflict
            return render(request, "path_editor.html", status=409, **context)
    refresh(request)
    saved = "reviewed" if form.get("action") == "review" else "1"
    return redirect(f"/paths/{row.slug}/{lang}?saved={saved}")


@routes.post(f"/paths/{{slug}}/{{lang}}/restore/{{revision:{ROW_ID}}}")
async def path_restore(request: web.Request) -> web.Response:
    async with store(request).sessions.begin() as session:
        row, lang = await _path(session, request)
        await restore_text(request, session, path_store.PATH_TEXTS, row.texts, lang)
    refresh(request)
    return redirect(f"/paths/{row.slug}/{lang}?saved=restored")
