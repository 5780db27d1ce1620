"""Talking to a person through the sandbox: the migrant's chat and the practitioners' group."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from flows.cards import title
from knowledge.languages import NATIVE_NAMES
from knowledge.models import Ticket
from sandbox.client import buttons, find_button
from sandbox.server import PRACTITIONERS_CHAT
from tests.e2e.conftest import Harness, add_user

SENT = (
    "✉️ Sent to a person (ticket #{ticket}). The answer will come here. You can add more messages."
)
MIGRANT = 6100
ANNA, IVAN = 9001, 9002


async def group_post(h: Harness, predicate: Any, within: float = 10) -> dict[str, Any]:
    """The newest post in the practitioners' group that satisfies `predicate`."""
    found: list[dict[str, Any]] = []

    def check(messages: list[dict[str, Any]]) -> bool:
        found[:] = [m for m in messages if "text" in m and predicate(m)]
        return bool(found)

    await h.client.wait_until(PRACTITIONERS_CHAT, check, within=within)
    return found[-1]


async def reply_in_group(h: Harness, user: int, post: dict[str, Any], text: str) -> None:
    await h.client.send(user, text, chat_id=PRACTITIONERS_CHAT, reply_to=post["message_id"],
                        first_name="Anna" if user == ANNA else "Ivan")  # fmt: skip


async def last_bot_message(h: Harness, user: int, predicate: Any) -> dict[str, Any]:
    messages = await h.client.wait_until(
        user, lambda ms: any(m["from"]["is_bot"] and predicate(m) for m in ms)
    )
    return [m for m in messages if m["from"]["is_bot"] and predicate(m)][-1]


async def ticket_row(h: Harness, ticket_id: int, check: Any = None) -> Ticket:
    deadline = time.monotonic() + 5
    while True:
        async with h.store.sessions() as session:
            row = await session.scalar(
                select(Ticket).where(Ticket.id == ticket_id).options(selectinload(Ticket.messages))
            )
        if (row is not None and (check is None or check(row))) or time.monotonic() > deadline:
            assert row is not None
            return row
        await asyncio.sleep(0.05)


async def start_in(h: Harness, user: int, lang: str) -> dict[str, Any]:
    prompt = await h.client.ask(user, "/start", language_code=lang, first_name="Olena")
    menu, _ = await h.client.press(user, prompt, NATIVE_NAMES[lang])
    return menu


async def test_round_trip_with_follow_up_two_answers_close_and_rating(polling: Harness) -> None:
    h, c = polling, polling.client
    t, staff = h.i18n.get("uk"), h.i18n.get("pl")
    await add_user(h, "anna", "editor", languages=["uk", "ru"], telegram_id=ANNA, assistant=True)
    await add_user(h, "ivan", "editor", languages=["uk"], telegram_id=IVAN)
    await add_user(h, "ola", "editor", languages=["ar"], telegram_id=9003)
    await start_in(h, MIGRANT, "uk")
    card = await c.ask(MIGRANT, "як отримати pesel", language_code="uk", first_name="Olena")
    write, _ = await c.press(MIGRANT, card, t.gettext("🙋 Talk to a person"))
    assert t.gettext("They see your message and your language, not your name.") in write["text"]
    sent = await c.ask(MIGRANT, "Допоможіть, будь ласка, з PESEL для доньки", language_code="uk",
                       first_name="Olena")  # fmt: skip
    assert t.gettext(SENT).format(ticket=1) in sent["text"]

    post = await group_post(h, lambda m: "#1" in m["text"] and "PESEL dla" not in m["text"])
    assert staff.language_name("uk") in post["text"]
    assert title(h.library.catalog["pesel"], "pl") in post["text"]
    assert "Допоможіть, будь ласка" in post["text"]
    assert "Olena" not in post["text"] and str(MIGRANT) not in post["text"]
    mentions = [e for e in post["entities"] if e["type"] == "text_mention" or e.get("url")]
    assert mentions, post  # the Ukrainian speakers are named, assistant first
    assert post["text"].index("anna") < post["text"].index("ivan") and "ola" not in post["text"]

    await reply_in_group(h, ANNA, post, "Доброго дня! Приходьте у вівторок, вікно 7.")
    relayed = await last_bot_message(h, MIGRANT, lambda m: "вікно 7" in m["text"])
    assert relayed["text"].startswith("💬 anna")
    await group_post(h, lambda m: staff.gettext("✓ Delivered to #{n}.").format(n=1) in m["text"])

    # The migrant's follow-up threads into the same ticket, under the first post.
    _answer, _ = await c.press(MIGRANT, relayed, t.gettext("↩️ Answer"))
    await c.ask(MIGRANT, "А які документи взяти?", language_code="uk")
    follow = await group_post(h, lambda m: "які документи" in m["text"])
    assert (
        follow["text"].startswith("🎫 #1")
        and follow["reply_to_message"]["message_id"] == post["message_id"]
    )

    # Two practitioners answer at once: both arrive, and the group is told.
    await reply_in_group(h, ANNA, follow, "Паспорт і договір оренди.")
    await reply_in_group(h, IVAN, follow, "Паспорт, договір і фото.")
    await last_bot_message(h, MIGRANT, lambda m: "фото" in m["text"])
    await group_post(
        h,
        lambda m: (
            staff.gettext("{name} answered this ticket a moment ago, too.").format(name="anna")
            in m["text"]
        ),
    )
    row = await ticket_row(h, 1, lambda r: len(r.messages) == 5)
    assert [m.from_migrant for m in row.messages] == [True, False, True, False, False]

    await h.client.send(ANNA, "/close", chat_id=PRACTITIONERS_CHAT, reply_to=follow["message_id"])
    await group_post(h, lambda m: staff.gettext("✅ Ticket #{n} closed by {name}.").format(
        n=1, name="anna") in m["text"])  # fmt: skip
    rate = await last_bot_message(
        h,
        MIGRANT,
        lambda m: (
            t.gettext("✅ The conversation with a person has ended. Did it help?") in m["text"]
        ),
    )
    _, toast = await c.press(MIGRANT, rate, t.gettext("👍 Helpful"))
    assert toast == t.gettext("Thank you for your feedback!")
    row = await ticket_row(h, 1, lambda r: r.rating == 1)
    assert row.status.value == "closed" and row.closed_by == "anna"

    # After closing, a reply in the group is refused, visibly; a second /close too.
    await reply_in_group(h, IVAN, post, "Ще одне")
    await group_post(
        h,
        lambda m: (
            staff.gettext("Ticket #{n} is closed; nothing was sent.").format(n=1) in m["text"]
        ),
    )
    buttons_ = buttons(post)
    await c.click(
        IVAN, post["message_id"], buttons_[0]["callback_data"], chat_id=PRACTITIONERS_CHAT
    )
    await group_post(h, lambda m: staff.gettext("Ticket #{n} was already closed by {name}.").format(
        n=1, name="anna") in m["text"])  # fmt: skip


