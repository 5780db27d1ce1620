"""Start-up and memory: the real bot process against the sandbox, beside a bare echo bot.

    .venv/bin/python bench/startup.py [--runs 3]

Witaj is started as `witaj run` (the sandbox as its Bot API server), the echo bot by
bench/botproc.py. For each bot: a fresh process and a fresh SQLite file (first start: migrate,
seed, build the library — and, for Witaj, once more with the index cache warm), the time from
starting the process to the first answer in the chat, then one question in each of the six
languages, and the process's peak resident memory (VmHWM) once its first periodic jobs have
run. Also times the command line. Prints medians and the ratios Witaj / echo.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from aiohttp import web
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from proc import peak_mb  # noqa: E402

from sandbox.identity import DEFAULT_TOKEN  # noqa: E402
from sandbox.server import Sandbox, build_app  # noqa: E402

console = Console()
SETTLE = 7.0
"""Seconds the bot runs on after the six answers before its peak is read: its periodic jobs
(every 5 s; the daily ones run at their first turn) and the start's garbage collection have
run by then."""
QUESTIONS = [
    ("uk", "як отримати pesel"),
    ("ru", "как получить карту побыту"),
    ("pl", "gdzie zapisać dziecko do szkoły"),
    ("en", "how do I open a bank account"),
    ("be", "дзе знайсці сямейнага лекара"),
    ("ar", "كيف أسجل طفلي في المدرسة"),
]


async def _together(pid: int) -> tuple[float, float]:
    """Until cancelled: the largest resident memory of the bot's child processes (the start-up
    helper, see cli/prepare.py) and of the bot and its children together, sampled every 10 ms."""
    bot = psutil.Process(pid)
    helper = together = 0.0
    try:
        while True:
            try:
                children = sum(c.memory_info().rss for c in bot.children(recursive=True))
                total = bot.memory_info().rss + children
            except psutil.Error:
                children = total = 0
            helper, together = max(helper, children / 2**20), max(together, total / 2**20)
            await asyncio.sleep(0.01)
    except asyncio.CancelledError:
        return helper, together


async def ask(sandbox: Sandbox, user: int, text: str, lang: str, within: float) -> float:
    """Send a message; seconds until the bot's reply is in the chat."""
    start = time.perf_counter()
    sent = await sandbox.user_message(user, text, language_code=lang)
    chat = sandbox.chats[user]
    async with sandbox.changed:
        await asyncio.wait_for(
            sandbox.changed.wait_for(lambda: chat.order[-1] > sent["message_id"]), within
        )
    return time.perf_counter() - start


async def one_start(kind: str, database: str, cache: Path) -> dict[str, float]:
    sandbox = Sandbox()
    runner = web.AppRunner(build_app(sandbox), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    env = {**os.environ, "INDEX_CACHE": str(cache)}
    if kind == "witaj":  # the real command, configured as an operator would
        env |= {"BOT_TOKEN": DEFAULT_TOKEN, "TELEGRAM_API_URL": url, "DATABASE_URL": database,
                "THROTTLE_SECONDS": "0", "LOG_LEVEL": "WARNING", "WORKSPACE": "false"}  # fmt: skip
        command = [str(ROOT / ".venv" / "bin" / "witaj"), "run"]
    else:
        command = [sys.executable, str(ROOT / "bench" / "botproc.py"), kind, url, database]
    begin = time.perf_counter()
    proc = subprocess.Popen(  # noqa: ASYNC220 - the measured start itself
        command, stdout=subprocess.DEVNULL, env=env, cwd=ROOT
    )
    sampler = asyncio.create_task(_together(proc.pid))
    try:
        # The first message is sent at once: it waits in the Bot API until the bot polls.
        first = 0.0
        deadline = time.perf_counter() + 120
        while not first:
            try:
                await ask(sandbox, 1, "pesel", "en", within=1.0)
                first = time.perf_counter() - begin
            except TimeoutError:
                if time.perf_counter() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{kind} did not answer") from None
        for n, (lang, text) in enumerate(QUESTIONS):
            await ask(sandbox, 100 + n, text, lang, within=30)
        await asyncio.sleep(SETTLE)
        sampler.cancel()
        helper, together = await sampler
        return {"first": first, "peak": peak_mb(proc.pid), "helper": helper, "together": together}
    finally:
        sampler.cancel()
        proc.terminate()
        await asyncio.to_thread(proc.wait, 10)
        await sandbox.shutdown()
        await runner.cleanup()


def command_seconds(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "witaj"), *args], env=env, check=False,
                   capture_output=True, cwd=ROOT)  # fmt: skip
    return time.perf_counter() - start


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"echo": [], "witaj cold": [], "witaj warm": []}
    for _ in range(args.runs):
        work = Path(tempfile.mkdtemp())
        try:
            database = f"sqlite+aiosqlite:///{work}/bench.sqlite3"
            results["echo"].append(await one_start("echo", database, work / "index"))
            fresh = f"sqlite+aiosqlite:///{work}/witaj.sqlite3"
            results["witaj cold"].append(await one_start("witaj", fresh, work / "index"))
            again = f"sqlite+aiosqlite:///{work}/witaj2.sqlite3"
            results["witaj warm"].append(await one_start("witaj", again, work / "index"))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    table = Table(title=f"process start → first answer, then six languages ({args.runs} runs)")
    for column in ("bot", "first answer s", "peak RSS MB", "helper's peak MB", "together MB"):
        table.add_column(column, justify="right")
    measures = ("first", "peak", "helper", "together")
    med = {k: {m: statistics.median(r[m] for r in v) for m in measures}
           for k, v in results.items()}  # fmt: skip
    for name, m in med.items():
        table.add_row(name, f"{m['first']:.2f}", f"{m['peak']:.0f}", f"{m['helper']:.0f}",
                      f"{m['together']:.0f}")  # fmt: skip
    console.print("medians; together = the bot and its start-up helper at the same moment")
    console.print(table)
    for name in ("witaj cold", "witaj warm"):
        console.print(
            f"ratio {name} / echo: first answer {med[name]['first'] / med['echo']['first']:.2f}, "
            f"peak memory {med[name]['peak'] / med['echo']['peak']:.2f}"
        )

    work = Path(tempfile.mkdtemp())
    try:
        env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{work}/cli.sqlite3",
               "INDEX_CACHE": str(work / "index")}  # fmt: skip
        command_seconds(["db", "upgrade"], env)
        commands = [
            ["--help"],
            ["user", "list"],
            ["school", "list"],
            ["kb", "check"],
            ["ask", "jak zdobyc pesel we wroclawiu"],
        ]
        table = Table(title=f"the command line (median of {args.runs})")
        table.add_column("command")
        table.add_column("seconds", justify="right")
        for command in commands:
            times = [command_seconds(command, env) for _ in range(args.runs)]
            table.add_row("witaj " + " ".join(command), f"{statistics.median(times):.2f}")
        console.print(table)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
