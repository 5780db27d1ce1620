"""Is this replica able to answer? What `GET /healthz` reports to the proxy and the operator.

The database is required (503 without it: send traffic elsewhere); Redis is reported but not
required, because the bot keeps answering with dialog state in memory while Redis is away.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from sqlalchemy import text

from knowledge import metrics
from knowledge.store import Store

TIMEOUT = 2.0


async def _database(store: Store) -> bool:
    try:
        async with asyncio.timeout(TIMEOUT), store.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


async def _redis(redis: Any) -> bool:
    try:
        async with asyncio.timeout(TIMEOUT):
            return bool(await redis.ping())
    except Exception:
        return False


async def report(store: Store, redis: Any | None = None) -> tuple[int, dict[str, str]]:
    """(HTTP status, body): 200 when the database answers, 503 when it does not."""
    database = await _database(store)
    body = {"status": "ok" if database else "unavailable", "database": _word(database)}
    if redis is not None:
        body["redis"] = _word(await _redis(redis))
    return (200 if database else 503), body


def _word(up: bool) -> str:
    return "ok" if up else "unreachable"


OPS_PATHS = frozenset({"/healthz", "/metrics"})


def add_routes(app: web.Application, store: Store, redis: Any | None = None) -> None:
    """`/healthz` and `/metrics` on the app of the bot's or the workspace's port.

    `/metrics` is for the operator's scraper: the reverse proxy does not pass it through."""

    async def healthz(_request: web.Request) -> web.Response:
        status, body = await report(store, redis)
        return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})

    async def metrics_(_request: web.Request) -> web.Response:
        response = web.Response(body=metrics.render())
        response.headers["Content-Type"] = metrics.CONTENT_TYPE
        return response

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_)