async def test_blocked_migrant_forged_buttons_and_stray_close(polling: Harness) -> None:
    h, c = polling, polling.client
    staff = h.i18n.get("pl")
    await start_in(h, MIGRANT, "ru")
    menu = await c.ask(MIGRANT, "/menu", language_code="ru")
    _write, _ = await c.press(MIGRANT, menu, h.i18n.get("ru").gettext("🙋 Talk to a person"))
    await c.ask(MIGRANT, "Нужна помощь", language_code="ru")
    post = await group_post(h, lambda m: "Нужна помощь" in m["text"])
    assert "⚠️" in post["text"]  # nobody on the list speaks Russian
    await c.block(MIGRANT)
    await reply_in_group(h, ANNA, post, "Здравствуйте!")
    await group_post(
        h, lambda m: staff.gettext("⚠️ Not delivered: this person has blocked the bot.") in m["text"]
    )
    assert (await ticket_row(h, 1, lambda r: r.undeliverable)).undeliverable
    await c.block(MIGRANT, False)

    # A sticker is not relayed, visibly; a very long message is clipped in the group, kept whole.
    sticker = {"kind": "sticker", "chat_id": PRACTITIONERS_CHAT, "reply_to": post["message_id"]}
    await c.send(ANNA, None, **sticker)  # type: ignore[arg-type]
    only_text = staff.gettext("Only text messages can be relayed to the person.")
    await group_post(h, lambda m: only_text in m["text"])
    await c.ask(MIGRANT, "Я" * 4000, language_code="ru")
    long_post = await group_post(h, lambda m: "ЯЯЯ" in m["text"])
    assert long_post["text"].endswith("…")
    assert len((await ticket_row(h, 1, lambda r: len(r.messages) == 2)).messages[-1].text) == 4000

    # /close that is not a reply to a ticket
    await c.send(ANNA, "/close", chat_id=PRACTITIONERS_CHAT)
    await group_post(
        h,
        lambda m: (
            staff.gettext("Send /close as a reply to one of the ticket's messages.") in m["text"]
        ),
    )

    # A forged rating button from someone else changes nothing.
    other = 6200
    menu = await start_in(h, other, "en")
    clicked = await c.click(other, menu["message_id"], "hf:rate:1:1")
    assert clicked["answer"]["text"] == h.i18n.get("en").gettext("This conversation is over.")
    assert (await ticket_row(h, 1)).rating is None


