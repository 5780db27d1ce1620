"""A family follows a guided path through the sandbox: questions with buttons, a checklist
whose steps open the right answer cards, ticks that survive a restart, `/next`, `/forget`."""

from __future__ import annotations

from sqlalchemy import func, select

from knowledge.models import PathProgress
from knowledge.paths import checklist
from sandbox.client import buttons, find_button
from tests.e2e.conftest import Harness
from tests.e2e.test_handoff import start_in

PARENT = 6400


async def _progress_rows(h: Harness) -> int:
    async with h.store.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(PathProgress)) or 0)


async def test_a_parent_gets_a_checklist_that_opens_the_right_answers(polling: Harness) -> None:
    h, c, t = polling, polling.client, polling.i18n.get("uk")
    path = h.library.paths["child-starts-school"]
    words = path.translations["uk"]
    await start_in(h, PARENT, "uk")
    menu = await c.ask(PARENT, "/menu", language_code="uk")
    choose, _ = await c.press(PARENT, menu, t.gettext("🧭 Step by step: my checklist"))
    screen, _ = await c.press(PARENT, choose, "🧭 " + words.title)
    answers = {}
    for n, question in enumerate(path.questions, 1):
        said = words.questions[question.id]
        assert said.text in screen["text"]
        assert (
            t.gettext("Question {n} of {of}").format(n=n, of=len(path.questions))
            in (screen["text"])
        )
        option = question.options[-1]
        answers[question.id] = option
        screen, _ = await c.press(PARENT, screen, said.options[option])
    steps = checklist(path, answers)
    first, second = words.steps[steps[0].id], words.steps[steps[1].id]
    assert first.title in screen["text"] and second.title in screen["text"]
    assert screen["text"].index(first.title) < screen["text"].index(second.title)

    card, _ = await c.press(PARENT, screen, f"📄 1. {first.title}")
    topic = h.library.catalog[steps[0].topic].translations["uk"]
    assert card["text"].startswith(topic.title)
    assert card["message_id"] > screen["message_id"]  # the checklist stays above

    await c.press(PARENT, screen, "⬜ 1")
    await c.wait_until(  # the checklist itself, above the card, shows the tick
        PARENT,
        lambda ms: any(
            m["message_id"] == screen["message_id"] and "✅ 1" in str(m.get("reply_markup"))
            for m in ms
        ),
    )
    assert await _progress_rows(h) == 1

    await h.restart_bot()
    again = await c.ask(PARENT, "/path", language_code="uk")
    kept, _ = await c.press(PARENT, again, "🧭 " + words.title)
    find_button(kept, "✅ 1")  # straight to the checklist, the tick kept
    assert not any(b["text"] == "✅ 2" for b in buttons(kept))

    upcoming = await c.ask(PARENT, "/next", language_code="uk")
    assert second.title in upcoming["text"]
    opened, _ = await c.press(PARENT, upcoming, "📄 " + second.title)
    assert opened["text"].startswith(h.library.catalog[steps[1].topic].translations["uk"].title)

    confirm = await c.ask(PARENT, "/forget", language_code="uk")
    await c.press(PARENT, confirm, t.gettext("Yes, delete"))
    assert await _progress_rows(h) == 0


async def test_a_skipped_question_rules_nothing_out_and_next_without_a_path_offers_them(
    polling: Harness,
) -> None:
    h, c, t = polling, polling.client, polling.i18n.get("ar")
    await start_in(h, PARENT + 1, "ar")
    offer = await c.ask(PARENT + 1, "/next", language_code="ar")
    path = h.library.paths["protection-ends"]
    words = path.translations["ar"]
    screen, _ = await c.press(PARENT + 1, offer, "🧭 " + words.title)
    for _ in path.questions:
        screen, _ = await c.press(PARENT + 1, screen, t.gettext("Skip"))
    shown = screen["text"].replace("\u2066", "").replace("\u2069", "")
    for step in path.steps:  # nothing answered: every step applies
        assert words.steps[step.id].title in shown
    deadline = next(s for s in path.steps if s.deadline is not None).deadline
    assert deadline is not None and t.date(deadline) in shown


async def test_a_reminder_before_the_deadline_comes_once_and_opens_the_answer(
    polling: Harness,
) -> None:
    from datetime import date

    from bot.announcer import RateLimiter
    from bot.path_reminders import send_path_reminders
    from knowledge.i18n import I18n

    h, c, t = polling, polling.client, polling.i18n.get("uk")
    await start_in(h, PARENT + 2, "uk")
    path = h.library.paths["protection-ends"]
    words = path.translations["uk"]
    offer = await c.ask(PARENT + 2, "/path", language_code="uk")
    screen, _ = await c.press(PARENT + 2, offer, "🧭 " + words.title)
    for _ in path.questions:
        screen, _ = await c.press(PARENT + 2, screen, t.gettext("Skip"))
    _, toast = await c.press(PARENT + 2, screen, t.gettext("🔔 Remind me before deadlines"))
    assert toast == t.gettext("I will remind you a month, a week and a day before each deadline.")

    assert h.runtime.bot is not None
    week_before = date(2027, 2, 25)
    args = (h.runtime.bot, h.store, h.library, I18n(), week_before, RateLimiter(25))
    sent = await send_path_reminders(*args)
    steps_with_deadline = [s for s in path.steps if s.deadline is not None]
    assert sent == len(steps_with_deadline)
    reminder = (await c.chat(PARENT + 2))["messages"][-1]
    assert "7" in reminder["text"] and t.date(date(2027, 3, 4)) in reminder["text"]
    assert await send_path_reminders(*args) == 0  # once only
    step = next(s for s in path.steps if s.id == steps_with_deadline[-1].id)
    card, _ = await c.press(PARENT + 2, reminder, "📄 " + words.steps[step.id].title)
    assert card["text"].startswith(h.library.catalog[step.topic].translations["uk"].title)
