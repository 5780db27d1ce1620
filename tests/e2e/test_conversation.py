"""Whole conversations through the sandbox, in each language, polling and webhook."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import func, select

from flows.cards import title
from knowledge.languages import NATIVE_NAMES
from knowledge.models import Feedback, Person
from sandbox.client import buttons, find_button
from tests.e2e.conftest import Harness

QUESTIONS = {
    "en": ("How do I get a PESEL number?", "pesel"),
    "pl": ("Jak zapisać dziecko do szkoły?", "school-enrollment"),
    "uk": ("Де знайти сімейного лікаря?", "find-doctor"),
    "ru": ("Как открыть счёт в банке?", "bank-account"),
    "be": ("Як знайсці кватэру ў арэнду?", "housing"),
    "ar": ("ما هي أرقام الطوارئ في بولندا؟", "emergency-numbers"),
}


async def count(h: Harness, model: type, expected: int) -> int:
    """Rows of `model`, waiting briefly for the bot's transaction (it commits after replying)."""
    deadline = time.monotonic() + 5
    while True:
        async with h.store.sessions() as session:
            n = int(await session.scalar(select(func.count()).select_from(model)) or 0)
        if n == expected or time.monotonic() > deadline:
            return n
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("lang", list(QUESTIONS))
async def test_whole_conversation(harness: Harness, lang: str) -> None:
    await converse(harness, lang, user=4200)


async def test_commands_are_registered_in_every_language(polling: Harness) -> None:
    """Shortly after the start: the bot answers first and registers its menu beside."""
    registered = polling.server.sandbox.commands
    for _ in range(100):
        if len(registered) == 7:
            break
        await asyncio.sleep(0.05)
    assert set(registered) == {"", "en", "pl", "uk", "ru", "be", "ar"}
    for lang in ("pl", "uk", "ar"):
        descriptions = {c["command"]: c["description"] for c in registered[lang]}
        assert descriptions["forget"] == polling.i18n.get(lang).gettext(
            "delete everything about you"
        )


def _plain(text: str) -> str:
    """Text as the reader sees it: no bold marks, no bidi isolates, one space between words."""
    for mark in ("**", "\u2066", "\u2069", "\u200f"):
        text = text.replace(mark, "")
    return " ".join(text.split())


async def converse(harness: Harness, lang: str, user: int) -> None:
    """Choose language, browse, open a card, vote, ask free text, show in Polish, forget."""
    c, t = harness.client, harness.i18n.get(lang)
    catalog = harness.library.catalog

    prompt = await c.ask(user, "/start", language_code=lang)
    assert t.gettext("Choose your language") in prompt["text"]
    first = buttons(prompt)[0]["text"]
    assert first == "✓ " + NATIVE_NAMES[lang]

    menu, _ = await c.press(user, prompt, NATIVE_NAMES[lang])
    assert t.gettext("Pick a topic, or just type your question in any language.") in menu["text"]
    topics, _ = await c.press(user, menu, t.gettext("🏙 Everyday life"))
    everyday = harness.library.in_category("everyday")
    assert buttons(topics)[0]["text"] == title(everyday[0], lang)

    card, _ = await c.press(user, topics, title(everyday[0], lang))
    shown = everyday[0].translations[lang]
    assert card["text"].lstrip("\u200f").startswith(shown.title)
    # The short answer first: the key steps and a few buttons in at most three rows.
    assert shown.summary and _plain(shown.summary)[:40] in _plain(card["text"])
    assert len(card["text"]) < len(shown.title) + 600 + 400
    assert len(card["reply_markup"]["inline_keyboard"]) <= 3
    voted, toast = await c.press(user, card, t.gettext("👍 Helpful"))
    assert toast == t.gettext("Thank you for your feedback!")
    assert await count(harness, Feedback, 1) == 1
    assert voted["message_id"] == card["message_id"]
    assert not any("👍" in b["text"] or "👎" in b["text"] for b in buttons(voted))  # voted
    details, _ = await c.press(user, card, t.gettext("📖 More details"))
    assert details["message_id"] == card["message_id"]  # in the card's place
    assert _plain(shown.answer)[-40:] in _plain(details["text"])  # the whole text
    assert any(b.get("url", "").startswith("http") for b in buttons(details))
    find_button(details, t.gettext("🔔 Tell me when this answer changes"))
    shown_before = len((await c.chat(user))["messages"])
    again, _ = await c.press(user, card, t.gettext("📖 More details"))  # a second tap
    assert again["message_id"] == card["message_id"]
    assert len((await c.chat(user))["messages"]) == shown_before
    back, _ = await c.press(user, again, t.gettext("⬅️ Back"))
    assert back["message_id"] == card["message_id"]
    find_button(back, t.gettext("📖 More details"))

    text, slug = QUESTIONS[lang]
    answer = await c.ask(user, text, language_code=lang)
    assert answer["text"].lstrip("\u200f").startswith(catalog[slug].translations[lang].title)
    if lang != "pl":
        polish, _ = await c.press(user, answer, t.gettext("🇵🇱 Show in Polish"))
        # For the official: Polish first, addressed to them; the reader's language below.
        pl, mine = catalog[slug].translations["pl"], catalog[slug].translations[lang]
        assert polish["text"].startswith("🇵🇱 ")
        assert polish["text"].index(pl.title) < polish["text"].index(mine.title)
        assert "…" not in polish["text"]

    confirm = await c.ask(user, "/forget", language_code=lang)
    assert find_button(confirm, t.gettext("Yes, delete"))
    assert await count(harness, Person, 1) == 1
    _, toast = await c.press(user, confirm, t.gettext("Yes, delete"))
    assert toast == t.gettext("Done: everything about you is deleted.")
    assert await count(harness, Person, 0) == 0
    assert await count(harness, Feedback, 0) == 0


async def test_the_topic_list_says_which_page_of_how_many(polling: Harness) -> None:
    c, t = polling.client, polling.i18n.get("pl")
    menu = await c.ask(4300, "/menu", language_code="pl")
    listing, _ = await c.press(4300, menu, t.gettext("🎒 School"))
    pages = -(-len(polling.library.in_category("school")) // 7)
    assert pages > 1
    where = t.gettext("{current_page1} of {pages}")
    find_button(listing, where.format(current_page1=1, pages=pages))
    second, _ = await c.press(4300, listing, "▶️")
    find_button(second, where.format(current_page1=2, pages=pages))
    first, _ = await c.press(4300, second, "◀️")
    find_button(first, where.format(current_page1=1, pages=pages))


async def test_a_question_in_another_language_finds_its_topic_and_says_what_witaj_speaks(
    polling: Harness,
) -> None:
    c, t = polling.client, polling.i18n.get("en")
    spoken = " · ".join(NATIVE_NAMES[code] for code in ("en", "pl", "uk", "ru", "be", "ar"))
    line = t.gettext(
        "\n🌐 Witaj speaks {spoken}. Write in one of them for the best answers."
    ).format(spoken=spoken)
    for user, text in ((4400, "como consigo el numero PESEL en Wroclaw"),
                       (4401, "Wroclawda PESEL numarası nasıl alınır")):  # fmt: skip
        card = await c.ask(user, text, language_code="es")
        title = polling.library.catalog["pesel"].translations["en"].title
        assert card["text"].startswith(title)  # in English: the user chose no language
        assert line.strip() in card["text"]
