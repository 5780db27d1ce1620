"""Dialog state in Redis: conversations survive a bot restart, as several replicas need."""

from __future__ import annotations

from redis.asyncio import Redis

from sandbox.client import buttons
from tests.e2e.conftest import REDIS_URL, Harness
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
