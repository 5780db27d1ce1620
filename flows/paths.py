"""`/path`: a guided path — a few questions with buttons, then a personal, ordered checklist
whose steps open their answer cards and can be ticked off (kept per person, erased by
/forget); `/next` says what to do next."""

from __future__ import annotations

import html
from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Column, Group, Row, SwitchTo
from aiogram_dialog.widgets.text import Format

from flows.cards import text_html, topic_id
from flows.common import library_of, menu_button, services_of, user_key_of
from flows.short_card import open_topic_below
from flows.states import PathSG
from flows.widgets import Tr, labelled_select, translator
from knowledge.paths import PathDoc, StepDoc, checklist, next_step

ID_PATHS = "paths"
ID_OPTION = "opt"
ID_TICK = "tick"
ID_STEP = "step"


def _path(manager: DialogManager) -> PathDoc | None:
    slug = manager.dialog_data.get("path")
    return library_of(manager).paths.get(slug) if isinstance(slug, str) else None


async def get_paths(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    lang = translator(dialog_manager).lang
    paths = library_of(dialog_manager).paths.values()
    return {"paths": [(p.slug, "🧭 " + p.text(lang)[1].title) for p in paths]}


async def on_path(callback: CallbackQuery, _w: Any, manager: DialogManager, slug: str) -> None:
    await start_path(manager, slug)


async def start_path(manager: DialogManager, slug: str) -> None:
    """Straight to the checklist when the questions were answered before; else ask them."""
    path = library_of(manager).paths.get(slug)
    if path is None:
        return
    saved = await services_of(manager).path_progress(user_key_of(manager), slug)
    manager.dialog_data.update(
        path=slug,
        answers=dict(saved.answers) if saved else {},
        done=sorted(saved.done) if saved else [],
        q=0,
    )
    if saved is not None:
        await manager.switch_to(PathSG.checklist)
    else:
        await manager.switch_to(PathSG.ask)


async def get_question(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    path = _path(dialog_manager)
    index = int(dialog_manager.dialog_data.get("q", 0))
    if path is None or index >= len(path.questions):
        return {"title": "", "question": "", "options": [], "n": 0, "of": 0}
    lang = translator(dialog_manager).lang
    words = path.text(lang)[1]
    question = path.questions[index]
    said = words.questions[question.id]
    return {
        "title": html.escape(words.title),
        "question": html.escape(said.text),
        "options": [(option, said.options[option]) for option in question.options],
        "n": index + 1,
        "of": len(path.questions),
    }


async def on_option(callback: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    path = _path(manager)
    index = int(manager.dialog_data.get("q", 0))
    if path is None or index >= len(path.questions):
        return
    question = path.questions[index]
    if item in question.options:
        manager.dialog_data.setdefault("answers", {})[question.id] = item
    await _next_question(manager, path, index + 1)


async def on_skip(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    path = _path(manager)
    if path is not None:
        await _next_question(manager, path, int(manager.dialog_data.get("q", 0)) + 1)


async def _next_question(manager: DialogManager, path: PathDoc, index: int) -> None:
    manager.dialog_data["q"] = index
    if index < len(path.questions):
        return  # the same window shows the next question
    await _save(manager, path)
    await manager.switch_to(PathSG.checklist)


async def _save(manager: DialogManager, path: PathDoc) -> None:
    data = manager.dialog_data
    await services_of(manager).save_path_progress(
        user_key_of(manager), path.slug, dict(data.get("answers", {})), set(data.get("done", []))
    )


def _steps(manager: DialogManager, path: PathDoc) -> list[StepDoc]:
    return checklist(path, manager.dialog_data.get("answers", {}))


async def get_checklist(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    path = _path(dialog_manager)
    if path is None:
        return {"text": "", "ticks": [], "cards": [], "can_remind": False, "reminding": False}
    t = translator(dialog_manager)
    words = path.text(t.lang)[1]
    done = set(dialog_manager.dialog_data.get("done", []))
    steps = _steps(dialog_manager, path)
    shown = path.text(t.lang)[0]

    def say(text: str) -> str:
        return text_html(text, shown)

    lines = [f"🧭 <b>{say(words.title)}</b>"]
    if words.intro:
        lines.append(f"<i>{say(words.intro)}</i>")
    for n, step in enumerate(steps, 1):
        said = words.steps[step.id]
        mark = "✅" if step.id in done else "⬜"
        lines += ["", f"{mark} <b>{n}. {say(said.title)}</b>", say(said.why)]
        if said.office:
            lines.append("🏢 " + say(said.office))
        if said.bring:
            lines.append("🎒 " + say(said.bring))
        if step.deadline is not None:
            lines.append(say(t.gettext("⏰ By {date}").format(date=t.date(step.deadline))))
    left = len([s for s in steps if s.id not in done])
    lines += ["", t.ngettext("{n} step to go.", "{n} steps to go.", left).format(n=left)]
    saved = await services_of(dialog_manager).path_progress(user_key_of(dialog_manager), path.slug)
    deadlines = any(s.deadline is not None and s.id not in done for s in steps)
    reminding = bool(saved and saved.reminders)
    return {
        "can_remind": deadlines and not reminding,
        "reminding": reminding,
        "text": "\n".join(lines),
        "ticks": [(s.id, f"{'✅' if s.id in done else '⬜'} {n}") for n, s in enumerate(steps, 1)],
        "cards": [
            (topic_id(s.topic), f"📄 {n}. {words.steps[s.id].title}")
            for n, s in enumerate(steps, 1)
        ],
    }


async def on_tick(callback: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    path = _path(manager)
    if path is None or item not in {s.id for s in _steps(manager, path)}:
        return
    done = set(manager.dialog_data.get("done", []))
    done ^= {item}
    manager.dialog_data["done"] = sorted(done)
    await _save(manager, path)


async def on_reminders(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Opt in (or out) of a reminder before each deadline of this checklist."""
    path = _path(manager)
    if path is None:
        return
    on = button.widget_id == "remind"
    chat = callback.message.chat.id if callback.message else callback.from_user.id
    await services_of(manager).set_path_reminders(
        user_key_of(manager), path.slug, chat if on else None
    )
    t = translator(manager)
    await callback.answer(
        t.gettext("I will remind you a month, a week and a day before each deadline.")
        if on
        else t.gettext("No more deadline reminders.")
    )


async def on_again(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    manager.dialog_data.update(answers={}, q=0)
    await manager.switch_to(PathSG.ask)


async def next_step_data(manager: DialogManager) -> dict[str, Any] | None:
    """For `/next`: the first unticked step of the path touched last, or None."""
    services = services_of(manager)
    key = user_key_of(manager)
    for slug in await services.started_paths(key):
        path = library_of(manager).paths.get(slug)
        saved = await services.path_progress(key, slug)
        if path is None or saved is None:
            continue
        step = next_step(checklist(path, saved.answers), set(saved.done))
        return {"path": slug, "step": step.id if step else None}
    return None


async def get_next(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    start = dialog_manager.start_data if isinstance(dialog_manager.start_data, dict) else {}
    path = library_of(dialog_manager).paths.get(str(start.get("path")))
    t = translator(dialog_manager)
    step = next((s for s in path.steps if s.id == start.get("step")), None) if path else None
    if path is None or step is None:
        return {"text": t.gettext("🎉 You have done every step of your checklist."), "card": []}
    shown, words = path.text(t.lang)
    said = words.steps[step.id]
    text = t.gettext("➡️ Your next step: <b>{step}</b>").format(step=text_html(said.title, shown))
    text += "\n" + text_html(said.why, shown)
    if step.deadline is not None:
        by = t.gettext("⏰ By {date}").format(date=t.date(step.deadline))
        text += "\n" + text_html(by, shown)
    return {"text": text, "card": [(topic_id(step.topic), "📄 " + said.title)]}


async def on_open_checklist(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    start = manager.start_data if isinstance(manager.start_data, dict) else {}
    await start_path(manager, str(start.get("path")))


def make_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("🧭 <b>Step by step</b>: a few questions, then your own checklist."),
            Tr("Pick what fits you:"),
            Column(labelled_select(ID_PATHS, "paths", on_path)),
            menu_button(),
            getter=get_paths,
            state=PathSG.choose,
        ),
        Window(
            Format("🧭 <b>{title}</b>"),
            Tr("Question {n} of {of}"),
            Format("\n{question}"),
            Column(labelled_select(ID_OPTION, "options", on_option)),
            Row(Button(Tr("Skip"), id="skip", on_click=on_skip), menu_button()),
            getter=get_question,
            state=PathSG.ask,
        ),
        Window(
            Format("{text}"),
            Tr("<i>Tap ⬜ when a step is done; 📄 opens its answer.</i>"),
            Group(labelled_select(ID_TICK, "ticks", on_tick), width=6),
            Column(labelled_select(ID_STEP, "cards", open_topic_below)),
            Button(
                Tr("🔔 Remind me before deadlines"),
                id="remind",
                on_click=on_reminders,
                when="can_remind",
            ),
            Button(
                Tr("🔕 Stop deadline reminders"),
                id="unremind",
                on_click=on_reminders,
                when="reminding",
            ),
            Row(
                Button(Tr("🔁 Answer again"), id="again", on_click=on_again),
                SwitchTo(Tr("🧭 Other paths"), id="others", state=PathSG.choose),
                menu_button(),
            ),
            getter=get_checklist,
            state=PathSG.checklist,
        ),
        Window(
            Format("{text}"),
            Column(labelled_select(ID_STEP, "card", open_topic_below)),
            Row(
                Button(Tr("🧭 My checklist"), id="list", on_click=on_open_checklist), menu_button()
            ),
            getter=get_next,
            state=PathSG.next,
        ),
    )
