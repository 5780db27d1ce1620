"""Dialog state in Redis: conversations survive a bot restart, as several replicas need."""

from __future__ import annotations

from redis.asyncio import Redis

from sandbox.client import buttons
from tests.e2e.conftest import REDIS_URL, Harness
from tests.e2e.test_conversation import converse


async def test_conversation_with_redis_state(redis_harness: Harness) -> None:
    await converse(redis_harness, "uk", user=5100)
    await converse(redis_harness, "ar", user=5101)
    redis = Redis.from_url(REDIS_URL)
    try:
        keys = [k.decode() for k in await redis.keys("fsm:*")]
    finally:
        await redis.aclose()
    assert any(":aiogd:" in k or "aiogd" in k for k in keys), keys


async def test_buttons_keep_working_after_a_restart(redis_harness: Harness) -> None:
    c, t = redis_harness.client, redis_harness.i18n.get("pl")
    menu = await c.ask(5102, "/menu", language_code="pl")
    await redis_harness.restart_bot()
    topics, _ = await c.press(5102, menu, t.gettext("🎒 School"))
    assert len(buttons(topics)) > 3
    assert t.gettext("🎒 <b>School</b>: pick a topic.").split("<b>")[0] in topics["text"]
