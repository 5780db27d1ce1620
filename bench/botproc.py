"""One bot process for bench/bot.py: Witaj itself, or a bare aiogram echo bot as the baseline.

python bench/botproc.py witaj|floor|echo API_URL DATABASE_URL

`floor` is Witaj with its free-text handler reduced to a one-line reply: every middleware,
the dialogs' state and the database as in `witaj`, but no safety check, search or answer card.
Its throughput is the most the rest of the stack leaves to a question (bench/bot.py --floor).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.identity import DEFAULT_TOKEN


async def echo(api_url: str) -> None:
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    bot = Bot(DEFAULT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dp = Dispatcher()

    @dp.message()
    async def reply(message: Message) -> None:
        await message.answer(message.text or "?")

    await bot.delete_webhook()
    print("ready", flush=True)
    await dp.start_polling(bot, handle_signals=True)


async def witaj(api_url: str, database_url: str, *, floor: bool = False) -> None:
    """What `witaj run` does (see cli/serve.py), with the settings of the benchmark."""
    if floor:
        from aiogram.types import Message

        from bot.handlers import questions

        async def reply(message: Message, **_: object) -> None:
            await message.answer("·")

        questions.question = reply  # type: ignore[assignment]  # registered by the next lines
    from cli import prepare
    from cli.process import tune
    from cli.serve import load_runtime, open_parts, runtime
    from knowledge.settings import Settings

    settings = Settings(
        database_url=database_url, throttle_seconds=0, log_level="WARNING", workspace=False
    )
    tune()
    helper = prepare.start(settings, demo=False)
    load_runtime()
    store, librarian = await open_parts(settings, demo=False, helper=helper)
    bot = runtime(settings, DEFAULT_TOKEN, api_url, store, librarian)
    await bot.start()
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await bot.stop()
        await store.close()


def main() -> None:
    kind, api_url = sys.argv[1], sys.argv[2]
    core = os.environ.get("BENCH_BOT_CORE")
    if core and hasattr(os, "sched_setaffinity"):  # bench/bot.py: the bot on a core of its own
        os.sched_setaffinity(0, {int(core)})
    if kind == "echo":
        asyncio.run(echo(api_url))
    else:
        asyncio.run(witaj(api_url, sys.argv[3], floor=kind == "floor"))


if __name__ == "__main__":
    main()
