"""The production topology, natively: `witaj run` replicas in webhook mode behind a real
reverse proxy, sharing PostgreSQL and Redis, with the sandbox as Telegram.

There is no Docker daemon here, so the parts of docker-compose.yml run as processes: each
replica is a real `witaj run` subprocess; the proxy is Caddy (Debian's package) balancing the
webhook round-robin over the replicas, or — where Caddy is not installed and CI does not
require it — a round-robin proxy in this process; PostgreSQL is reached through a TCP proxy
the tests can cut; Redis is a private `redis-server` the tests can stop. Used by
tests/e2e/test_replicas.py and bench/replicas.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

from sandbox.client import SandboxClient
from sandbox.identity import DEFAULT_TOKEN, PRACTITIONERS_CHAT
from sandbox.run import SandboxServer
from tests.e2e.conftest import PrivateRedis, free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET = "replica-test-secret-0123456789"


class TcpProxy:
    """Forwards a local port to PostgreSQL; `cut()` drops every connection and refuses new
    ones until `restore()` — a database restart as the bot sees it. Runs in its own thread so
    that it keeps forwarding whatever the test's event loop is doing."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.open = True
        self._writers: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._accept, "127.0.0.1", self.port)
        )
        self._ready.set()
        try:
            self.loop.run_forever()
        finally:
            server.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    def cut(self) -> None:
        def drop() -> None:
            self.open = False
            for writer in list(self._writers):
                writer.transport.abort()
            self._writers.clear()

        self.loop.call_soon_threadsafe(drop)

    def restore(self) -> None:
        self.loop.call_soon_threadsafe(lambda: setattr(self, "open", True))

    def close(self) -> None:
        self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


class RoundRobin:
    """The fallback proxy: each request to the next replica, as Caddy's round_robin does."""

    def __init__(self, upstreams: list[str]) -> None:
        self.upstreams = upstreams
        self._next = itertools.cycle(range(len(upstreams)))
        self.port = free_port()
        self._runner: web.AppRunner | None = None
        self._http: ClientSession | None = None

    async def start(self) -> None:
        self._http = ClientSession(timeout=ClientTimeout(total=60))
        app = web.Application(client_max_size=4 << 20)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        for _ in self.upstreams:  # like Caddy: a replica that refuses is skipped
            upstream = self.upstreams[next(self._next)]
            try:
                async with self._http.request(
                    request.method, upstream + request.path_qs, data=body, headers=request.headers
                ) as resp:
                    return web.Response(status=resp.status, body=await resp.read())
            except (TimeoutError, OSError):
                continue
        return web.Response(status=502)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()


