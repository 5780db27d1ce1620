"""The practitioners' workspace in a real browser (Debian's chromium driven by Playwright)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio

from knowledge import gaps
from tests.browser.conftest import chromium_and_bot
from tests.e2e.conftest import PASSWORD, Harness, add_user
from tests.e2e.test_workspace import until


@pytest_asyncio.fixture
async def browser(tmp_path: Path) -> AsyncIterator[tuple[Any, Harness]]:
    async with chromium_and_bot(tmp_path) as pair:
        yield pair


async def log_in(chromium: Any, h: Harness, name: str, password: str = PASSWORD) -> Any:
    tab = await (await chromium.new_context(locale="en-GB")).new_page()
    await tab.goto(f"{h.runtime.web_url}/")
    await tab.fill("#name", name)
    await tab.fill("#password", password)
    await tab.click("#login")
    return tab


async def test_edit_a_translation_and_the_bot_uses_it(browser: tuple[Any, Harness]) -> None:
    chromium, h = browser
    await add_user(h, "anna", "editor")
    tab = await log_in(chromium, h, "anna")
    await tab.locator('td[data-slug="pesel"][data-lang="uk"] a').click()
    summary = tab.locator('textarea[name="summary"]')  # the short answer the bot shows first
    await summary.fill(await summary.input_value() + "\nВікно №7 у ратуші, перевірено.")
    await tab.click("#save")
    await tab.locator("#status").wait_for()
    assert "Вікно №7" in await tab.locator("#preview").inner_text()

    async def bot_answers_with_it() -> bool:
        reply = await h.client.ask(8901, "Як отримати номер PESEL?", language_code="uk")
        return "Вікно №7" in reply["text"]

    await until(bot_answers_with_it)


async def test_two_editors_conflict_and_nothing_is_lost(browser: tuple[Any, Harness]) -> None:
    chromium, h = browser
    await add_user(h, "anna", "editor")
    await add_user(h, "bogdan", "editor")
    first = await log_in(chromium, h, "anna")
    second = await log_in(chromium, h, "bogdan")
    for tab in (first, second):
        await tab.goto(f"{h.runtime.web_url}/t/bank-account/en")
    await first.fill('textarea[name="answer"]', "Anna's version of the answer.")
    await first.click("#save")
    await first.locator("#status").wait_for()
    await second.fill('textarea[name="answer"]', "Bogdan's version of the answer.")
    await second.click("#save")
    await second.locator("#conflict").wait_for()
    assert "Anna's version" in await second.locator("#theirs").inner_text()
    assert "Bogdan's version" in await second.locator("#mine").input_value()
    await second.click("#keep-mine")
    await second.locator("#status").wait_for()
    assert "Bogdan's version" in await second.locator("#preview").inner_text()
    history = await second.locator(".revision").first.text_content()  # Anna's text is kept
    assert "Anna's version" in (history or "") and "bogdan" in (history or "")


async def test_translator_cannot_edit_another_language(browser: tuple[Any, Harness]) -> None:
    chromium, h = browser
    await add_user(h, "olena", "translator", ["uk"])
    tab = await log_in(chromium, h, "olena")
    await tab.goto(f"{h.runtime.web_url}/t/pesel/ru")
    await tab.locator("#readonly").wait_for()
    assert await tab.locator("#editor").count() == 0
    await tab.goto(f"{h.runtime.web_url}/t/pesel/uk")
    await tab.locator("#editor").wait_for()


async def test_unanswered_question_linked_in_the_inbox(browser: tuple[Any, Harness]) -> None:
    chromium, h = browser
    await add_user(h, "anna", "editor")
    question = "Gdzie wypożyczyć kajak na Odrze?"
    assert "🤔" in (await h.client.ask(8902, question, language_code="pl"))["text"]
    tab = await log_in(chromium, h, "anna")
    await tab.goto(f"{h.runtime.web_url}/unanswered")
    group = tab.locator("article.group", has_text=question)
    await group.locator('select[name="slug"]').select_option("migrant-info-point")
    await group.locator("button.link").click()
    await tab.locator(".ok").wait_for()
    async with h.store.sessions() as session:
        assert await gaps.unanswered_groups(session) == []
    title = h.library.catalog["migrant-info-point"].translations["pl"].title

    async def answered() -> bool:
        reply = await h.client.ask(8903, question, language_code="pl")
        return bool(reply["text"].startswith(title))

    await until(answered)


async def test_refusals_forged_forms_logged_out_and_throttled(
    browser: tuple[Any, Harness],
) -> None:
    chromium, h = browser
    await add_user(h, "anna", "editor")
    anonymous = await (await chromium.new_context()).new_page()
    response = await anonymous.request.post(
        f"{h.runtime.web_url}/unanswered/dismiss", form={"ids": "1"}
    )
    assert response.status == 403
    tab = await log_in(chromium, h, "anna")
    response = await tab.request.post(  # the session cookie, but no CSRF token
        f"{h.runtime.web_url}/t/pesel/en", form={"title": "x", "answer": "forged"}
    )
    assert response.status == 403
    wrong = await log_in(chromium, h, "anna", "not the password")
    for _ in range(5):
        await wrong.fill("#name", "anna")
        await wrong.fill("#password", "not the password")
        await wrong.click("#login")
    assert "Too many failed attempts" in await wrong.locator(".error").inner_text()
