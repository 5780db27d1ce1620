"""/forget forgets: after it, neither the database nor Redis holds the person's Telegram id or
anything they wrote — checked by reading every table and every Redis key and value."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import select

from knowledge import announcements
from knowledge.languages import NATIVE_NAMES
from knowledge.models import Base
from sandbox.identity import PRACTITIONERS_CHAT
from tests.e2e.conftest import Harness, PrivateRedis, running

USER = 918273645
SAID = ("Ластівка-Зоряна", "документами Ластівка")


async def _database_text(h: Harness) -> str:
    """Every value of every row of every table, as text."""
    parts: list[str] = []
    async with h.store.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                parts.extend(repr(value) for value in row)
    return "\n".join(parts)


async def _redis_text(url: str) -> tuple[list[str], str]:
    """Every key, and every value whatever its type, of a private Redis."""
    redis = Redis.from_url(url)
    keys: list[str] = []
    values: list[str] = []
    try:
        async for raw in redis.scan_iter("*"):
            key = raw.decode()
            keys.append(key)
            kind = (await redis.type(raw)).decode()
            value: Any = None
            if kind == "string":
                value = await redis.get(raw)
            elif kind == "hash":
                value = await redis.hgetall(raw)
            elif kind == "list":
                value = await redis.lrange(raw, 0, -1)
            elif kind == "set":
                value = await redis.smembers(raw)
            elif kind == "zset":
                value = await redis.zrange(raw, 0, -1)
            values.extend(_readable(value))
    finally:
        await redis.aclose()
    return keys, "\n".join(values)


def _readable(value: Any) -> list[str]:
    """Bytes as text, and JSON with its \\u escapes undone (Cyrillic is stored escaped)."""
    if isinstance(value, dict):
        return [t for pair in value.items() for part in pair for t in _readable(part)]
    if isinstance(value, list | set | tuple):
        return [t for part in value for t in _readable(part)]
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    try:
        return [text, json.dumps(json.loads(text), ensure_ascii=False)]
    except ValueError:
        return [text]


async def _everything_said(h: Harness) -> None:
    c, t = h.client, h.i18n.get("uk")
    prompt = await c.ask(USER, "/start", language_code="uk")
    await c.press(USER, prompt, NATIVE_NAMES["uk"])
    card = await c.ask(USER, "як отримати pesel", language_code="uk")
    await c.press(USER, card, t.gettext("👍 Helpful"))
    details, _ = await c.press(USER, card, t.gettext("📖 More details"))
    await c.press(USER, details, t.gettext("🔔 Tell me when this answer changes"))
    settings = await c.ask(USER, "/subscribe", language_code="uk")
    await c.press(USER, settings, t.gettext("School news"))
    await c.ask(USER, f"Хто переможе на конкурсі {SAID[0]}?", language_code="uk")
    card = await c.ask(USER, "як отримати pesel", language_code="uk")
    await c.press(USER, card, t.gettext("🙋 Talk to a person"))
    await c.send(USER, f"Прошу допомогти з {SAID[1]}", language_code="uk")
    await c.wait_until(PRACTITIONERS_CHAT, lambda ms: any(SAID[1] in m.get("text", "") for m in ms))
    async with h.store.transaction() as session:
        row = await announcements.create(
            session, {"uk": "Новина для всіх"}, "all", created_by="test", topics=[]
        )
        await announcements.start(session, row)
    await c.wait_until(USER, lambda ms: any("Новина для всіх" in m.get("text", "") for m in ms))


async def test_forget_leaves_nothing_in_the_database_or_redis(
    tmp_path: Path, private_redis: PrivateRedis
) -> None:
    async with running(tmp_path, "webhook", redis=private_redis.url) as h:
        await _everything_said(h)
        await asyncio.sleep(0.5)
        stored = await _database_text(h)
        keys, values = await _redis_text(private_redis.url)
        assert str(USER) in stored and SAID[0] in stored  # what there was to forget
        assert keys and not any(str(USER) in key for key in keys)  # keys never name anyone
        assert str(USER) in values  # aiogram-dialog keeps the id inside its stored contexts
        assert any(k.startswith("fsm:") for k in keys)

        t = h.i18n.get("uk")
        confirm = await h.client.ask(USER, "/forget", language_code="uk")
        _, toast = await h.client.press(USER, confirm, t.gettext("Yes, delete"))
        assert toast == t.gettext("Done: everything about you is deleted.")
        await asyncio.sleep(0.5)

        stored = await _database_text(h)
        keys, values = await _redis_text(private_redis.url)
        for trace in (str(USER), *SAID):
            assert trace not in stored, f"the database still holds {trace!r}"
            assert trace not in values, f"Redis still holds {trace!r}"
            assert not any(trace in key for key in keys)
        assert not any(k.startswith("fsm:") for k in keys), keys  # no dialog state is left

        # And the person can start again as a stranger.
        prompt = await h.client.ask(USER, "/start", language_code="uk")
        assert t.gettext("Choose your language") in prompt["text"]
