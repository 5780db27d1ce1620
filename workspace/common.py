"""What every workspace page shares: the store and library, answers, form fields."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge import reviewing
from knowledge.library import Library
from knowledge.models import row_id
from knowledge.reviewing import Kind
from knowledge.store import Store
from workspace.pages import render
from workspace.session import LIBRARIAN, STORE, current_user

_refreshes: set[asyncio.Task[Any]] = set()


def redirect(location: str) -> web.Response:
    """A 303 the session middleware can still put a cookie on (raising would skip it)."""
    return web.Response(status=303, headers={"Location": location})


def store(request: web.Request) -> Store:
    return request.app[STORE]


def library(request: web.Request) -> Library:
    """The content snapshot this request reads (swapped whole after an edit)."""
    return request.app[LIBRARIAN].current


def refresh(request: web.Request) -> None:
    """Rebuild this process's library now; other replicas see the content version move."""
    task = asyncio.create_task(request.app[LIBRARIAN].refresh())
    _refreshes.add(task)
    task.add_done_callback(_refreshes.discard)


def forbidden(request: web.Request, message: str) -> web.Response:
    return render(request, "message.html", status=403, message=message)


def problem_of(exc: Exception) -> str:
    """What a refused form got wrong, field by field, for the page."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {str(e['msg']).removeprefix('Value error, ')}"
            for e in exc.errors()
        )
    return str(exc)


async def restore_text(
    request: web.Request, session: AsyncSession, kind: Kind[Any, Any], rows: list[Any], lang: str
) -> None:
    """Bring back the revision the route names (`{revision}`), as a draft; 404 if unknown."""
    try:
        await reviewing.restore(
            session, kind, rows, lang, int(request.match_info["revision"]),
            actor=current_user(request).name,
        )  # fmt: skip
    except LookupError:
        raise web.HTTPNotFound() from None


def text_field(value: Any) -> str | None:
    """A multi-line field as stored: Unix line ends, no surrounding blanks, None when empty."""
    return str(value or "").replace("\r\n", "\n").strip() or None


def line_field(value: Any) -> tuple[str, ...]:
    return tuple(line.strip() for line in str(value or "").splitlines() if line.strip())


def ids_field(form: Any) -> list[int]:
    found = (row_id(x) for x in str(form.get("ids", "")).split(","))
    return [n for n in found if n is not None]
