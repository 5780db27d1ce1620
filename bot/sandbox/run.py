"""`witaj sandbox`: the sandbox server and the real bot, connected over loopback HTTP."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web

from bot.config import Settings
from bot.runner import BotRuntime
from bot.sandbox.server import DEFAULT_TOKEN, PRACTITIONERS_CHAT, Sandbox, build_app


@dataclass
class SandboxServer:
    sandbox: Sandbox
    runner: web.AppRunner
    url: str

    @classmethod
    async def start(cls, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
        sandbox = Sandbox()
        runner = web.AppRunner(build_app(sandbox), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
        return cls(sandbox, runner, f"http://{host}:{bound}")

    async def stop(self) -> None:
        await self.sandbox.shutdown()
        await self.runner.cleanup()


async def serve(settings: Settings) -> None:
    server = await SandboxServer.start(settings.sandbox_host, settings.sandbox_port)
    bot = BotRuntime(
        settings.model_copy(
            update={
                "bot_mode": "polling",
                "demo": True,
                "practitioner_chat_id": settings.practitioner_chat_id or PRACTITIONERS_CHAT,
            }
        ),
        DEFAULT_TOKEN,
        server.url,
    )
    try:
        await bot.start()
        print(f"Witaj sandbox: open {server.url} and chat with the bot (Ctrl-C to stop).")
        print(f"Practitioners' group (answer 'talk to a person'): {server.url}/?group=1&user=9001")
        if bot.web_url:
            print(f"Practitioners' workspace: {bot.web_url} (add a user: witaj user add NAME).")
        await asyncio.Event().wait()
    finally:
        await bot.stop()
        await server.stop()
