"""End-to-end bot benchmark through the sandbox: Witaj against a bare aiogram echo bot.

    .venv/bin/python bench/bot.py [--users 200] [--messages 20] [--unique] [--floor] [--rate R]
                                  [--rounds 3]

Each simulated user sends its next message when the reply to the last one has come, as a person
does: the bot is kept saturated, and the rate is its capacity. With `--rate R` the messages are
offered at R a second instead, spread evenly (a person still waits for the last reply): the
latency a person sees at that load. The bot runs in its own process pinned to one core; the
sandbox and the users share the other, and the sandbox skips its python-telegram-bot checks of
the wire format, so that the load generator is never the bottleneck (the table shows how busy
both were). Prints messages per second, reply latency (median, p99), the bot's CPU time per
message, the ratios Witaj / echo, the count of messages without exactly one reply (must be 0)
and the bot process's RSS. The bots run in turn, `--rounds` times each (the machine's speed
drifts with other tenants: one run of each gave ratios from 0.74 to 1.04 within an hour); the
table shows medians, and each ratio is a round's figure against the echo run beside it.

The texts are drawn from a pool of about a thousand, so most repeat, as popular questions do,
and Witaj answers a repeated text from its memory of recent results (knowledge/recent.py).
`--unique` ends every message with its own run of punctuation, which the search ignores: each
text is then new, and searched and checked in full. `--floor` adds Witaj with its question
handler reduced to a one-line reply (bench/botproc.py): what the stack around a question costs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
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

from knowledge.content import load_dir  # noqa: E402
from knowledge.safety import default_check  # noqa: E402
from knowledge.settings import CONTENT_DIR  # noqa: E402
from sandbox.server import Sandbox, build_app  # noqa: E402

console = Console()
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "900"))


def questions() -> list[str]:
    """Realistic traffic: topic titles and phrasings in all languages, plus off-topic chat.

    Left out: the few that only the safety model flags. They get the safety reply and then
    the answer, two messages, and a simulated person who goes on after the first would count
    the second against their next question.
    """
    check = default_check()
    pool = []
    for topic in load_dir(CONTENT_DIR):
        for tr in topic.translations.values():
            pool += [tr.title, *tr.phrasings[:3]]
    pool += ["what's the weather tomorrow", "tell me a joke", "курс доллара", "hello"]
    return [text for text in pool if (alarm := check.check(text)) is None or alarm.strong]


async def run_load(
    kind: str, users: int, messages: int, unique: bool, rate: float | None = None
) -> dict[str, float]:
    sandbox = Sandbox(oracle=False)  # the tests check the wire format; here it is the bot's time
    runner = web.AppRunner(build_app(sandbox), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    tmp = tempfile.mkdtemp()
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, before the measured part
        [
            sys.executable,
            str(ROOT / "bench" / "botproc.py"),
            kind,
            url,
            f"sqlite+aiosqlite:///{tmp}/bench.sqlite3",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.to_thread(proc.stdout.readline)
        assert line.strip() == "ready", line
        pool = questions()
        rng = random.Random(11)
        latencies: list[float] = []
        first: list[float] = []

        async def person(number: int) -> None:
            user_id = 10_000 + number
            for n in range(messages):
                if rate:  # the offered load: message n of everyone spread evenly over time
                    await asyncio.sleep(begin + (n * users + number) / rate - time.perf_counter())
                chat = sandbox.chats[user_id]
                start = time.perf_counter()
                text = rng.choice(pool)
                if unique:
                    text += " " + "".join(rng.choices(".,!?;:", k=8))
                sent = await sandbox.user_message(user_id, text, language_code="uk")
                version = chat.version
                while chat.order[-1] <= sent["message_id"]:  # woken by this chat only
                    version = await sandbox.chat_version(user_id, version, TIMEOUT)
                latencies.append((time.perf_counter() - start) * 1000)
                if n == 0:
                    first.append(latencies[-1])
                await asyncio.sleep(0)

        gc.collect()  # the load generator's own collector must not pause the measured part
        gc.freeze()
        bot, generator = psutil.Process(proc.pid), psutil.Process()
        bot_cpu, generator_cpu = _cpu(bot), _cpu(generator)
        begin = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(person(u) for u in range(users))), TIMEOUT)
        elapsed = time.perf_counter() - begin
        bot_cpu, generator_cpu = _cpu(bot) - bot_cpu, _cpu(generator) - generator_cpu
        gc.unfreeze()  # this run's chats may go before the next kind's run
        await asyncio.sleep(1.0)  # late duplicates would show up here
        rss = psutil.Process(proc.pid).memory_info().rss / 2**20
        wrong = 0
        for user in range(users):
            log = sandbox.chats[10_000 + user]
            asked: str | None = None
            replies: list[str] = []
            for mid in [*log.order, None]:
                message = log.messages[mid] if mid is not None else None
                if message is not None and message["from"]["is_bot"]:
                    replies.append(message.get("text", "")[:60])
                    continue
                if asked is not None and len(replies) != 1:
                    wrong += 1
                    if wrong <= 5:  # say which, so that a failure can be looked into
                        console.print(f"{kind}: {asked!r} got {len(replies)} replies: {replies}")
                asked = message.get("text", "") if message is not None else None
                replies = []
        sent = sum(
            1
            for u in range(users)
            for m in sandbox.chats[10_000 + u].messages.values()
            if not m["from"]["is_bot"]
        )
        wrong += abs(sent - users * messages)
        return {
            "rate": users * messages / elapsed,
            "median": statistics.median(latencies),
            "p99": sorted(latencies)[int(0.99 * (len(latencies) - 1))],
            "first_p99": sorted(first)[int(0.99 * (len(first) - 1))],
            "wrong": wrong,
            "rss": rss,
            "cpu_ms": 1000 * bot_cpu / (users * messages),
            "bot_busy": 100 * bot_cpu / elapsed,
            "generator_busy": 100 * generator_cpu / elapsed,
        }
    finally:
        proc.terminate()
        await asyncio.to_thread(proc.wait, 10)
        await runner.cleanup()


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--unique", action="store_true", help="no text is sent twice")
    parser.add_argument("--floor", action="store_true", help="also Witaj minus its questions")
    parser.add_argument(
        "--rate", type=float, help="offer this many messages a second, as people come (open loop)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="echo and Witaj in turn, this many times each"
    )
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
    if len(cores) > 1:
        os.environ["BENCH_BOT_CORE"] = str(cores[0])
        os.sched_setaffinity(0, set(cores[1:]))
    kinds = {"bare aiogram echo": "echo", "witaj": "witaj"}
    if args.floor:
        kinds["witaj floor"] = "floor"
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in kinds}
    for _ in range(max(1, args.rounds)):
        for name, kind in kinds.items():
            runs[name].append(
                await run_load(kind, args.users, args.messages, args.unique, args.rate)
            )
    offered = f", {args.rate:g} offered a second" if args.rate else ", each after the last reply"
    title = f"{args.users} users x {args.messages} messages through the sandbox{offered}"
    if args.rounds > 1:
        title += f"; medians of {args.rounds} rounds, the bots in turn"
    table = Table(title=title)
    for column in (
        "bot", "msg/s", "median ms", "p99 ms", "first message p99 ms",
        "without exactly one reply", "RSS MB", "bot CPU ms / msg", "bot / load busy %",
    ):  # fmt: skip
        table.add_column(column, justify="right")
    for name, done in runs.items():
        r = {key: statistics.median(run[key] for run in done) for key in done[0]}
        table.add_row(
            name,
            f"{r['rate']:.0f}",
            f"{r['median']:.1f}",
            f"{r['p99']:.1f}",
            f"{r['first_p99']:.1f}",
            str(int(max(run["wrong"] for run in done))),  # any lost reply shows
            f"{r['rss']:.0f}",
            f"{r['cpu_ms']:.2f}",
            f"{r['bot_busy']:.0f} / {r['generator_busy']:.0f}",
        )
    console.print(table)
    echo = runs["bare aiogram echo"]
    for name, done in list(runs.items())[1:]:
        # Each round's ratio is taken against the echo run beside it: the machine's speed
        # drifts (other tenants), and a ratio across rounds would measure the drift.
        rate = [run["rate"] / e["rate"] for run, e in zip(done, echo, strict=True)]
        cpu = [e["cpu_ms"] / run["cpu_ms"] for run, e in zip(done, echo, strict=True)]
        p99 = [run["p99"] / e["p99"] for run, e in zip(done, echo, strict=True)]
        console.print(
            f"ratio {name} / echo: {statistics.median(rate):.2f} in msg/s "
            f"({_spread(rate)}), {statistics.median(cpu):.2f} in bot CPU per message, "
            f"p99 {statistics.median(p99):.2f}x echo's ({_spread(p99)})"
        )


def _spread(values: list[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    asyncio.run(main())
