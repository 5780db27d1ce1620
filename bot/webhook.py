"""Telegram's webhook: only Telegram gets in, each update is handled once across replicas.

Telegram posts an update and waits; anything but a 2xx answer makes it post the same update
again later. So the update is handled *before* answering, and answered:

- 401 without the secret header, 403 with a wrong one (the secret is required to start);
- 413 for a body over `MAX_BODY`, 400 for one that is not a JSON update (never a 500);
- 200 once handled — or when the update was already handled (a retry, or the same delivery
  reaching another replica);
- 503 while another replica is still handling it, so Telegram asks again later;
- 500 when handling failed in a way the person did not hear about (not even an apology):
  the update is released, and Telegram's next delivery handles it.

The ledger that makes this work across replicas lives in Redis: a short processing lease, then
a done marker kept for a day (Telegram gives up on an update after 24 hours). If Redis is down
the update is handled anyway — a possible duplicate reply is better than silence.
"""

from __future__ import annotations

import asyncio
import enum
import hmac
import logging
import time
from collections import OrderedDict
from typing import Any, Protocol

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import StreamReader, web

from bot.session import loads, readable_update
from bot.state import Health, unreachable
from knowledge import metrics

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_BODY = 1 << 20
"""Telegram's updates are a few kilobytes; a megabyte leaves room for long texts and albums."""
LEASE_SECONDS = 60
DONE_SECONDS = 24 * 3600


class Claim(enum.Enum):
    MINE = "mine"
    BUSY = "busy"
    DONE = "done"


class Ledger(Protocol):
    async def claim(self, update_id: int) -> Claim: ...
    async def done(self, update_id: int) -> None: ...
    async def release(self, update_id: int) -> None: ...


class MemoryLedger:
    """One process: the last few thousand update ids."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._seen: OrderedDict[int, tuple[Claim, float]] = OrderedDict()

    async def claim(self, update_id: int) -> Claim:
        now = time.monotonic()
        seen = self._seen.get(update_id)
        if seen is not None and (seen[0] is Claim.DONE or seen[1] > now):
            return seen[0] if seen[0] is Claim.DONE else Claim.BUSY
        self._seen[update_id] = (Claim.BUSY, now + LEASE_SECONDS)
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return Claim.MINE

    async def done(self, update_id: int) -> None:
        self._seen[update_id] = (Claim.DONE, 0.0)

    async def release(self, update_id: int) -> None:
        self._seen.pop(update_id, None)


class RedisLedger:
    """Shared by every replica; `bot_id` keeps two bots on one Redis apart."""

    def __init__(self, redis: Any, bot_id: int, health: Health) -> None:
        self.redis = redis
        self.prefix = f"witaj:update:{bot_id}:"
        self.health = health

    async def claim(self, update_id: int) -> Claim:
        key = self.prefix + str(update_id)
        if not self.health.usable:
            return Claim.MINE
        try:
            if await self.redis.set(key, b"busy", nx=True, ex=LEASE_SECONDS):
                return Claim.MINE
            state = await self.redis.get(key)
        except unreachable() as exc:
            self.health.failed(exc)
            return Claim.MINE
        if state is None:  # the lease ran out between the two calls
            return await self.claim(update_id)
        return Claim.DONE if state == b"done" else Claim.BUSY

    async def done(self, update_id: int) -> None:
        await self._write(update_id, b"done")

    async def release(self, update_id: int) -> None:
        await self._write(update_id, None)

    async def _write(self, update_id: int, value: bytes | None) -> None:
        key = self.prefix + str(update_id)
        try:
            if value is None:
                await self.redis.delete(key)
            else:
                await self.redis.set(key, value, ex=DONE_SECONDS)
        except unreachable() as exc:
            self.health.failed(exc)


class WebhookHandler:
    def __init__(
        self, dp: Dispatcher, bot: Bot, secret: str, ledger: Ledger, concurrency: int = 8
    ) -> None:
        if not secret:
            raise ValueError("webhook mode needs WEBHOOK_SECRET")
        self.dp = dp
        self.bot = bot
        self.secret = secret.encode()
        self.ledger = ledger
        self._running: set[asyncio.Task[Any]] = set()
        # Telegram keeps up to 40 deliveries open at once. Handled all together they would
        # take turns at every await, and each would finish only when all had; in turns (FIFO),
        # the first to arrive is answered first.
        self._turns = asyncio.Semaphore(concurrency)

    def register(self, app: web.Application, path: str) -> None:
        app.router.add_post(path, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return _refuse(401, "secret token missing")
        # aiohttp keeps a header's undecodable bytes as surrogates: encoded back to them, a
        # garbled secret is a wrong one, not a 500 with a traceback anyone can cause.
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), self.secret):
            return _refuse(403, "secret token wrong")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _refuse(413, "update too large")
        body = await _body(request.content, MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return _refuse(413, "update too large")
        update = self._parse(body)
        if update is None:
            return _refuse(400, "not a Telegram update")
        claim = await self.ledger.claim(update.update_id)
        if claim is Claim.DONE:
            return web.Response(status=200)
        if claim is Claim.BUSY:
            return web.Response(status=503, headers={"Retry-After": "5"})
        # Shielded: a delivery that Telegram gives up on must not cut a reply in half.
        task = asyncio.ensure_future(self._handle(update))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        handled = await asyncio.shield(task)
        return web.Response(status=200 if handled else 500)

    def _parse(self, body: bytes) -> Update | None:
        """None for a body that is no update. One this aiogram cannot read is taken and
        dropped, as polling does: a 400 made Telegram send it again for a day."""
        try:
            data = loads(body)
        except ValueError:
            return None
        return readable_update(self.bot, data)

    async def _handle(self, update: Update) -> bool:
        try:
            async with self._turns:
                await self.dp.feed_update(self.bot, update)
        except Exception:
            metrics.ERRORS.labels("redelivered").inc()
            log.warning("update %d failed; Telegram will deliver it again", update.update_id)
            await self.ledger.release(update.update_id)
            return False
        await self.ledger.done(update.update_id)
        return True

    async def drain(self, grace: float = 10.0) -> None:
        """Let updates being handled finish (replies sent, ledger marked)."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace)


async def _body(stream: StreamReader, limit: int) -> bytes:
    """The whole body, or its first `limit` bytes: `read(n)` returns only what has arrived
    so far, and a body that came in two pieces (as through a proxy) was cut in half."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream.iter_any():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


def _refuse(status: int, reason: str) -> web.Response:
    metrics.WEBHOOK_REFUSED.labels(str(status)).inc()
    return web.Response(status=status, text=reason)
