"""A person in danger, through the sandbox: 112 and the right helpline at once, as one message,
in six languages; everyday look-alikes get their ordinary answers; the handoff is urgent."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from knowledge import usage
from knowledge.hours import Hours
from knowledge.models import Ticket
from knowledge.render import visible_text
from knowledge.safety import load
from sandbox.client import buttons
from tests.e2e.conftest import Harness, add_user, workspace
from tests.e2e.test_handoff import group_post, start_in, ticket_row

CRISIS = load()
SUICIDE = ["116 123", "800 70 2222"]
VIOLENCE = ["800 120 002"]

DANGER = [
    ("pl", "chce sie zabic, juz nie moge", SUICIDE),  # no diacritics
    ("en", "i want to end my life", SUICIDE),
    ("uk", "ne khochu bilshe zhyty", SUICIDE),  # Latin transliteration
    ("ru", "мой муж меня бьет что делать", VIOLENCE),
    ("be", "муж мяне б'е кожны вечар", VIOLENCE),
    ("ar", "زوجي يضربني كل يوم", VIOLENCE),
    ("pl", "mój partner grozi że mnie zabije", VIOLENCE),
    ("uk", "мій чоловік б'є дітей, у сина синці", ["116 111"]),
    ("en", "someone is following me with a knife right now", []),
    ("ru", "khochu umeret, bolshe ne mogu", SUICIDE),
]
LOOK_ALIKES = [
    ("pl", "gdzie zrobić tłumaczenie przysięgłe aktu zgonu dziadka", "sworn-translation"),
    ("en", "my phone battery died and I can't log in to mObywatel", "e-government"),
    ("ru", "как убить время, пока жду в ужонде карту побыту", "residence-permit"),
    ("uk", "коли робити щеплення немовляті", "vaccinations"),
]


def opening(lang: str) -> str:
    """The safety reply's first sentence as the reader sees it."""
    return visible_text(CRISIS.translations[lang].opening).split(".")[0]


@pytest.mark.slow
async def test_danger_gets_112_and_the_helpline_and_look_alikes_their_answer(
    polling: Harness,
) -> None:
    c = polling.client
    for number, (lang, text, helplines) in enumerate(DANGER):
        user = 7100 + number
        reply = await c.ask(user, text, language_code=lang)
        assert opening(lang) in reply["text"], (text, reply["text"][:200])
        body = reply["text"]
        assert "112" in body and body.index("112") < min(
            [body.index(n) for n in helplines] or [len(body)]
        ), body
        for helpline in helplines:
            assert helpline in body, (text, helpline)
        labels = [b["text"] for b in buttons(reply)]
        assert any("🙋" in label for label in labels), labels
    for number, (lang, text, slug) in enumerate(LOOK_ALIKES):
        reply = await c.ask(7300 + number, text, language_code=lang)
        assert opening(lang) not in reply["text"], text
        title = polling.library.catalog[slug].translations[lang].title
        assert title in reply["text"], (text, reply["text"][:120])
    await polling.runtime.services.flush_usage()  # counted in memory, written every few seconds
    async with polling.store.sessions() as session:
        counted = await usage.weekly(session, usage.SAFETY)
    assert sum(counted.values()) == len(DANGER)


async def test_a_search_that_fails_still_lets_the_safety_reply_through(
    polling: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The safety check comes first; the search after it must not be able to take 112 away."""

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the index is broken")

    monkeypatch.setattr(polling.librarian.current.index, "search", broken)
    reply = await polling.client.ask(7450, "хочу вмерти, більше не можу", language_code="uk")
    assert "112" in reply["text"]


async def test_a_message_in_another_language_gets_the_reply_in_that_language(
    polling: Harness,
) -> None:
    await start_in(polling, 7400, "uk")
    reply = await polling.client.ask(7400, "хочу умереть, больше не могу", language_code="uk")
    assert opening("ru") in reply["text"]


async def test_the_handoff_from_a_safety_reply_is_urgent_and_first(polling: Harness) -> None:
    h, c = polling, polling.client
    t = h.i18n.get("pl")
    await add_user(h, "anna", "editor", languages=["pl"], telegram_id=9001)
    # An ordinary ticket first, then the urgent one: the urgent one is listed first.
    menu = await start_in(h, 7500, "pl")
    _write, _ = await c.press(7500, menu, t.gettext("🙋 Talk to a person"))
    await c.ask(7500, "Pytanie o meldunek", language_code="pl")
    alert = await c.ask(7501, "mąż mnie bije, boję się wrócić do domu", language_code="pl")
    _write, _ = await c.press(7501, alert, t.gettext("🙋 Talk to a person now"))
    await c.ask(7501, "Proszę o pomoc, jestem z dzieckiem", language_code="pl")
    staff = h.i18n.get("pl")
    urgent = staff.gettext(
        "URGENT: this person may be in danger. The bot gave them 112 and a helpline."
    )
    post = await group_post(h, lambda m: "jestem z dzieckiem" in m["text"])
    assert post["text"].startswith("🚨 " + urgent)
    ordinary = await group_post(h, lambda m: "meldunek" in m["text"])
    assert "🚨" not in ordinary["text"]
    async with workspace(h) as ws:
        await ws.login("anna")
        _status, page = await ws.get("/tickets")
    assert page.index('id="ticket-2"') < page.index('id="ticket-1"')
    assert 'id="ticket-2" class="urgent"' in page


async def test_danger_inside_a_conversation_with_a_person(polling: Harness) -> None:
    h, c = polling, polling.client
    t = h.i18n.get("ru")
    menu = await start_in(h, 7600, "ru")
    await c.press(7600, menu, t.gettext("🙋 Talk to a person"))
    await c.ask(7600, "Вопрос про школу", language_code="ru")
    reply = await c.ask(7600, "он угрожает убить меня если я уйду", language_code="ru")
    assert opening("ru") in reply["text"] and "800 120 002" in reply["text"]
    row: Ticket = await ticket_row(h, 1, lambda r: r.urgent and len(r.messages) == 2)
    assert row.urgent
    # Still in the conversation: the next message goes to the same ticket.
    await c.send(7600, "я в безопасности сейчас", language_code="ru")
    await ticket_row(h, 1, lambda r: len(r.messages) == 3)


async def test_outside_working_hours_the_helplines_answer_now(polling: Harness) -> None:
    h, c = polling, polling.client
    desk = h.runtime.dp["desk"]  # type: ignore[index]
    today = datetime.now(ZoneInfo("Europe/Warsaw")).weekday()
    closed = Hours(frozenset({(today + 3) % 7}), time(8), time(16), ZoneInfo("Europe/Warsaw"))
    desk.hours = closed  # the running dispatcher holds this very object
    alert = await c.ask(7700, "i want to kill myself", language_code="en")
    assert CRISIS.translations["en"].after_hours in alert["text"]
    write, _ = await c.press(7700, alert, h.i18n.get("en").gettext("🙋 Talk to a person now"))
    assert "The helplines answer right now" in write["text"]
