"""The real bot against the sandbox over HTTP, in polling or webhook mode."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import ClientSession, CookieJar

from bot.runner import BotRuntime
from cli.serve import runtime as compose
from knowledge.i18n import I18n
from knowledge.library import Librarian, Library
from knowledge.settings import CONTENT_DIR, Settings
from knowledge.store import Store
from sandbox.client import SandboxClient
from sandbox.run import SandboxServer
from sandbox.server import DEFAULT_TOKEN, PRACTITIONERS_CHAT
from tests.conftest import shared_library, unavailable

_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_URL = os.environ.get("WITAJ_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{15 - _WORKER}")
"""Tests flush this database: each pytest-xdist worker has its own (15, 14, …)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Harness:
    server: SandboxServer
    client: SandboxClient
    runtime: BotRuntime
    store: Store
    librarian: Librarian
    i18n: I18n

    async def restart_bot(self) -> None:
        """Stop and start the bot process state (memory storage is lost, as after a crash)."""
        settings = self.runtime.settings
        await self.runtime.stop()
        self.runtime = compose(
            settings, DEFAULT_TOKEN, self.server.url, self.store, self.librarian,
            sandbox_url=self.server.url,
        )  # fmt: skip
        await self.runtime.start()

    @property
    def library(self) -> Library:
        return self.librarian.current


class PrivateRedis:
    """A `redis-server` of the test's own, on a free port, that the test may stop and start
    (the machine's shared Redis is never touched)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed")
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def redis_available() -> bool:
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.ping()
        await redis.flushdb()
        return True
    except OSError:
        return False
    finally:
        await redis.aclose()


async def start_harness(
    tmp: Path,
    mode: str,
    redis: bool | str = False,
    demo: bool = False,
    unavailable: int = 0,
    **settings_: Any,
) -> Harness:
    """`redis`: True for the machine's Redis (test database), or a URL of a private one;
    `unavailable`: how many of the bot's first calls the Bot API answers 502."""
    server = await SandboxServer.start()
    server.sandbox.unavailable = unavailable
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp / 'bot.sqlite3'}",
        content_dir=CONTENT_DIR,
        bot_mode=mode,  # type: ignore[arg-type]
        webhook_host="127.0.0.1",
        webhook_port=free_port(),
        webhook_secret="s3cret-token",  # type: ignore[arg-type]
        redis_url=redis if isinstance(redis, str) else REDIS_URL if redis else None,
        throttle_seconds=0.1,
        web_port=0,
        **{
            "practitioner_chat_id": PRACTITIONERS_CHAT,
            "working_hours": "mon-sun 00:00-23:59",
            **settings_,
        },
    )
    settings.webhook_url = f"http://127.0.0.1:{settings.webhook_port}"
    store = await Store.open(settings.database_url, seed_dir=CONTENT_DIR, demo=demo)
    # The seed's library is built once per test session; this database holds the same topics,
    # so the librarian adopts it instead of building the index again.
    librarian = Librarian(store, shared_library(), demo=demo)
    await librarian.refresh()
    runtime = compose(settings, DEFAULT_TOKEN, server.url, store, librarian, sandbox_url=server.url)
    await runtime.start()
    http = ClientSession()
    return Harness(server, SandboxClient(server.url, http), runtime, store, librarian, I18n())


async def stop_harness(h: Harness) -> None:
    twice = list(h.server.sandbox.answered_twice)
    await h.client.http.close()
    await h.runtime.stop()
    await h.store.close()
    await h.server.stop()
    # Every test through the sandbox also checks this: Telegram refuses a second answer.
    assert not twice, f"callback queries answered twice: {twice}"


@contextlib.asynccontextmanager
async def running(
    tmp: Path, mode: str, redis: bool | str = False, demo: bool = False, **settings: Any
) -> AsyncIterator[Harness]:
    h = await start_harness(tmp, mode, redis, demo, **settings)
    try:
        yield h
    finally:
        await stop_harness(h)


@pytest_asyncio.fixture(params=["polling", "webhook"])
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(tmp_path, request.param) as h:
        yield h


@pytest_asyncio.fixture
async def polling(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(tmp_path, "polling") as h:
        yield h


@pytest_asyncio.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot with the sandbox's invented example schools, as `make run` starts it."""
    async with running(tmp_path, "polling", demo=True) as h:
        yield h


@pytest_asyncio.fixture
async def webhook(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(tmp_path, "webhook") as h:
        yield h


@pytest_asyncio.fixture
async def redis_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    if not await redis_available():
        unavailable(f"Redis at {REDIS_URL} is not reachable")
    async with running(tmp_path, "polling", redis=True) as h:
        yield h


PASSWORD = "correct horse battery staple"


async def add_user(
    h: Harness,
    name: str,
    role: str,
    languages: list[str] | None = None,
    school: str | None = None,
    telegram_id: int | None = None,
    assistant: bool = False,
) -> None:
    from knowledge import accounts
    from knowledge.enums import Role

    async with h.store.sessions.begin() as session:
        await accounts.add_user(
            session,
            name,
            Role(role),
            PASSWORD,
            languages=languages,
            school=school,
            telegram_id=telegram_id,
            intercultural_assistant=assistant,
        )


@dataclass
class Workspace:
    """A practitioner's browser, reduced to forms and a cookie jar."""

    url: str
    http: ClientSession
    csrf: str = ""

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.url + path) as resp:
            text = await resp.text()
        self._remember(text)
        return resp.status, text

    async def post(self, path: str, form: dict[str, str], csrf: bool = True) -> tuple[int, str]:
        data = {**form, "csrf": self.csrf} if csrf else form
        async with self.http.post(self.url + path, data=data) as resp:
            text = await resp.text()
        self._remember(text)
        return resp.status, text

    async def login(self, name: str, password: str = PASSWORD) -> int:
        await self.get("/login")
        status, _ = await self.post("/login", {"name": name, "password": password})
        return status

    def _remember(self, page: str) -> None:
        import re

        found = re.search(r'name="csrf" value="([^"]+)"', page)
        if found:
            self.csrf = found.group(1)


@contextlib.asynccontextmanager
async def workspace(h: Harness) -> AsyncIterator[Workspace]:
    assert h.runtime.web_url is not None
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:  # cookies for 127.0.0.1
        yield Workspace(h.runtime.web_url, http)
