"""The workspace's school pages: the list with link opens, facts, text per language, QR, poster."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge import accounts, reviewing, schools
from knowledge.enums import Role
from knowledge.languages import LANGUAGES, SOURCE_LANGUAGE
from knowledge.links import qr_bytes, qr_svg_inline
from knowledge.models import ROW_ID, Practitioner, School
from knowledge.reviewing import EditConflictError
from knowledge.schools import INFO_FIELDS, SchoolDoc, SchoolInfoDoc
from workspace.common import forbidden, problem_of, redirect, refresh, restore_text
from workspace.pages import render
from workspace.public.pages import PUBLIC_I18N, base_url, poster
from workspace.session import LINKS, STORE, current_user, form_of, translator

routes = web.RouteTableDef()


def _visible(user: Practitioner, rows: list[School]) -> list[School]:
    """A school's own account sees its school; everyone else sees them all."""
    if user.role is Role.SCHOOL:
        return [row for row in rows if row.id == user.school_id]
    return rows


async def _school(request: web.Request, session: AsyncSession) -> School:
    school = await schools.get_school(session, request.match_info["code"])
    if school is None or school not in _visible(current_user(request), [school]):
        raise web.HTTPNotFound()
    return school


def _links(request: web.Request, code: str) -> dict[str, str]:
    links = request.app[LINKS]
    return {
        "telegram": links.school_link(code),
        "page": links.school_page(code, base_url(request)),
        "sandbox": links.sandbox_link(code) or "",
    }


@routes.get("/schools")
async def schools_page(request: web.Request) -> web.Response:
    async with request.app[STORE].sessions() as session:
        rows = _visible(current_user(request), await schools.list_schools(session))
        opens = await schools.opens_by_week(session, date.today())
    cells = {row.code: {lang: schools.cell(row, lang) for lang in LANGUAGES} for row in rows}
    return render(
        request,
        "schools.html",
        rows=rows,
        cells=cells,
        opens=opens,
        weeks=schools.week_span(date.today()),
        error=None,
        form={},
    )


@routes.post("/schools")
async def school_add(request: web.Request) -> web.Response:
    form = form_of(request)
    typed = {k: str(form.get(k, "")).strip() for k in ("code", "name", "district")}
    try:
        doc = SchoolDoc.model_validate(typed)
        async with request.app[STORE].sessions.begin() as session:
            await schools.add_school(session, doc, actor=current_user(request).name)
    except (ValidationError, schools.SchoolError) as exc:
        async with request.app[STORE].sessions() as session:
            rows = await schools.list_schools(session)
        return render(
            request,
            "schools.html",
            status=400,
            rows=rows,
            cells={r.code: {lang: schools.cell(r, lang) for lang in LANGUAGES} for r in rows},
            opens={},
            weeks=[],
            error=problem_of(exc),
            form=typed,
        )
    refresh(request)
    return redirect(f"/schools/{doc.code}?saved=school")


def _facts_context(request: web.Request, school: School, **extra: Any) -> dict[str, Any]:
    return {
        "school": school,
        "cells": {lang: schools.cell(school, lang) for lang in LANGUAGES},
        "can_edit": accounts.can_edit_school(current_user(request), school),
        "qr": qr_svg_inline(_links(request, school.code)["telegram"]),
        **_links(request, school.code),
        "error": None,
        **extra,
    }


@routes.get("/schools/{code}")
async def school_page(request: web.Request) -> web.Response:
    async with request.app[STORE].sessions() as session:
        school = await _school(request, session)
        context = _facts_context(request, school)
    return render(request, "school.html", **context)


@routes.post("/schools/{code}")
async def school_save(request: web.Request) -> web.Response:
    t = translator(request)
    form = form_of(request)
    async with request.app[STORE].sessions.begin() as session:
        school = await _school(request, session)
        if not accounts.can_edit_school(current_user(request), school):
            return forbidden(request, t.gettext("You may not edit this school."))
        typed: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in schools.FACTS}
        typed["assistant"] = form.get("assistant") == "on"
        try:
            doc = SchoolDoc.model_validate({**typed, "code": school.code})
        except ValidationError as exc:
            context = _facts_context(request, school, error=problem_of(exc))
            return render(request, "school.html", status=400, **context)
        await schools.save_facts(session, school, doc)
    refresh(request)
    return redirect(f"/schools/{school.code}?saved=1")


