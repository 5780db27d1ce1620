"""What a message costs the bot, by what is new in it: people, texts, or nothing.

    .venv/bin/python bench/waves.py [--kind witaj|floor|echo] [--users 200]

One bot process (bench/botproc.py, on a core of its own) gets five waves of `--users`
messages through the sandbox, each wave sent at once and answered before the next: new people
with new texts right after the start; the same again; new people with the first wave's texts;
the first wave's people with other texts; those again. Prints the bot's CPU time a message
and each wave's wall time. The difference between waves is the cost of what is new: a new
person (a database read, a new dialog stack), a new text (search and safety check not
remembered, words not scored yet), the start itself (caches filling). Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import psutil
from aiohttp import web
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.server import Sandbox, build_app  # noqa: E402


def questions() -> list[str]:
    """bench/bot.py's pool of texts (that module's name is the runtime package's)."""
    spec = importlib.util.spec_from_file_location("bench_bot", ROOT / "bench" / "bot.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pool: list[str] = module.questions()
    return pool


async def run(kind: str, users: int) -> list[tuple[str, float, float]]:
    sandbox = Sandbox(oracle=False)
    runner = web.AppRunner(build_app(sandbox), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    database = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/waves.sqlite3"
    command = [sys.executable, str(ROOT / "bench" / "botproc.py"), kind, url, database]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: ASYNC220
    try:
        assert proc.stdout is not None
        line = await asyncio.to_thread(proc.stdout.readline)
        assert line.strip() == "ready", line
        bot = psutil.Process(proc.pid)
        pool = questions()
        rng = random.Random(5)
        rows: list[tuple[str, float, float]] = []

        async def wave(name: str, people: Sequence[int], texts: Sequence[str]) -> None:
            async def ask(user: int, text: str) -> None:
                chat = sandbox.chats[user]
                sent = await sandbox.user_message(user, text, language_code="uk")
                version = chat.version
                while chat.order[-1] <= sent["message_id"]:
                    version = await sandbox.chat_version(user, version, 600)

            cpu, start = sum(bot.cpu_times()[:2]), time.perf_counter()
            await asyncio.gather(*(ask(u, t) for u, t in zip(people, texts, strict=True)))
            wall = time.perf_counter() - start
            rows.append((name, 1000 * (sum(bot.cpu_times()[:2]) - cpu) / len(people), wall))
            await asyncio.sleep(0.5)  # late replies and the bot's own follow-up work

        first = range(10_000, 10_000 + users)
        texts = [rng.choice(pool) for _ in first]
        other = [rng.choice(pool) for _ in first]
        await wave("new people, new texts, right after the start", first, texts)
        await wave("the same again", first, texts)
        await wave("new people, the first wave's texts", range(20_000, 20_000 + users), texts)
        await wave("the first wave's people, other texts", first, other)
        await wave("the same again", first, other)
        return rows
    finally:
        proc.terminate()
        await asyncio.to_thread(proc.wait, 10)
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kind", choices=("witaj", "floor", "echo"), default="witaj")
    parser.add_argument("--users", type=int, default=200)
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
    if len(cores) > 1:  # as bench/bot.py: the bot on one core, the sandbox on the others
        os.environ["BENCH_BOT_CORE"] = str(cores[0])
        os.sched_setaffinity(0, set(cores[1:]))
    rows = asyncio.run(run(args.kind, args.users))
    table = Table(title=f"{args.kind}: waves of {args.users} messages, each sent at once")
    for column in ("wave", "bot CPU ms / message", "wall ms"):
        table.add_column(column, justify="right")
    for name, cpu, wall in rows:
        table.add_row(name, f"{cpu:.2f}", f"{1000 * wall:.0f}")
    Console().print(table)


if __name__ == "__main__":
    main()
