"""First contact: confirm or pick one of the six languages; remembered per person."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, StartMode, Window
from aiogram_dialog.widgets.kbd import Column
from aiogram_dialog.widgets.text import Format

from flows.common import switch_language, user_key_of
from flows.states import LanguageSG, MainSG, SchoolSG
from flows.widgets import labelled_select
from knowledge.i18n import N_, I18n
from knowledge.languages import LANGUAGES, NATIVE_NAMES
from knowledge.profiles import Profiles

ID_LANGUAGES = "lang"
PROMPT = N_("Choose your language")


async def get_languages(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    i18n: I18n = dialog_manager.middleware_data["i18n"]
    start = dialog_manager.start_data if isinstance(dialog_manager.start_data, dict) else {}
    suggested = start.get("suggested") or dialog_manager.middleware_data.get("lang")
    order = sorted(LANGUAGES, key=lambda code: code != suggested)
    prompts = dict.fromkeys(i18n.get(code).gettext(PROMPT) for code in order)
    items = [(code, ("✓ " if code == suggested else "") + NATIVE_NAMES[code]) for code in order]
    return {"prompt": "\n".join(f"🌐 {p}" for p in prompts), "languages": items}


async def on_language(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, code: str
) -> None:
    if code not in LANGUAGES:
        return
    profiles: Profiles = manager.middleware_data["profiles"]
    await profiles.set_language(user_key_of(manager), code)
    switch_language(manager, code)
    start = manager.start_data if isinstance(manager.start_data, dict) else {}
    then = start.get("then") or {}
    if then.get("state") == "school":
        # A school's deep link brought a new user here: its card comes next.
        card = {"code": then.get("code")}
        await manager.start(SchoolSG.card, data=card, mode=StartMode.RESET_STACK)
    else:
        await manager.start(MainSG.menu, mode=StartMode.RESET_STACK)


def make_dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{prompt}"),
            Column(labelled_select(ID_LANGUAGES, "languages", on_language)),
            getter=get_languages,
            state=LanguageSG.choose,
        ),
    )
