"""The sandbox chat page in a real browser (Debian's chromium driven by Playwright)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio

from tests.browser.conftest import chromium_and_bot
from tests.e2e.conftest import Harness


@pytest_asyncio.fixture
async def page(tmp_path: Path) -> AsyncIterator[tuple[Any, Harness]]:
    async with chromium_and_bot(tmp_path) as (chromium, harness):
        yield await chromium.new_page(viewport={"width": 420, "height": 860}), harness


async def test_a_person_chats_in_the_browser(page: tuple[Any, Harness], tmp_path: Path) -> None:
    tab, harness = page
    t = harness.i18n.get("uk")
    await tab.goto(f"{harness.server.url}/?user=7001&lang=uk")
    await tab.click("#start")
    await tab.get_by_role("button", name="✓ Українська").click()
    await tab.get_by_text(t.gettext("🏙 Everyday life")).wait_for()
    await tab.fill("#text", "Як отримати PESEL?")
    await tab.press("#text", "Enter")
    title = harness.library.catalog["pesel"].translations["uk"].title
    card = tab.locator(".msg.bot", has_text=title).last
    await card.wait_for()
    assert await card.locator("b").first.inner_text() == title  # entities rendered as markup
    await tab.screenshot(path=str(tmp_path / "short-answer-uk.png"))  # with "More details"
    await card.get_by_role("button", name=t.gettext("📖 More details")).click()
    links = card.locator(".kbd a")
    await links.first.wait_for()
    assert (await links.first.get_attribute("href") or "").startswith("https://")
    await card.get_by_role("button", name=t.gettext("⬅️ Back")).click()
    await card.get_by_role("button", name=t.gettext("🇵🇱 Show in Polish")).click()
    polish_title = harness.library.catalog["pesel"].translations["pl"].title
    clerk = tab.locator(".msg.bot", has_text=polish_title).last  # the card, once edited
    await clerk.wait_for()
    text = await clerk.inner_text()
    assert text.index(polish_title) < text.index(title)  # the official reads Polish first
    await tab.screenshot(path=str(tmp_path / "clerk-card-uk.png"))
    await tab.fill("#text", "<img src=x onerror=alert(1)>")
    await tab.press("#text", "Enter")
    echoed = tab.locator(".msg.user", has_text="<img src=x onerror=alert(1)>")
    await echoed.wait_for()
    assert await tab.locator(".msg img").count() == 0  # user text stays text
    await tab.screenshot(path=str(tmp_path / "chat-uk.png"))


async def test_arabic_renders_right_to_left(page: tuple[Any, Harness], tmp_path: Path) -> None:
    tab, harness = page
    await tab.goto(f"{harness.server.url}/?user=7002&lang=ar")
    await tab.click("#start")
    await tab.get_by_role("button", name="✓ العربية").click()
    t = harness.i18n.get("ar")
    menu = tab.locator(
        ".msg.bot",
        has_text=t.gettext("Pick a topic, or just type your question in any language.")[:10],
    )
    await menu.last.wait_for()
    assert await menu.last.evaluate("el => el.matches(':dir(rtl)')")
    await tab.fill("#text", "ما هي أرقام الطوارئ في بولندا؟")
    await tab.press("#text", "Enter")
    card = tab.locator(".msg.bot", has_text="112").last
    await card.wait_for()
    assert await card.evaluate("el => el.matches(':dir(rtl)')")
    assert "112" in await card.inner_text()
    # A Polish word in an Arabic answer reaches the Bot API as one isolated left-to-right run.
    await tab.fill("#text", "كيف أحصل على رقم PESEL؟")
    await tab.press("#text", "Enter")
    await tab.locator(".msg.bot", has_text="PESEL").last.wait_for()
    sent = (await harness.client.chat(7002))["messages"][-1]["text"]
    assert "\u2066PESEL" in sent
    await tab.screenshot(path=str(tmp_path / "arabic-answer.png"))


async def test_the_menu_button_lists_the_commands_for_the_users_language(
    page: tuple[Any, Harness],
) -> None:
    tab, harness = page
    t = harness.i18n.get("pl")
    await tab.goto(f"{harness.server.url}/?user=7004&lang=pl")
    await tab.click("#start")
    await tab.get_by_role("button", name="✓ Polski").click()
    await tab.click("#menu-button")
    item = tab.get_by_role("menuitem", name="/person")
    await item.wait_for()
    assert t.gettext("talk to a person") in await item.inner_text()
    await item.click()
    await tab.locator(
        ".msg.bot",
        has_text=t.gettext("They see your message and your language, not your name.")[:20],
    ).wait_for()
    await tab.fill("#text", "/")  # typing "/" opens the same list, as in Telegram
    await tab.get_by_role("menuitem", name="/forget").wait_for()


async def test_practitioners_group_page_answers_a_migrant(page: tuple[Any, Harness]) -> None:
    tab, harness = page
    t = harness.i18n.get("uk")
    await tab.goto(f"{harness.server.url}/?user=7003&lang=uk")
    await tab.click("#start")
    await tab.get_by_role("button", name="✓ Українська").click()
    await tab.get_by_role("button", name=t.gettext("🙋 Talk to a person")).click()
    await tab.locator(
        ".msg.bot",
        has_text=t.gettext("They see your message and your language, not your name.")[:20],
    ).wait_for()
    await tab.fill("#text", "Чи можна записати дитину посеред року?")
    await tab.press("#text", "Enter")
    sent = t.gettext(
        "✉️ Sent to a person (ticket #{ticket}). The answer will come here. You can add "
        "more messages."
    ).format(ticket=1)
    await tab.locator(".msg.bot", has_text=sent[:30]).last.wait_for()

    assert tab.context.browser is not None
    group = await tab.context.browser.new_page()
    await group.goto(f"{harness.server.url}/?group=1&user=9001&name=Anna")
    post = group.locator(".msg.bot", has_text="посеред року")
    await post.wait_for()
    await post.click()  # reply to it, as in Telegram
    await group.locator("#replying").wait_for(state="visible")
    await group.fill("#text", "Так, у будь-який час. Приходьте до школи.")
    await group.press("#text", "Enter")
    await group.locator(".msg.bot", has_text="✓").last.wait_for()
    answer = tab.locator(".msg.bot", has_text="у будь-який час")
    await answer.wait_for()
    assert "Anna" in await answer.inner_text()
