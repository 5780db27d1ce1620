"""A helper process that readies the database and the search index while the bot starts.

Importing aiogram keeps one core busy for about two seconds; migrating and seeding a new
database and building its search index take about as long again. `witaj run` and `witaj
sandbox` therefore start this helper first (`python -m cli.prepare`) and import the Telegram
side while it works on the other core: the bot then opens a ready database and maps the index
the helper left in `INDEX_CACHE`, and its first answer comes sooner.

The helper only does what the bot would otherwise do itself, with the same calls (`open_parts`):
if it fails, is killed or is slow, the bot does all of it on its own and reports any error in
its own words. On a single core there is nothing to overlap, so no helper is started.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.settings import Settings

log = logging.getLogger(__name__)
WAIT = 300.0
"""Seconds to wait for the helper before doing its work here instead."""


def start(settings: Settings, *, demo: bool) -> subprocess.Popen[bytes] | None:
    """Start the helper for these settings, or None where it would not help."""
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    if cores < 2:
        return None
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "CONTENT_DIR": str(settings.content_dir),
        "LOG_LEVEL": settings.log_level,
        "LOG_FORMAT": settings.log_format,
    }
    if settings.index_cache is not None:
        env["INDEX_CACHE"] = str(settings.index_cache)
    command = [sys.executable, "-m", "cli.prepare", "demo" if demo else "real"]
    try:
        return subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)  # noqa: S603
    except OSError as exc:
        log.warning("could not start the start-up helper (%s): preparing here", exc)
        return None


async def finished(helper: subprocess.Popen[bytes] | None, wait: float = WAIT) -> bool:
    """Whether the helper migrated, seeded and built the index (False: the caller must)."""
    if helper is None:
        return False
    try:
        code = await asyncio.wait_for(asyncio.to_thread(helper.wait), wait)
    except TimeoutError:
        log.warning("the start-up helper took over %.0f s: preparing here", wait)
        helper.kill()
        return False
    return code == 0


def main() -> None:
    """Open the store and the library as the bot would, then exit. Only what that needs is
    imported (no command-line toolkit): the helper's memory adds to the bot's while both run."""
    from cli.logs import basic_logging, configure_logging
    from cli.process import fewer_collections
    from knowledge.library import Librarian
    from knowledge.settings import Settings
    from knowledge.store import Store

    fewer_collections()
    demo = sys.argv[1:] == ["demo"]

    async def prepare() -> None:
        settings = Settings()
        basic_logging(settings.log_level)
        configure_logging(settings)
        store = await Store.open(settings.database_url, seed_dir=settings.content_dir, demo=demo)
        try:
            if settings.index_cache is not None:  # else the index could not be handed over
                await Librarian.open(store, demo=demo, cache=settings.index_cache, one_pass=True)
        finally:
            await store.close()

    try:
        asyncio.run(prepare())
    except Exception as exc:  # the bot does the same work next and reports what went wrong
        log.debug("start-up helper failed: %s", exc)
        sys.exit(1)


if __name__ == "__main__":
    main()
