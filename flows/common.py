"""Small pieces several dialogs share: the menu button and dependencies from middleware data."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram_dialog import DialogManager, StartMode
from aiogram_dialog.widgets.kbd import Row, Start

from flows.cards import topic_id
from flows.states import BrowseSG, MainSG, SchoolSG
from flows.widgets import Tr
from knowledge.i18n import I18n, Translator
from knowledge.library import Library
from knowledge.services import Services

ID_MENU = "menu"
ID_FIND = "schools"
ID_TALK = "person"


def menu_button() -> Start:
    return Start(Tr("🏠 Menu"), id=ID_MENU, state=MainSG.menu, mode=StartMode.RESET_STACK)


def find_button(when: str | None = None) -> Start:
    label = Tr("🏫 Find a school with a preparatory class")
    return Start(label, id=ID_FIND, state=SchoolSG.districts, when=when)


def category_buttons() -> Row:
    return Row(
        Start(Tr("🏙 Everyday life"), id="everyday", state=BrowseSG.topics,
              data={"category": "everyday"}),
        Start(Tr("🎒 School"), id="school", state=BrowseSG.topics, data={"category": "school"}),
    )  # fmt: skip


def slug_of(manager: DialogManager, tid: str) -> str | None:
    """The topic a button's short id names, if it still exists."""
    return next((s for s in library_of(manager).catalog if topic_id(s) == tid), None)


def library_of(manager: DialogManager) -> Library:
    """The content snapshot of this update (one version, whatever is edited meanwhile)."""
    library: Library = manager.middleware_data["library"]
    return library


def services_of(manager: DialogManager) -> Services:
    services: Services = manager.middleware_data["services"]
    return services


@dataclass
class AfterUpdate:
    """Asked of the bot's runtime for when the update is fully handled — after the dialogs
    have saved their state, so that what is deleted stays deleted."""

    forget_dialogs: bool = False


def user_key_of(manager: DialogManager) -> str:
    key: str = manager.middleware_data["user_key"]
    return key


def switch_language(manager: DialogManager, lang: str) -> Translator:
    """Use `lang` for the rest of this update (the middleware chose before the user did)."""
    i18n: I18n = manager.middleware_data["i18n"]
    t = i18n.get(lang)
    manager.middleware_data["t"] = t
    manager.middleware_data["lang"] = lang
    return t