def _info_context(
    request: web.Request,
    school: School,
    lang: str,
    *,
    typed: SchoolInfoDoc | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    row = schools.info(school, lang)
    polish = schools.info(school, SOURCE_LANGUAGE)
    return {
        "school": school,
        "target": lang,
        "row": row,
        "source": schools.info_doc(polish) if polish else None,
        "doc": typed or (schools.info_doc(row) if row else None),
        "fields": INFO_FIELDS,
        "version": version if version is not None else (row.version if row else ""),
        "cell": schools.cell(school, lang),
        "history": reviewing.history(schools.INFOS, row) if row else [],
        "can_edit": accounts.can_edit_school(current_user(request), school),
        "conflict": None,
    }


def _unchecked(typed: dict[str, str]) -> SchoolInfoDoc:
    """What was typed, kept for the form even when it does not validate."""
    return SchoolInfoDoc.model_construct(
        who_can_join=typed["who_can_join"],
        how_to_apply=typed["how_to_apply"],
        what_to_bring=typed["what_to_bring"],
    )


def _lang(request: web.Request) -> str:
    lang = request.match_info["lang"]
    if lang not in LANGUAGES:
        raise web.HTTPNotFound()
    return lang


@routes.get("/schools/{code}/{lang:[a-z]{2}}")
async def info_page(request: web.Request) -> web.Response:
    lang = _lang(request)
    async with request.app[STORE].sessions() as session:
        school = await _school(request, session)
        context = _info_context(request, school, lang)
    return render(request, "school_info.html", **context)


@routes.post("/schools/{code}/{lang:[a-z]{2}}")
async def info_save(request: web.Request) -> web.Response:
    t = translator(request)
    lang = _lang(request)
    form = form_of(request)
    user = current_user(request)
    async with request.app[STORE].sessions.begin() as session:
        school = await _school(request, session)
        if not accounts.can_edit_school(user, school):
            return forbidden(request, t.gettext("You may not edit this school."))
        typed = {name: str(form.get(name, "")).replace("\r\n", "\n") for name in INFO_FIELDS}
        base = str(form.get("version", ""))
        try:
            doc = SchoolInfoDoc.model_validate(typed)
            await reviewing.save(
                session,
                schools.INFOS,
                school.infos,
                lang,
                doc,
                base_version=int(base) if base.isdigit() else None,
                actor=user.name,
                reviewed=form.get("action") == "review",
            )
        except ValidationError as exc:
            context = _info_context(request, school, lang)
            context["doc"] = _unchecked(typed)
            return render(request, "school_info.html", status=400, error=problem_of(exc), **context)
        except EditConflictError as conflict:
            mine = _unchecked(typed)
            context = _info_context(request, school, lang, typed=mine, version=conflict.version)
            context["conflict"] = conflict
            return render(request, "school_info.html", status=409, **context)
    refresh(request)
    saved = "reviewed" if form.get("action") == "review" else "1"
    return redirect(f"/schools/{school.code}/{lang}?saved={saved}")


@routes.post(f"/schools/{{code}}/{{lang:[a-z]{{2}}}}/restore/{{revision:{ROW_ID}}}")
async def info_restore(request: web.Request) -> web.Response:
    t = translator(request)
    lang = _lang(request)
    user = current_user(request)
    async with request.app[STORE].sessions.begin() as session:
        school = await _school(request, session)
        if not accounts.can_edit_school(user, school):
            return forbidden(request, t.gettext("You may not edit this school."))
        await restore_text(request, session, schools.INFOS, school.infos, lang)
    refresh(request)
    return redirect(f"/schools/{school.code}/{lang}?saved=restored")


@routes.get("/schools/{code}/qr.{kind:(png|svg)}")
async def qr_file(request: web.Request) -> web.Response:
    async with request.app[STORE].sessions() as session:
        school = await _school(request, session)
    kind: Literal["png", "svg"] = "png" if request.match_info["kind"] == "png" else "svg"
    return web.Response(
        body=qr_bytes(_links(request, school.code)["telegram"], kind),
        content_type="image/png" if kind == "png" else "image/svg+xml",
        headers={"Content-Disposition": f'attachment; filename="witaj-{school.code}.{kind}"'},
    )


@routes.get("/schools/{code}/poster")
async def poster_page(request: web.Request) -> web.Response:
    async with request.app[STORE].sessions() as session:
        school = await _school(request, session)
        doc = schools.school_doc(school)
    i18n = request.app[PUBLIC_I18N]
    html = poster(
        doc,
        i18n,
        request.app[LINKS],
        _links(request, school.code)["page"],
        i18n.get(translator(request).lang),
    )
    return web.Response(text=html, content_type="text/html")
