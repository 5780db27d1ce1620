"""A newcomer's path in a real browser: add a school, print its poster, scan it, open the card
in the sandbox chat; and the public page on a phone, right-to-left in Arabic."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest_asyncio

from knowledge.languages import LANGUAGES, NATIVE_NAMES
from knowledge.links import school_link
from sandbox.server import BOT_USERNAME
from tests.browser.conftest import chromium_and_bot
from tests.browser.test_workspace_page import log_in
from tests.e2e.conftest import Harness, add_user

PHONE = {"width": 390, "height": 844}


@pytest_asyncio.fixture
async def browser(tmp_path: Path) -> AsyncIterator[tuple[Any, Harness]]:
    async with chromium_and_bot(tmp_path, demo=True) as pair:
        yield pair


def decode(png: bytes) -> list[str]:
    import io

    import zxingcpp  # type: ignore[import-not-found]
    from PIL import Image

    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


async def test_add_a_school_print_its_poster_scan_it_and_land_on_its_card(
    browser: tuple[Any, Harness], tmp_path: Path
) -> None:
    chromium, h = browser
    await add_user(h, "admin", "admin")
    tab = await log_in(chromium, h, "admin")
    await tab.goto(f"{h.runtime.web_url}/schools")
    form = tab.locator("#add-school")
    await form.locator('input[name="code"]').fill("sp-118")
    await form.locator('input[name="name"]').fill("Szkoła Podstawowa nr 118")
    await form.locator('input[name="district"]').fill("Fabryczna")
    await form.locator('button[type="submit"]').click()
    await tab.locator("#poster-link").wait_for()
    link = school_link(BOT_USERNAME, "sp-118")
    assert await tab.locator("#telegram-link").inner_text() == link

    await tab.locator("#poster-link").click()
    poster = tab.locator("#poster")
    await poster.wait_for()
    box = await poster.bounding_box()
    assert box is not None and abs(box["width"] - 210 * 96 / 25.4) < 2  # A4 wide
    scan = tab.locator(".scan li")
    assert await scan.count() == len(LANGUAGES)
    arabic = tab.locator('.scan li[lang="ar"]')
    assert await arabic.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert await tab.locator("#short").inner_text() == link.removeprefix("https://")
    await tab.pdf(path=str(tmp_path / "poster.pdf"), format="A4")  # it prints
    assert (tmp_path / "poster.pdf").stat().st_size > 1000
    scanned = decode(await tab.locator("#qr").screenshot())
    assert scanned == [link]

    # "Scanning" opens Telegram with the payload: the sandbox chat takes it the same way.
    payload = parse_qs(urlparse(scanned[0]).query)["start"][0]
    chat = await chromium.new_page(viewport=PHONE)
    await chat.goto(f"{h.server.url}/?user=7501&lang=uk&start={payload}")
    await chat.click("#start")
    await chat.get_by_role("button", name="✓ " + NATIVE_NAMES["uk"]).click()
    await chat.locator(".msg.bot", has_text="Szkoła Podstawowa nr 118").wait_for()


async def test_public_page_on_a_phone_in_arabic_and_ukrainian(
    browser: tuple[Any, Harness], tmp_path: Path
) -> None:
    chromium, h = browser
    phone = await chromium.new_context(viewport=PHONE, locale="ar")
    tab = await phone.new_page()
    await tab.goto(f"{h.runtime.web_url}/s/demo-krzyki")
    assert await tab.evaluate("document.documentElement.dir") == "rtl"
    school = tab.locator("#school")
    assert await school.evaluate("e => getComputedStyle(e).direction") == "rtl"
    t = h.i18n.get("ar")
    assert t.gettext("How to apply").lstrip("\u200f") in await school.inner_text()
    width = await tab.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]  # nothing wider than the phone
    await tab.screenshot(path=str(tmp_path / "school-ar.png"), full_page=True)

    await tab.get_by_role("link", name=NATIVE_NAMES["uk"]).click()
    await tab.wait_for_url("**lang=uk**")
    assert await tab.evaluate("document.documentElement.dir") == "ltr"
    assert h.i18n.get("uk").gettext("What to bring") in await school.inner_text()
    telegram = await tab.locator("#telegram").get_attribute("href")
    assert telegram == school_link(BOT_USERNAME, "demo-krzyki")
    assert await phone.cookies() == []
