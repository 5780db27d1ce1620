""" "Talk to a person": write a message for the practitioners; the answer comes into this chat.

While one of these windows is open, free text goes to the person's ticket (see
the bot's question handler), not to the search.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.kbd import Button, Row
from aiogram_dialog.widgets.text import Format

from flows.common import ID_TALK, menu_button, user_key_of
from flows.short_card import show_card
from flows.states import HandoffSG
from flows.widgets import Tr, translator
from knowledge.handoff import Desk
from knowledge.i18n import N_
from knowledge.profiles import Profiles

Forward = Callable[[DialogManager, str], Awaitable[None]]
"""Sends a typed question to a person (the bot provides it in the dialogs' data)."""
URGENT_LATER = N_(
    "\n⚠️ <b>Our team answers later. The helplines answer right now: in danger, call 112.</b>"
)
INFO_POINT = "migrant-info-point"
"""Whom to ask in person while no one answers here."""
WAITING = frozenset({HandoffSG.write, HandoffSG.chat})
"""The windows in which typed text is a message for a person."""


def talk_button(when: str | None = None) -> Button:
    """On an answer card: the person sees which topic the question is about."""
    return Button(Tr("🙋 Talk to a person"), id=ID_TALK, on_click=_talk, when=when)


async def _talk(_callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    data = manager.start_data if isinstance(manager.start_data, dict) else {}
    # A new message: the answer card stays where it is, above.
    await manager.start(HandoffSG.write, data={"topic": data.get("slug")}, show_mode=ShowMode.SEND)


async def _info_point(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    pressed = callback.message if isinstance(callback.message, Message) else None
    await show_card(manager, INFO_POINT, replace=pressed)


def forward_button() -> Button:
    """Under "I don't know this yet": the question goes to a person as it was typed."""
    return Button(
        Tr("📨 Send my question to a person"), id="forward", on_click=_forward, when="forward"
    )


async def _forward(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    data = manager.start_data if isinstance(manager.start_data, dict) else {}
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        await _talk(callback, _button, manager)
        return
    await callback.answer()
    forward: Forward = manager.middleware_data["forward_question"]
    await forward(manager, question)


def _service(manager: DialogManager) -> Desk:
    desk: Desk = manager.middleware_data["desk"]
    return desk


async def get_write(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    service = _service(dialog_manager)
    lang = translator(dialog_manager).lang
    expect = service.expect_answer(lang) if service.available else None
    ask_consent = False
    if service.available and service.external_translation:
        profiles: Profiles = dialog_manager.middleware_data["profiles"]
        ask_consent = await profiles.translation_consent(user_key_of(dialog_manager)) is None
    return {
        "available": service.available,
        "expect": expect or "",
        "ask_consent": ask_consent,
        "service": service.translation or "",
        **_urgency(dialog_manager),
    }


async def _consent(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Asked once: may this person's messages go to the external translation service?"""
    profiles: Profiles = manager.middleware_data["profiles"]
    allowed = button.widget_id == "mt_yes"
    await profiles.set_translation_consent(user_key_of(manager), allowed)
    t = translator(manager)
    await callback.answer(
        t.gettext("Your messages will be translated automatically.")
        if allowed
        else t.gettext("Your messages will be sent as you write them.")
    )


def _urgency(manager: DialogManager) -> dict[str, bool]:
    """After a safety reply: outside working hours, say plainly who answers when."""
    data = manager.start_data if isinstance(manager.start_data, dict) else {}
    urgent = bool(data.get("urgent"))
    closed = _service(manager).expect_answer(translator(manager).lang) is not None
    return {"urgent_later": urgent and closed}


async def get_chat(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    data = dialog_manager.start_data if isinstance(dialog_manager.start_data, dict) else {}
    lang = translator(dialog_manager).lang
    return {
        "ticket": data.get("ticket", ""),
        "expect": _service(dialog_manager).expect_answer(lang) or "",
        "failed": bool(data.get("failed")),
        "answering": bool(data.get("answering")),
        **_urgency(dialog_manager),
    }


def make_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr(
                "🙋 Write your message for a person, in any language. Someone from the city's "
                "team or an intercultural assistant will answer here, in this chat.",
                when="available",
            ),
            Tr("They see your message and your language, not your name.", when="available"),
            Tr(
                "\n🌐 The team may not speak your language. May {service}, an outside "
                "translation service, translate your messages for them? You can write either way.",
                when="ask_consent",
            ),
            Row(
                Button(Tr("✅ Yes, translate"), id="mt_yes", on_click=_consent),
                Button(Tr("✍️ No, send as I write"), id="mt_no", on_click=_consent),
                when="ask_consent",
            ),
            Format("\n<i>{expect}</i>", when="expect"),
            Tr(URGENT_LATER, when="urgent_later"),
            Tr(
                "🙋 Talking to a person is not set up here yet.",
                when=lambda data, *_: not data["available"],
            ),
            Tr(
                "Until then, the city's migrant info point helps in person and by phone.",
                when=lambda data, *_: not data["available"],
            ),
            Row(
                Button(
                    Tr("ℹ️ Migrant info point"),
                    id="info",
                    on_click=_info_point,
                    when=lambda data, *_: not data["available"],
                ),
                menu_button(),
            ),
            getter=get_write,
            state=HandoffSG.write,
        ),
        Window(
            Tr(
                "↩️ Write your answer here; it goes to the same conversation (#{ticket}).",
                when="answering",
            ),
            Tr(
                "✉️ Sent to a person (ticket #{ticket}). The answer will come here. You can add "
                "more messages.",
                when=lambda data, *_: not data["failed"] and not data["answering"],
            ),
            Tr(
                "😔 I could not reach the team right now. Please try again later, or contact the "
                "migrant info point.",
                when="failed",
            ),
            Format("\n<i>{expect}</i>", when="expect"),
            Tr(URGENT_LATER, when="urgent_later"),
            menu_button(),
            getter=get_chat,
            state=HandoffSG.chat,
        ),
    )
