"""Dialog state in Redis: conversations survive a bot restart, as several replicas need."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

from redis.asyncio import Redis

from sandbox.client import buttons
from tests.e2e.conftest import REDIS_URL, Harness, PrivateRedis, running
from tests.e2e.test_conversation import converse


async def test_conversation_with_redis_state(redis_harness: Harness) -> None:
    """Whole conversations run on Redis state; what stays there names nobody and expires."""
    await converse(redis_harness, "uk", user=5100)  # ends with /forget
    await redis_harness.client.ask(5101, "/menu", language_code="ar")
    redis = Redis.from_url(REDIS_URL)
    try:
        keys = [k.decode() async for k in redis.scan_iter(match="fsm:*")]
        ttls = [await redis.ttl(k) for k in keys]
    finally:
        await redis.aclose()
    assert any(":aiogd:" in k for k in keys), keys
    assert not any("5100" in k or "5101" in k for k in keys)
    assert all(0 < ttl <= 14 * 86400 for ttl in ttls)


async def test_buttons_keep_working_after_a_restart(redis_harness: Harness) -> None:
    c, t = redis_harness.client, redis_harness.i18n.get("pl")
    menu = await c.ask(5102, "/menu", language_code="pl")
    await redis_harness.restart_bot()
    topics, _ = await c.press(5102, menu, t.gettext("🎒 School"))
    assert len(buttons(topics)) > 3
    assert t.gettext("🎒 <b>School</b>: pick a topic.").split("<b>")[0] in topics["text"]


async def test_after_redis_stalls_people_are_answered_at_once(
    tmp_path: Path, private_redis: PrivateRedis
) -> None:
    """Locks asked for while Redis stalled were set when it woke, held by nobody: each later
    message of those people waited for them to expire (a minute); and a question whose dialog
    state Redis had half lost got the menu instead of its answer."""

    async def answered(h: Harness, user: int = 5103) -> None:
        sent = await h.client.send(user, "numer alarmowy policja", language_code="pl")
        await h.client.wait_until(
            user,
            lambda ms: any(
                m["message_id"] > sent["message_id"] and "112" in m.get("text", "") for m in ms
            ),
        )

    people = range(5103, 5109)
    async with running(tmp_path, "polling", redis=private_redis.url) as h:
        await asyncio.gather(*(answered(h, user) for user in people))
        assert private_redis.process is not None
        os.kill(private_redis.process.pid, signal.SIGSTOP)
        try:
            await asyncio.gather(*(answered(h, user) for user in people))  # from memory
        finally:
            os.kill(private_redis.process.pid, signal.SIGCONT)
        await asyncio.sleep(h.runtime.redis_health.retry_after + 0.5)
        started = time.monotonic()
        for _ in range(2):
            await asyncio.gather(*(answered(h, user) for user in people))
        assert time.monotonic() - started < 8
        assert not h.runtime.redis_health.down
