"""The bot's requests (bot/session.py) carry what aiogram's own session would send."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from aiohttp import web

from bot.factory import build_bot


async def test_a_card_is_sent_as_json_with_its_keyboard_as_aiogram_writes_it() -> None:
    received: list[dict[str, Any]] = []

    async def send_message(request: web.Request) -> web.Response:
        body = await request.json()
        received.append(body)
        message = {
            "message_id": 7,
            "date": 0,
            "chat": {"id": body["chat_id"], "type": "private"},
            "text": "ok",
        }
        return web.json_response({"ok": True, "result": message})

    app = web.Application()
    app.router.add_post("/bot{token}/sendMessage", send_message)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    bot = build_bot("1:x", f"http://127.0.0.1:{runner.addresses[0][1]}")
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="📖 Więcej", callback_data="0\x1dfull:ab12")],
            [
                InlineKeyboardButton(text="gov.pl", url="https://www.gov.pl/"),
                InlineKeyboardButton(text="app", web_app=WebAppInfo(url="https://x.example/")),
            ],
        ]
    )
    try:
        sent = await bot.send_message(42, "<b>PESEL</b>", reply_markup=markup)
    finally:
        await bot.session.close()
        await runner.cleanup()
    assert sent.message_id == 7
    aiogram_would_send = bot.session.prepare_value(
        markup.model_dump(warnings=False), bot=bot, files={}, _dumps_json=False
    )
    assert received == [
        {
            "chat_id": 42,
            "text": "<b>PESEL</b>",
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
            "disable_web_page_preview": True,  # aiogram sends the old name of that default too
            "reply_markup": aiogram_would_send,
        }
    ]


async def test_a_second_answer_to_a_button_press_returns_what_the_first_did() -> None:
    """Telegram refuses a second answer, so it is not sent; the caller gets True, as from the
    first (the request middlewares pass on results, not Response wrappers)."""
    from aiogram.methods import AnswerCallbackQuery

    from bot.session import AnswerOnce

    sent: list[str] = []

    async def telegram(_bot: Any, method: Any) -> Any:
        sent.append(method.callback_query_id)
        return True

    once = AnswerOnce()
    method = AnswerCallbackQuery(callback_query_id="q1")
    assert await once(telegram, None, method) is True  # type: ignore[arg-type]
    assert await once(telegram, None, method) is True  # type: ignore[arg-type]
    assert sent == ["q1"]


async def test_an_answer_that_failed_does_not_stop_the_next_one() -> None:
    """The first answer to a press failed (Telegram away): the apology's toast must still go."""
    from aiogram.exceptions import TelegramNetworkError
    from aiogram.methods import AnswerCallbackQuery

    from bot.session import AnswerOnce

    sent: list[str | None] = []

    async def telegram(_bot: Any, method: Any) -> Any:
        sent.append(method.text)
        if len(sent) == 1:
            raise TelegramNetworkError(method=method, message="timeout")
        return True

    once = AnswerOnce()
    first = AnswerCallbackQuery(callback_query_id="q2")
    with pytest.raises(TelegramNetworkError):
        await once(telegram, None, first)  # type: ignore[arg-type]
    apology = AnswerCallbackQuery(callback_query_id="q2", text="Sorry")
    assert await once(telegram, None, apology) is True  # type: ignore[arg-type]
    assert sent == [None, "Sorry"]
