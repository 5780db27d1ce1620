"""Debian's chromium driven by Playwright, beside the real bot in the sandbox."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests.conftest import unavailable
from tests.e2e.conftest import Harness, start_harness, stop_harness

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@contextlib.asynccontextmanager
async def chromium_and_bot(tmp: Path, demo: bool = False) -> AsyncIterator[tuple[Any, Harness]]:
    if not HAVE_CHROMIUM:
        unavailable("chromium is not installed (apt-get install -y chromium)")
    from playwright.async_api import async_playwright

    harness = await start_harness(tmp, "polling", demo=demo)
    try:
        async with async_playwright() as pw:
            chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield chromium, harness
            finally:
                await chromium.close()
    finally:
        await stop_harness(harness)
