"""The webhook as Telegram and as an attacker would use it: secrets, bad bodies, retries.

Every test runs the real bot in webhook mode against the sandbox, which posts updates the way
Telegram does (several at a time, again after anything but a 2xx).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession

from bot.runner import WEBHOOK_PATH, BotRuntime
from bot.session import RetryMiddleware
from knowledge.settings import CONTENT_DIR, Settings
from sandbox.client import buttons
from tests.e2e.conftest import Harness, PrivateRedis, running

SECRET = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}


def _url(h: Harness, path: str = WEBHOOK_PATH) -> str:
    return f"http://127.0.0.1:{h.runtime.settings.webhook_port}{path}"


def _update(update_id: int, user: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": user, "type": "private", "first_name": "Test"},
            "from": {"id": user, "is_bot": False, "first_name": "Test", "language_code": "pl"},
            "text": text,
        },
    }


async def _bot_replies(h: Harness, user: int, settle: float = 1.0) -> list[dict[str, Any]]:
    await asyncio.sleep(settle)  # a duplicate would arrive within this
    chat = await h.client.chat(user)
    return [m for m in chat["messages"] if m.get("from", {}).get("is_bot")]


def _fast_retries(runtime: BotRuntime) -> None:
    assert runtime.bot is not None
    for middleware in runtime.bot.session.middleware:
        if isinstance(middleware, RetryMiddleware):  # five tries in 0.3 s, then give up
            middleware.first_delay, middleware.patience = 0.02, 0.3


async def test_only_telegram_gets_in_and_bad_bodies_get_4xx_or_are_dropped(
    webhook: Harness,
) -> None:
    h = webhook
    assert h.server.sandbox.webhook is not None  # the bot registered its webhook
    # …asking only for the kinds of update it handles, as in polling.
    asked = h.server.sandbox.allowed_updates
    assert asked is not None and {"message", "callback_query"} <= asked
    assert "inline_query" not in asked
    update = _update(1, 4401, "pesel")
    async with ClientSession() as http:
        async with http.post(_url(h), json=update) as resp:
            assert resp.status == 401
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-tokeN"}
        async with http.post(_url(h), json=update, headers=wrong) as resp:
            assert resp.status == 403
        for body in (b"{not json", b"[1, 2]", b'{"no_update_id": 1}', b'{"update_id": "7"}'):
            async with http.post(_url(h), data=body, headers=SECRET) as resp:
                assert resp.status == 400, body
        # An update this aiogram cannot read is taken and dropped, as polling counts past it:
        # a 400 had Telegram send it again and again.
        broken = {"update_id": 2, "message": {"text": "no chat, no date"}}
        async with http.post(_url(h), json=broken, headers=SECRET) as resp:
            assert resp.status == 200
        huge = b'{"update_id": 3, "pad": "' + b"x" * (2 << 20) + b'"}'
        async with http.post(_url(h), data=huge, headers=SECRET) as resp:
            assert resp.status == 413
    assert await _bot_replies(h, 4401, settle=0.2) == []  # none of it reached the bot


async def test_an_update_delivered_twice_is_answered_once(webhook: Harness) -> None:
    h = webhook
    h.server.sandbox.duplicate_deliveries = True
    reply = await h.client.ask(4402, "Jak wyrobić numer PESEL?", language_code="pl")
    assert "PESEL" in reply["text"]
    menu = await h.client.ask(4402, "/menu", language_code="pl")
    await h.client.click(4402, menu["message_id"], buttons(menu)[0]["callback_data"])
    replies = await _bot_replies(h, 4402)
    assert len(replies) == 2  # the answer and the menu (edited in place by the click)
    # By hand, as a retry reaching the webhook after the first was handled:
    h.server.sandbox.user(4403, language_code="pl")
    async with ClientSession() as http:
        for _ in range(2):
            async with http.post(_url(h), json=_update(9000, 4403, "pesel"), headers=SECRET) as r:
                assert r.status == 200
    assert len(await _bot_replies(h, 4403)) == 1


async def test_half_an_emoji_is_answered_not_refused(webhook: Harness) -> None:
    """A lone surrogate escape is valid JSON orjson refuses: the update got a 400, which
    Telegram retries for a day, and the person heard nothing."""
    reply = await webhook.client.ask(4404, "Jak wyrobić numer PESEL? \ud83d", language_code="pl")
    assert "PESEL" in reply["text"]


async def test_a_failed_update_is_redelivered_and_answered(webhook: Harness) -> None:
    """The Bot API fails every send for a while: neither the answer nor the apology gets out,
    so the webhook answers 500 and the redelivered update is answered once it recovers."""
    h = webhook
    _fast_retries(h.runtime)
    h.server.sandbox.server_errors = 10  # five tries of the answer, five of the apology
    reply = await h.client.ask(4404, "Jak wyrobić numer PESEL?", language_code="pl")
    assert "PESEL" in reply["text"]
    assert 500 in h.server.sandbox.webhook_answers
    assert len(await _bot_replies(h, 4404)) == 1


async def _raw_post(h: Harness, head: dict[str, bytes], pieces: list[bytes]) -> int:
    """POST the body in separate writes, a pause between them (as a proxy may pass it on)."""
    port = h.runtime.settings.webhook_port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"POST {WEBHOOK_PATH} HTTP/1.1".encode(), b"Host: 127.0.0.1"]
    lines += [name.encode() + b": " + value for name, value in head.items()]
    lines.append(b"Content-Length: %d" % sum(map(len, pieces)))
    writer.write(b"\r\n".join(lines) + b"\r\n\r\n")
    for piece in pieces:
        writer.write(piece)
        await writer.drain()
        await asyncio.sleep(0.3)
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


async def test_an_update_whose_body_arrives_in_pieces_is_answered(webhook: Harness) -> None:
    """Through a proxy the body may come in two writes; reading only the first half refused
    a valid update as "not a Telegram update" (Telegram would retry, then drop it)."""
    h = webhook
    h.server.sandbox.user(4406, language_code="pl")
    body = json.dumps(_update(9100, 4406, "Jak wyrobić numer PESEL?")).encode()
    secret = {"X-Telegram-Bot-Api-Secret-Token": b"s3cret-token"}
    assert await _raw_post(h, secret, [body[:40], body[40:]]) == 200
    replies = await _bot_replies(h, 4406, settle=0.2)
    assert len(replies) == 1 and "PESEL" in replies[0]["text"]


async def test_odd_requests_get_a_plain_answer_not_a_server_error(webhook: Harness) -> None:
    h = webhook
    # A secret header with bytes that are not UTF-8: wrong, not a crash.
    assert await _raw_post(h, {"X-Telegram-Bot-Api-Secret-Token": b"\xe9\xff"}, [b"{}"]) == 403
    # An update of a kind this aiogram does not know (a newer Bot API's): taken, not retried.
    async with (
        ClientSession() as http,
        http.post(_url(h), json={"update_id": 9200, "new_kind": {}}, headers=SECRET) as r,
    ):
        assert r.status == 200


async def test_health_and_metrics_on_the_bot_port(webhook: Harness) -> None:
    h = webhook
    await h.client.ask(4405, "Jak wyrobić numer PESEL?", language_code="pl")
    async with ClientSession() as http:
        async with http.get(_url(h, "/healthz")) as resp:
            assert resp.status == 200
            assert (await resp.json())["database"] == "ok"
        async with http.get(_url(h, "/metrics")) as resp:
            assert resp.status == 200
            metrics = await resp.text()
    assert 'witaj_answers_total{outcome="answered"}' in metrics
    assert "witaj_search_seconds_bucket" in metrics
    assert "PESEL" not in metrics and "pesel" not in metrics.lower().replace("_", "")


async def test_webhook_mode_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}",
        content_dir=CONTENT_DIR,
        bot_mode="webhook",
        webhook_url="https://bot.example.org",
    )
    runtime = BotRuntime(settings, "1:x", None, None, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        await runtime.start()
    env = {
        **os.environ,
        "BOT_TOKEN": "123:abc",
        "BOT_MODE": "webhook",
        "WEBHOOK_URL": "https://bot.example.org",
        "DATABASE_URL": settings.database_url,
    }
    env.pop("WEBHOOK_SECRET", None)
    command = [sys.executable, "-m", "cli", "run"]
    done = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "WEBHOOK_SECRET" in done.stderr + done.stdout


async def test_redis_down_mid_conversation_every_message_is_answered(
    tmp_path: Path, private_redis: PrivateRedis
) -> None:
    """Redis stops under a running conversation and comes back: every message gets a reply
    (from memory state meanwhile), and dialogs are shared through Redis again afterwards."""
    async with running(tmp_path, "webhook", redis=private_redis.url) as h:
        c, t = h.client, h.i18n.get("uk")
        card = await c.ask(4406, "як отримати pesel", language_code="uk")
        title = h.library.catalog["pesel"].translations["uk"].title
        assert title in card["text"]
        private_redis.stop()
        for text in ("як отримати pesel", "/menu", "карта побиту", "номер 112"):
            reply = await c.ask(4406, text, language_code="uk")
            assert reply["text"], text
        menu = await c.ask(4406, "/menu", language_code="uk")
        clicked, _ = await c.press(4406, menu, t.gettext("🎒 School"))
        assert clicked["text"]  # the dialog lives in memory meanwhile
        assert h.runtime.redis_health.down
        private_redis.start()
        await asyncio.sleep(h.runtime.redis_health.retry_after + 0.5)
        card = await c.ask(4406, "як отримати pesel", language_code="uk")
        assert title in card["text"]
        assert not h.runtime.redis_health.down
        from redis.asyncio import Redis

        redis = Redis.from_url(private_redis.url)
        try:
            assert [k async for k in redis.scan_iter("fsm:*")]  # state is shared again
            assert [k async for k in redis.scan_iter("witaj:update:*")]
            # A Redis that answers but refuses writes (a replica left read-only by a
            # failover): READONLY is an answer, not a lost connection, and every update got
            # a 500 while it lasted.
            await redis.execute_command("REPLICAOF", "127.0.0.1", "1")
            for text in ("як отримати pesel", "/menu"):
                reply = await c.ask(4406, text, language_code="uk")
                assert reply["text"], text
            await redis.execute_command("REPLICAOF", "NO", "ONE")
        finally:
            await redis.aclose()