async def test_workspace_lists_tickets_and_sends_a_ready_message_in_arabic(
    polling: Harness,
) -> None:
    from tests.e2e.conftest import workspace

    h, c = polling, polling.client
    t = h.i18n.get("ar")
    await start_in(h, MIGRANT, "ar")
    menu = await c.ask(MIGRANT, "/menu", language_code="ar")
    await c.press(MIGRANT, menu, t.gettext("🙋 Talk to a person"))
    await c.ask(MIGRANT, "متى اجتماع أولياء الأمور؟", language_code="ar")
    await group_post(h, lambda m: "اجتماع" in m["text"])
    await add_user(h, "anna", "editor")
    async with workspace(h) as ws:
        assert await ws.login("anna") == 200
        status, page = await ws.get("/tickets")
        assert status == 200 and 'id="ticket-1"' in page
        status, page = await ws.get("/tickets/1")
        assert "متى اجتماع أولياء الأمور؟" in page
        meeting = {"date": "2026-12-01", "time": "17:30", "room": "12", "lang": "uk"}
        status, page = await ws.post("/messages/parents-meeting", meeting)
        page = page.replace("\u202f", " ")  # Babel (CLDR) writes "2026\u202fр."
        assert status == 200 and "1 грудня 2026 р. (вівторок) о 17:30" in page
        status, page = await ws.post("/messages/parents-meeting", {**meeting, "date": "soon"})
        assert status == 400 and 'role="alert"' in page
        sent = {**meeting, "lang": "pl", "ticket": "1", "action": "send"}
        status, page = await ws.post("/messages/parents-meeting", sent)
        assert status == 200 and 'id="sent"' in page
    relayed = await last_bot_message(h, MIGRANT, lambda m: "ديسمبر" in m["text"])
    assert "5:30" in relayed["text"] and relayed["text"].startswith("💬 anna")
    row = await ticket_row(h, 1, lambda r: len(r.messages) == 2)
    assert row.messages[-1].author == "anna"


async def test_a_group_that_refuses_the_post_loses_nothing(polling: Harness) -> None:
    """The bot removed from the practitioners' group (or the group over its limits): the
    message is kept in the ticket, which the workspace shows, instead of being dropped."""
    h, c, t = polling, polling.client, polling.i18n.get("uk")
    await start_in(h, 6131, "uk")
    menu = await c.ask(6131, "/menu", language_code="uk")
    await c.press(6131, menu, t.gettext("🙋 Talk to a person"))
    h.server.sandbox.blocked.add(PRACTITIONERS_CHAT)
    try:
        sent = await c.ask(6131, "Потрібна допомога з документами для сина", language_code="uk")
    finally:
        h.server.sandbox.blocked.discard(PRACTITIONERS_CHAT)
    assert t.gettext(SENT).split("{ticket}")[0] in sent["text"]
    async with h.store.sessions() as session:
        ticket = await session.scalar(
            select(Ticket).order_by(Ticket.id.desc()).options(selectinload(Ticket.messages))
        )
    assert ticket is not None
    assert [m.text for m in ticket.messages] == ["Потрібна допомога з документами для сина"]


async def test_a_group_that_became_a_supergroup_is_followed(polling: Harness) -> None:
    """Telegram gives a group that grows a new id and refuses posts to the old one: the posts
    go to the new id, and replies from there reach the person."""
    h, c, t = polling, polling.client, polling.i18n.get("uk")
    upgraded = PRACTITIONERS_CHAT - 1
    h.server.sandbox.upgrade_group(PRACTITIONERS_CHAT, upgraded)
    await start_in(h, 6141, "uk")
    menu = await c.ask(6141, "/menu", language_code="uk")
    await c.press(6141, menu, t.gettext("🙋 Talk to a person"))
    sent = await c.ask(6141, "Де зробити переклад диплома?", language_code="uk")
    assert t.gettext(SENT).split("{ticket}")[0] in sent["text"]
    posts = await c.wait_until(
        upgraded, lambda ms: any("переклад диплома" in m.get("text", "") for m in ms)
    )
    post = next(m for m in posts if "переклад диплома" in m.get("text", ""))
    await c.send(ANNA, "Присяжний перекладач, список на gov.pl", chat_id=upgraded,
                 reply_to=post["message_id"], first_name="Anna")  # fmt: skip
    answer = await last_bot_message(h, 6141, lambda m: "Присяжний" in m.get("text", ""))
    assert answer["text"].startswith("💬 Anna")


