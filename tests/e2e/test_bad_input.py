"""Bad input through the sandbox: each gets a sensible answer or is ignored, nothing crashes."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import select

from knowledge.models import Feedback, Person, UnansweredQuestion
from sandbox.client import buttons
from tests.e2e.conftest import Harness


async def _alive(h: Harness, user: int) -> None:
    """The bot still answers a normal question."""
    reply = await h.client.ask(user, "numer alarmowy policja")
    assert "112" in reply["text"]


async def test_media_gets_a_localized_note(polling: Harness) -> None:
    t = polling.i18n.get("uk")
    for kind in ("sticker", "voice", "photo", "location", "document"):
        sent = await polling.client.send(9001, kind=kind, language_code="uk")
        messages = await polling.client.wait_until(
            9001, lambda ms, sent=sent: ms[-1]["message_id"] > sent["message_id"]
        )
        assert messages[-1]["text"] == t.gettext(
            "I can only read text messages. Please type your question, in any language — "
            "or open the /menu."
        )
    menu, _ = await polling.client.press(9001, messages[-1], t.gettext("🏠 Menu"))
    assert t.gettext("Pick a topic, or just type your question in any language.") in menu["text"]


async def test_half_an_emoji_neither_stops_polling_nor_goes_unanswered(polling: Harness) -> None:
    """A lone surrogate ("\\ud83d", an emoji cut in two) is valid JSON that orjson refuses: the
    whole getUpdates batch was unreadable, and polling stopped for everyone."""
    c = polling.client
    broken = await c.ask(9010, "Jak wyrobić numer PESEL? \ud83d")
    assert "PESEL" in broken["text"]
    await _alive(polling, 9011)


async def test_an_album_gets_one_note_or_one_answer(polling: Harness) -> None:
    """Telegram sends each photo of an album as a message: five photos got five notes."""
    sandbox, c = polling.server.sandbox, polling.client

    async def bot_texts(user: int) -> list[str]:
        """The bot's messages once it answered a last question (a person's updates are
        handled in order: everything sent before it was handled by then)."""
        await c.send(user, "numer alarmowy policja")
        done = await c.wait_until(
            user, lambda ms: any(m["from"]["is_bot"] and "112" in m.get("text", "") for m in ms)
        )
        return [m.get("text", "") for m in done if m["from"]["is_bot"]][:-1]

    for _ in range(5):
        await sandbox.user_message(9012, kind="photo", album="a1", language_code="uk")
    notes = await bot_texts(9012)
    assert len(notes) == 1 and "/menu" in notes[0], notes
    await sandbox.user_message(9013, "Jak wyrobić numer PESEL?", kind="photo", album="a2")
    for _ in range(3):
        await sandbox.user_message(9013, kind="photo", album="a2")
    replies = await bot_texts(9013)
    assert len(replies) == 1 and "PESEL" in replies[0], replies


async def test_a_question_typed_under_a_photo_is_answered(polling: Harness) -> None:
    sent = await polling.client.send(9007, "Jak wyrobić numer PESEL?", kind="photo")
    messages = await polling.client.wait_until(
        9007, lambda ms: ms[-1]["message_id"] > sent["message_id"]
    )
    assert "PESEL" in messages[-1]["text"]


async def test_user_html_is_escaped_and_long_text_answered(polling: Harness) -> None:
    c = polling.client
    reply = await c.ask(9002, "<b>bold</b> <script>alert(1)</script> **x** &amp; pesel")
    assert reply["text"]  # the sandbox parsed the bot's HTML: nothing the user typed broke it
    long = await c.ask(9002, "pesel " + "ą" * 4090)
    assert long["text"]
    async with polling.store.sessions() as session:
        stored = list(await session.scalars(select(UnansweredQuestion.text)))
    assert all("<" not in text or "script" in text for text in stored)


async def test_a_reply_to_an_older_card_is_read_as_a_question(polling: Harness) -> None:
    """Telegram's "Reply" on an earlier answer, even after a restart: the text is what counts,
    and a message about danger gets its safety reply, not the menu."""
    c = polling.client
    first = await c.ask(9004, "Jak wyrobić numer PESEL?", language_code="pl")
    await c.ask(9004, "numer alarmowy policja", language_code="pl")
    reply = await c.ask(9004, "karta pobytu", language_code="pl", reply_to=first["message_id"])
    assert "pobyt" in reply["text"].lower()
    alarm = await c.ask(9004, "chcę się zabić", language_code="pl", reply_to=first["message_id"])
    assert "112" in alarm["text"]
    await polling.restart_bot()
    again = await c.ask(9004, "numer PESEL", language_code="pl", reply_to=reply["message_id"])
    assert "PESEL" in again["text"]


async def test_a_greeting_gets_the_menu_in_its_language_and_is_not_logged(
    polling: Harness,
) -> None:
    """A first "hello" (Telegram naming no language) got "I don't know this yet" in Polish,
    and the inbox of unanswered questions filled with greetings."""
    c = polling.client
    hello = await c.ask(9009, "hello")
    assert (
        polling.i18n.get("en").gettext("Pick a topic, or just type your question in any language.")
        in hello["text"]
    )
    hi = await c.ask(9010, "Привіт!")
    assert (
        polling.i18n.get("uk").gettext("Pick a topic, or just type your question in any language.")
        in hi["text"]
    )
    async with polling.store.sessions() as session:
        assert list(await session.scalars(select(UnansweredQuestion))) == []


async def test_unanswerable_question_is_logged_pseudonymously(polling: Harness) -> None:
    reply = await polling.client.ask(9003, "Who will win the football cup this year?")
    assert reply["text"].startswith(
        "🤔 I don't know this yet. I have passed your question on to the people who keep "
        "these answers up to date."
    )  # said only once it is in their inbox
    async with polling.store.sessions() as session:
        rows = list(await session.scalars(select(UnansweredQuestion)))
        people = list(await session.scalars(select(Person)))
    assert [r.text for r in rows] == ["Who will win the football cup this year?"]
    assert len(rows[0].user_key) == 64 and "9003" not in rows[0].user_key
    assert people == []  # asking does not create a profile; choosing a language does


async def test_forged_truncated_and_stale_buttons_restart_politely(polling: Harness) -> None:
    c = polling.client
    menu = await c.ask(9004, "/menu")
    real = buttons(menu)[0]["callback_data"]
    for forged in ("x", real[:5], "zzzzzz\x1dlang:uk", real + "junk"[:2], "\x1d", "9" * 64):
        await c.click(
            9004,
            menu["message_id"],
            forged,
        )
    await _alive(polling, 9004)
    t = polling.i18n.get("en")
    await c.press(9004, menu, t.gettext("🏙 Everyday life"))

    def paged(ms: list[dict[str, Any]]) -> bool:
        return any(b.get("callback_data", "").endswith(":1") for b in buttons(ms[-1]))

    topics = (await c.wait_until(9004, paged))[-1]
    await polling.restart_bot()  # memory storage lost: every old button is now stale
    # A page button needs the lost dialog: the menu comes back, with a word on why.
    before = (await c.chat(9004))["version"]
    page = next(b for b in buttons(topics) if b.get("callback_data", "").endswith(":1"))
    clicked = await c.click(9004, topics["message_id"], page["callback_data"])
    assert clicked["answer"]["text"] == t.gettext(
        "This button is from an older message. Here is the menu."
    )
    pick = t.gettext("Pick a topic, or just type your question in any language.")
    messages = await c.wait_until(9004, lambda ms: pick in ms[-1].get("text", ""), since=before)
    assert pick in messages[-1]["text"]
    # A button that names its place still goes there.
    school = t.gettext("🎒 <b>School</b>: pick a topic.").replace("<b>", "").replace("</b>", "")
    before = (await c.chat(9004))["version"]
    button = next(b for b in buttons(menu) if t.gettext("🎒 School") in b["text"])
    await c.click(9004, menu["message_id"], button["callback_data"])
    messages = await c.wait_until(9004, lambda ms: school in ms[-1].get("text", ""), since=before)
    assert school in messages[-1]["text"]


async def test_a_forged_conversation_button_is_over_not_an_error(polling: Harness) -> None:
    c, t = polling.client, polling.i18n.get("en")
    menu = await c.ask(9005, "/menu")
    for forged in ("hf:rate:²:1", "hf:rate:" + "9" * 30 + ":1", "hf:close:٣"):
        clicked = await c.click(9005, menu["message_id"], forged)
        assert clicked["answer"]["text"] == t.gettext("This conversation is over.")
    sorry = t.gettext("Sorry, something went wrong on my side. Please try again in a minute.")
    assert all(m.get("text") != sorry for m in (await c.chat(9005))["messages"])


async def test_a_press_with_nothing_to_act_on_is_answered_and_dropped(polling: Harness) -> None:
    """A game's button (no data) and a button on an inline message (no chat message): the
    spinner stops, no apology, nothing in the chat."""
    c, sandbox = polling.client, polling.server.sandbox
    menu = await c.ask(9006, "/menu")
    queries = [
        await sandbox.user_click(9006, menu["message_id"], None),
        await sandbox.user_click(9006, menu["message_id"], "x", inline=True),
    ]
    async with sandbox.changed:
        await asyncio.wait_for(
            sandbox.changed.wait_for(lambda: all(q in sandbox.callback_answers for q in queries)),
            5,
        )
    after = [m for m in (await c.chat(9006))["messages"] if m["message_id"] > menu["message_id"]]
    assert after == []
    await _alive(polling, 9006)


async def test_old_cards_keep_their_sources_and_working_buttons(polling: Harness) -> None:
    """A migrant scrolls back to an earlier answer, even after a restart, and uses it."""
    c, t = polling.client, polling.i18n.get("uk")
    catalog = polling.library.catalog
    first = await c.ask(9008, "Як отримати номер PESEL?", language_code="uk")
    assert first["text"].startswith(catalog["pesel"].translations["uk"].title)
    second = await c.ask(9008, "numer alarmowy policja", language_code="uk")
    assert second["message_id"] > first["message_id"]
    old = next(
        m for m in (await c.chat(9008))["messages"] if m["message_id"] == first["message_id"]
    )
    assert old.get("reply_markup") == first.get("reply_markup")  # its buttons kept
    await polling.restart_bot()

    def shown(messages: list[dict[str, Any]]) -> dict[str, Any]:
        return next(m for m in messages if m["message_id"] == first["message_id"])

    # The longer versions take the card's place, up where the migrant scrolled to.
    await c.press(9008, old, t.gettext("📖 More details"))
    await c.wait_until(9008, lambda ms: any(b.get("url") for b in buttons(shown(ms))))
    await c.press(9008, old, t.gettext("🇵🇱 Show in Polish"))
    pl_title = catalog["pesel"].translations["pl"].title
    await c.wait_until(
        9008, lambda ms: shown(ms)["text"].startswith("🇵🇱 ") and pl_title in shown(ms)["text"]
    )
    await polling.restart_bot()  # and Back, from the Polish version, after another restart
    bilingual = shown((await c.chat(9008))["messages"])
    await c.press(9008, bilingual, t.gettext("⬅️ Back"))
    more = t.gettext("📖 More details")
    await c.wait_until(9008, lambda ms: any(more in b["text"] for b in buttons(shown(ms))))
    _, toast = await c.press(9008, old, t.gettext("👍 Helpful"))
    assert toast == t.gettext("Thank you for your feedback!")
    async with polling.store.sessions() as session:
        votes = list(await session.scalars(select(Feedback)))
    assert [(v.lang, v.helpful) for v in votes] == [("uk", True)]


async def test_edited_messages_and_unknown_commands(polling: Harness) -> None:
    c = polling.client
    first = await c.ask(9005, "/nosuchcommand")
    assert "/help" in first["text"]
    question = await c.send(9005, "pesel")
    await c.wait_until(9005, lambda ms: ms[-1]["message_id"] > question["message_id"])
    count = len((await c.chat(9005))["messages"])
    await c.edit(9005, question["message_id"], "karta pobytu")
    await asyncio.sleep(0.5)
    assert len((await c.chat(9005))["messages"]) == count  # ignored quietly
    await _alive(polling, 9005)


async def test_blocked_user_and_flood_do_not_hurt_others(polling: Harness) -> None:
    c = polling.client
    await c.send(9006, "/start")
    await c.block(9006)
    await c.send(9006, "pesel")  # the reply fails with 403: logged, not fatal
    flood = [c.send(9007, f"spam {i}") for i in range(500)]
    started = time.monotonic()
    others = [c.ask(9100 + i, "Jak wyrobić numer PESEL?", language_code="pl") for i in range(5)]
    results = await asyncio.gather(*others, *flood)
    elapsed = time.monotonic() - started
    for reply in results[:5]:
        assert "PESEL" in reply["text"]
    assert elapsed < 30
    # The flood's first messages are answered (maybe after the others: users run in parallel).
    await c.wait_until(9007, lambda ms: any(m["from"]["is_bot"] for m in ms), within=20)
    await asyncio.sleep(1)
    replies = [m for m in (await c.chat(9007))["messages"] if m["from"]["is_bot"]]
    assert 0 < len(replies) < 100  # throttled: most of the flood was dropped, cheaply
    await _alive(polling, 9008)


async def test_group_chats_stay_silent(polling: Harness) -> None:
    sandbox = polling.server.sandbox
    sandbox.user(9009, "Group member", "en")
    message = {
        "message_id": 1,
        "from": dict(sandbox.users[9009]),
        "chat": {"id": -100500, "type": "group", "title": "Parents"},
        "date": int(time.time()),
        "text": "pesel?",
    }
    await sandbox._emit("message", message)
    await asyncio.sleep(0.5)
    assert sandbox.chats[-100500].messages == {}


async def test_sandbox_api_answers_bad_requests_with_json_errors(polling: Harness) -> None:
    http, base = polling.client.http, polling.server.url
    for body in ({}, {"user_id": "x"}, {"user_id": 1, "kind": "hologram"}):
        async with http.post(f"{base}/sandbox/api/message", json=body) as resp:
            assert resp.status == 400
            assert "error" in await resp.json()
    async with http.post(f"{base}/sandbox/api/click", data="not json") as resp:
        assert resp.status == 415  # text/plain is not taken for JSON
    headers = {"Content-Type": "application/json"}
    async with http.post(f"{base}/sandbox/api/click", data="not json", headers=headers) as resp:
        assert resp.status == 400
    api = f"{base}/bot{polling.server.sandbox.token}/sendMessage"
    plain = {"Content-Type": "text/plain"}
    async with http.post(api, data='{"chat_id": 1, "text": "x"}', headers=plain) as resp:
        assert resp.status == 400 and "Content-Type" in (await resp.json())["description"]
