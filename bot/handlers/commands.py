"""Commands work from anywhere and restart the dialog stack where they lead."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from aiogram_dialog import DialogManager, ShowMode, StartMode

from bot.filters import PrivateChat, SlashCommand
from flows import paths as paths_flow
from flows.states import (
    HandoffSG,
    LanguageSG,
    MainSG,
    PathSG,
    PrivacySG,
    SchoolSG,
    SubscribeSG,
)
from knowledge.i18n import N_, Translator
from knowledge.library import Library
from knowledge.links import parse_payload
from knowledge.services import Services


async def start(
    message: Message,
    command: CommandObject,
    dialog_manager: DialogManager,
    stored_lang: str | None,
    telegram_lang: str | None,
    library: Library,
    services: Services,
    t: Translator,
    user_key: str,
) -> None:
    """`/start [payload]`: a school's deep link opens its card, after the language if new."""
    target = parse_payload(command.args) if command.args else None
    school = target.key if target and target.key in library.schools else None
    if command.args and school is None:
        await message.answer(
            t.gettext(
                "This link did not work: it is incomplete, or the school is no longer listed."
            )
        )
    then: dict[str, Any] | None = None
    if school is not None:
        await services.record_school_open(school, "bot", visitor=user_key)
        then = {"state": "school", "code": school}
    if stored_lang is None:
        await dialog_manager.start(
            LanguageSG.choose,
            data={"suggested": telegram_lang, "then": then},
            mode=StartMode.RESET_STACK,
            show_mode=ShowMode.SEND,
        )
    elif school is not None:
        await dialog_manager.start(
            SchoolSG.card,
            data={"code": school},
            mode=StartMode.RESET_STACK,
            show_mode=ShowMode.SEND,
        )
    else:
        await dialog_manager.start(MainSG.menu, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def menu(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(MainSG.menu, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def language(
    message: Message, dialog_manager: DialogManager, telegram_lang: str | None
) -> None:
    await dialog_manager.start(
        LanguageSG.choose,
        data={"suggested": telegram_lang},
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
    )


async def privacy(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(PrivacySG.about, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def subscribe(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(
        SubscribeSG.settings, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND
    )


async def path(message: Message, dialog_manager: DialogManager) -> None:
    """`/path`: a guided path's questions, then a personal checklist."""
    await dialog_manager.start(PathSG.choose, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def next_step(message: Message, dialog_manager: DialogManager) -> None:
    """`/next`: the next unticked step of the path the person followed last."""
    found = await paths_flow.next_step_data(dialog_manager)
    state = PathSG.next if found else PathSG.choose
    await dialog_manager.start(
        state, data=found, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND
    )


async def person(message: Message, dialog_manager: DialogManager) -> None:
    """`/person`: talk to a person, from anywhere."""
    await dialog_manager.start(HandoffSG.write, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def forget(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(
        PrivacySG.confirm_forget, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND
    )


async def help_(message: Message, t: Translator) -> None:
    await message.answer(
        "\n".join(
            [
                t.gettext("I answer questions about everyday life and school in Wrocław."),
                t.gettext("Type a question in any language, or use the menu."),
                "",
                "/menu — " + t.gettext("main menu"),
                "/path — " + t.gettext("step by step: my checklist"),
                "/next — " + t.gettext("my next step"),
                "/person — " + t.gettext("talk to a person"),
                "/language — " + t.gettext("change language"),
                "/subscribe — " + t.gettext("news from the city's team"),
                "/privacy — " + t.gettext("what I keep about you"),
                "/forget — " + t.gettext("delete everything about you"),
            ]
        )
    )


async def unknown_command(message: Message, t: Translator) -> None:
    await message.answer(t.gettext("I don't know this command. Try /help."))


COMMANDS = {
    "start": N_("start again"),
    "menu": N_("main menu"),
    "language": N_("change language"),
    "path": N_("step by step: my checklist"),
    "next": N_("my next step"),
    "person": N_("talk to a person"),
    "help": N_("what I can do"),
    "subscribe": N_("news from the city's team"),
    "privacy": N_("what I keep about you"),
    "forget": N_("delete everything about you"),
}
"""Descriptions registered per language with setMyCommands (translated via the catalogs)."""


def make_router() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="commands")
    # A question meets one check here rather than one per command (a tenth of its time).
    router.message.filter(PrivateChat(), SlashCommand())
    router.message.register(start, CommandStart())
    router.message.register(menu, Command("menu"))
    router.message.register(language, Command("language"))
    router.message.register(privacy, Command("privacy"))
    router.message.register(forget, Command("forget"))
    router.message.register(subscribe, Command("subscribe"))
    router.message.register(person, Command("person"))
    router.message.register(path, Command("path"))
    router.message.register(next_step, Command("next"))
    router.message.register(help_, Command("help"))
    router.message.register(unknown_command, SlashCommand())
    return router