async def test_without_a_practitioners_group_the_person_is_told_and_text_is_searched(
    tmp_path: Any,
) -> None:
    from tests.e2e.conftest import running

    async with running(tmp_path, "polling", practitioner_chat_id=None) as h:
        t = h.i18n.get("pl")
        menu = await start_in(h, MIGRANT, "pl")
        write, _ = await h.client.press(MIGRANT, menu, t.gettext("🙋 Talk to a person"))
        assert t.gettext("🙋 Talking to a person is not set up here yet.") in write["text"]
        find_button(write, t.gettext("ℹ️ Migrant info point"))
        card = await h.client.ask(MIGRANT, "jak dostać numer pesel", language_code="pl")
        assert h.library.catalog["pesel"].translations["pl"].title in card["text"]
        assert h.server.sandbox.chats[PRACTITIONERS_CHAT].messages == {}


async def test_ready_messages_in_the_practitioners_group(polling: Harness) -> None:
    h, c = polling, polling.client
    staff = h.i18n.get("pl")
    await c.send(ANNA, "/template", chat_id=PRACTITIONERS_CHAT)
    listing = await group_post(h, lambda m: "parents-meeting" in m["text"])
    assert "Zebranie z rodzicami" in listing["text"]
    command = "/template parents-meeting ar date=2026-12-01 time=17:30 room='12 B'"
    await c.send(ANNA, command, chat_id=PRACTITIONERS_CHAT)
    arabic = await group_post(h, lambda m: "ديسمبر" in m["text"])
    assert "5:30" in arabic["text"] and "12 B" in arabic["text"]
    await c.send(ANNA, "/template school-closed uk date=soon", chat_id=PRACTITIONERS_CHAT)
    wrong = staff.gettext("Please check {field}, for example: {field}={example}").format(
        field="date", example="2026-12-01"
    )
    await group_post(h, lambda m: wrong in m["text"])


async def test_talk_to_a_person_leaves_the_answer_card_in_place(polling: Harness) -> None:
    h, c, t = polling, polling.client, polling.i18n.get("ru")
    await start_in(h, 6120, "ru")
    card = await c.ask(6120, "как получить pesel", language_code="ru")
    prompt, _ = await c.press(6120, card, t.gettext("🙋 Talk to a person"))
    assert prompt["message_id"] > card["message_id"]  # a new message under the card
    kept = next(
        m for m in (await c.chat(6120))["messages"] if m["message_id"] == card["message_id"]
    )
    assert kept["text"] == card["text"] and kept.get("reply_markup") == card.get("reply_markup")


async def test_a_question_without_an_answer_goes_to_a_person_in_one_tap(polling: Harness) -> None:
    h, c, t = polling, polling.client, polling.i18n.get("pl")
    await start_in(h, 6121, "pl")
    unknown = await c.ask(6121, "Kto wygra puchar świata w piłce w tym roku?", language_code="pl")
    assert "🤔" in unknown["text"]
    sent, _ = await c.press(6121, unknown, t.gettext("📨 Send my question to a person"))
    assert sent["message_id"] > unknown["message_id"]
    post = await group_post(h, lambda m: "puchar świata" in m["text"])
    assert "#" in post["text"]
    assert t.gettext(SENT).split("#")[0] in sent["text"]


async def test_a_photo_for_the_person_is_not_passed_on_in_silence(polling: Harness) -> None:
    """Only text reaches the practitioners: a photo (even with words under it) gets the note
    that says so, rather than its caption going on without the picture."""
    h, c, t = polling, polling.client, polling.i18n.get("uk")
    await start_in(h, 9871, "uk")
    card = await c.ask(9871, "як отримати pesel", language_code="uk")
    await c.press(9871, card, t.gettext("🙋 Talk to a person"))
    sent = await c.send(9871, "ось мій документ", kind="photo", language_code="uk")
    messages = await c.wait_until(9871, lambda ms: ms[-1]["message_id"] > sent["message_id"])
    assert messages[-1]["text"] == t.gettext(
        "I can only read text messages. Please type your question, in any language — "
        "or open the /menu."
    )


async def test_a_conversation_goes_on_after_the_dialog_state_is_lost(polling: Harness) -> None:
    """The bot restarts without Redis mid-conversation: the person's next message still goes
    to the practitioners (it went to the search, and nobody was told)."""
    h, c, t = polling, polling.client, polling.i18n.get("uk")
    await start_in(h, 9872, "uk")
    card = await c.ask(9872, "як отримати pesel", language_code="uk")
    await c.press(9872, card, t.gettext("🙋 Talk to a person"))
    sent = await c.ask(9872, "Допоможіть з орендою, будь ласка", language_code="uk")
    assert t.gettext(SENT).format(ticket=1) in sent["text"]
    await h.restart_bot()
    again = await c.ask(9872, "Господар хоче мене виселити завтра", language_code="uk")
    assert t.gettext(SENT).format(ticket=1) in again["text"]
    await group_post(h, lambda m: "виселити завтра" in m["text"])