class Caddy:
    """Debian's Caddy with the same balancing as deploy/Caddyfile, on plain HTTP."""

    def __init__(self, upstreams: list[str], workdir: Path) -> None:
        self.upstreams = upstreams
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        hosts = " ".join(u.removeprefix("http://") for u in self.upstreams)
        config = self.workdir / "Caddyfile"
        config.write_text(
            "{\n\tadmin off\n\tauto_https off\n}\n"
            f"http://127.0.0.1:{self.port} {{\n"
            f"\treverse_proxy {hosts} {{\n"
            "\t\tlb_policy round_robin\n"
            "\t\tlb_try_duration 5s\n"
            "\t\tfail_duration 2s\n"
            "\t}\n}\n"
        )
        env = {**os.environ, "HOME": str(self.workdir), "XDG_DATA_HOME": str(self.workdir)}
        self.process = subprocess.Popen(  # noqa: ASYNC220 - starting a server, not waiting
            ["caddy", "run", "--config", str(config), "--adapter", "caddyfile"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        await _wait_for_port(self.port)

    async def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            await asyncio.to_thread(self.process.wait, 10)


@dataclass
class Replica:
    name: str
    port: int
    env: dict[str, str]
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli", "run"],
                env={**self.env, "WEBHOOK_PORT": str(self.port)},
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def ready(self, within: float = 90) -> None:
        deadline = time.monotonic() + within
        async with ClientSession(timeout=ClientTimeout(total=2)) as http:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
                with contextlib.suppress(OSError, asyncio.TimeoutError):
                    async with http.get(self.url + "/healthz") as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """As if its machine died: no goodbye, leases left held."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    async def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                await asyncio.to_thread(self.process.wait, 15)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None

    async def metric(self, name: str, labels: str = "") -> float:
        """The sum of one metric's samples (matching `labels`, e.g. 'outcome="answered"')."""
        async with (
            ClientSession() as http,
            http.get(self.url + "/metrics") as resp,
        ):
            text = await resp.text()
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name) and labels in line and not line.startswith("#"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def peak_rss_mb(self) -> float:
        if self.process is None:
            return 0.0
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0


@dataclass
class Topology:
    sandbox: SandboxServer
    client: SandboxClient
    replicas: list[Replica]
    proxy: Caddy | RoundRobin
    redis: PrivateRedis
    database: TcpProxy
    database_url: str
    workdir: Path
    http: ClientSession
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def proxy_kind(self) -> str:
        return "Caddy" if isinstance(self.proxy, Caddy) else "in-test round robin"


async def _wait_for_port(port: int, within: float = 20) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise TimeoutError(f"nothing listens on {port}")


@contextlib.asynccontextmanager
async def topology(
    postgres_url: str,
    *,
    replicas: int = 2,
    require_caddy: bool = False,
    settings: dict[str, str] | None = None,
) -> AsyncIterator[Topology]:
    """`postgres_url`: an empty database of the topology's own (postgresql+asyncpg://…)."""
    workdir = Path(tempfile.mkdtemp(prefix="witaj-topology-"))
    host_port = postgres_url.split("@", 1)[1].split("/", 1)[0]
    pg_host, _, pg_port = host_port.partition(":")
    database = TcpProxy(int(pg_port or 5432), pg_host)
    database_url = postgres_url.replace(host_port, f"127.0.0.1:{database.port}")
    redis = PrivateRedis(workdir / "redis")
    redis.start()
    sandbox = await SandboxServer.start()
    ports = [free_port() for _ in range(replicas)]
    upstreams = [f"http://127.0.0.1:{p}" for p in ports]
    proxy: Caddy | RoundRobin
    if shutil.which("caddy"):
        proxy = Caddy(upstreams, workdir)
    elif require_caddy:
        raise RuntimeError("caddy is not installed (apt-get install -y caddy)")
    else:
        proxy = RoundRobin(upstreams)
    await proxy.start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WITAJ_", "BOT_"))},
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_URL": sandbox.url,
        "BOT_MODE": "webhook",
        "WEBHOOK_URL": f"http://127.0.0.1:{proxy.port}",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_HOST": "127.0.0.1",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis.url,
        "INDEX_CACHE": str(workdir / "index"),
        "PRACTITIONER_CHAT_ID": str(PRACTITIONERS_CHAT),
        "WORKING_HOURS": "mon-sun 00:00-23:59",
        "THROTTLE_SECONDS": "0",
        "DEMO": "false",
        "LOG_LEVEL": "WARNING",
        **(settings or {}),
    }
    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "db", "upgrade", env=env, cwd=workdir,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await migrate.communicate()
    if migrate.returncode != 0:
        raise RuntimeError(f"witaj db upgrade failed: {err.decode()[-2000:]}")
    nodes = [Replica(f"replica-{i + 1}", port, env, workdir) for i, port in enumerate(ports)]
    # No cap on connections: each simulated person holds a long poll on their chat, and with
    # aiohttp's default of 100 the 101st person's answer waited for someone else's poll.
    http = ClientSession(timeout=ClientTimeout(total=60), connector=TCPConnector(limit=0))
    try:
        for node in nodes:
            node.start()
        await asyncio.gather(*(node.ready() for node in nodes))
        yield Topology(
            sandbox, SandboxClient(sandbox.url, http), nodes, proxy, redis, database,
            database_url, workdir, http,
        )  # fmt: skip
    finally:
        await asyncio.gather(*(node.stop() for node in nodes), return_exceptions=True)
        await http.close()
        await proxy.stop()
        await sandbox.stop()
        redis.stop()
        database.close()
        shutil.rmtree(workdir, ignore_errors=True)
