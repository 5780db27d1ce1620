"""Two webhook replicas against one: the production topology (tests/topology.py) under load.

    .venv/bin/python bench/replicas.py [--users 500] [--messages 5]

Starts the topology twice — one `witaj run` replica, then two — behind Caddy (or the in-test
round robin), on a PostgreSQL database of its own and a private Redis, and has `--users`
people each ask `--messages` questions one after another, all people at once. Prints
messages per second, latency (send → reply) median and p99, messages not answered exactly
once, and each replica's peak RSS; then the ratio two / one. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import _drop_postgres_database, _postgres_database  # noqa: E402
from tests.topology import Topology, topology  # noqa: E402

console = Console()
QUESTIONS = [
    ("uk", "як отримати pesel"),
    ("pl", "gdzie zapisać dziecko do szkoły"),
    ("ru", "как получить карту побыту"),
    ("en", "how do I open a bank account"),
    ("ar", "كيف أحصل على رقم PESEL"),
    ("be", "дзе знайсці сямейнага лекара"),
]


@dataclass
class Run:
    replicas: int
    rate: float
    median_ms: float
    p99_ms: float
    wrong: int
    rss_mb: list[float]
    proxy: str


async def load(city: Topology, users: int, messages: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []

    async def person(uid: int) -> None:
        for n in range(messages):
            lang, text = QUESTIONS[(uid + n) % len(QUESTIONS)]
            started = time.monotonic()
            await city.client.ask(uid, text, language_code=lang)
            latencies.append(time.monotonic() - started)

    first = 1_000_000
    # Warm-up: one message per replica path, not measured.
    await asyncio.gather(*(person(first - 1 - i) for i in range(4)))
    latencies.clear()
    started = time.monotonic()
    await asyncio.gather(*(person(first + i) for i in range(users)))
    took = time.monotonic() - started
    await asyncio.sleep(1.0)
    wrong = 0
    for uid in range(first, first + users):
        chat = await city.client.chat(uid)
        bots = [m for m in chat["messages"] if m.get("from", {}).get("is_bot")]
        wrong += len(bots) != messages
    return users * messages / took, latencies, wrong


async def one(replicas: int, users: int, messages: int) -> Run:
    admin, url = await _postgres_database()
    try:
        async with topology(url, replicas=replicas) as city:
            rate, latencies, wrong = await load(city, users, messages)
            latencies.sort()
            return Run(
                replicas,
                rate,
                statistics.median(latencies) * 1000,
                latencies[int(len(latencies) * 0.99) - 1] * 1000,
                wrong,
                [r.peak_rss_mb() for r in city.replicas],
                city.proxy_kind,
            )
    finally:
        await _drop_postgres_database(admin, url)


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--messages", type=int, default=5)
    args = parser.parse_args()
    runs = [await one(n, args.users, args.messages) for n in (1, 2)]
    table = Table(title=f"{args.users} people x {args.messages} messages, behind {runs[0].proxy}")
    for column in ("replicas", "msg/s", "median ms", "p99 ms", "not exactly once", "RSS MB each"):
        table.add_column(column, justify="right")
    for run in runs:
        table.add_row(
            str(run.replicas), f"{run.rate:.0f}", f"{run.median_ms:.0f}", f"{run.p99_ms:.0f}",
            str(run.wrong), " / ".join(f"{m:.0f}" for m in run.rss_mb),
        )  # fmt: skip
    console.print(table)
    one_, two = runs
    console.print(
        f"ratio two / one replica: throughput {two.rate / one_.rate:.2f}, "
        f"p99 {two.p99_ms / one_.p99_ms:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
