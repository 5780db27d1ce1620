"""The sandbox server as a running service (the command line connects the bot to it)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from sandbox.server import Sandbox, build_app


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
