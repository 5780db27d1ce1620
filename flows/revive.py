"""Buttons whose dialog is gone — an old card, a message from before a restart — still work.

Old keyboards stay in the chat (see `flows.message_manager`), and a migrant scrolls back to
them. Every button that names a topic carries the topic's short id, and the other buttons
name a fixed place, so a press can be carried out without the dialog that drew it; only
in-dialog steps such as paging cannot, and those restart at the menu.
"""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State
from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.utils import CB_SEP

from flows.answer import ID_DETAILS, ID_MORE, ID_POLISH, ID_VOTE, vote
from flows.browse import ID_TOPICS
from flows.common import ID_FIND, ID_MENU, library_of, slug_of
from flows.safety import ID_PERSON, ID_TOPIC
from flows.schools import ID_DISTRICTS, ID_SCHOOLS, find_district
from flows.states import (
    AnswerSG,
    AskSG,
    BrowseSG,
    HandoffSG,
    LanguageSG,
    MainSG,
    PathSG,
    PrivacySG,
    SchoolSG,
    SubscribeSG,
)
from flows.subscribe import ID_FOLLOW, ID_SUBSCRIBE, follow

PLACES: dict[str, tuple[State, dict[str, Any] | None]] = {
    ID_MENU: (MainSG.menu, None),
    "everyday": (BrowseSG.topics, {"category": "everyday"}),
    "school": (BrowseSG.topics, {"category": "school"}),
    "ask": (AskSG.prompt, None),
    "person": (HandoffSG.write, None),
    ID_PERSON: (HandoffSG.write, {"urgent": True}),
    "language": (LanguageSG.choose, None),
    "choose_lang": (LanguageSG.choose, None),
    "privacy": (PrivacySG.about, None),
    "paths": (PathSG.choose, None),
    ID_FIND: (SchoolSG.districts, None),
    "stop": (SubscribeSG.settings, None),
}
"""Buttons that open the same window whatever message they are on, by widget id."""


async def revive(callback: CallbackQuery, manager: DialogManager) -> bool:
    """Do what an orphaned button says; False when it cannot be done without its dialog."""
    _intent, sep, payload = (callback.data or "").partition(CB_SEP)
    widget, _, item = payload.partition(":")
    if not sep:
        return False
    if widget == ID_VOTE and item[:1] in ("+", "-"):
        slug = slug_of(manager, item[1:])
        if slug is None:
            return False
        if not await vote(callback, manager, slug, helpful=item.startswith("+")):
            await callback.answer()
        return True
    if widget == ID_FOLLOW and slug_of(manager, item) is not None:
        await follow(callback, None, manager, item)
        return True
    if widget in (ID_MORE, ID_TOPICS, ID_POLISH, ID_TOPIC, ID_DETAILS):
        slug = slug_of(manager, item)
        if slug is None:
            return False
        state = {ID_POLISH: AnswerSG.bilingual, ID_DETAILS: AnswerSG.details}.get(
            widget, AnswerSG.card
        )
        place: tuple[State, dict[str, Any] | None] = (state, {"slug": slug})
    elif widget == ID_SCHOOLS and item in library_of(manager).schools:
        place = (SchoolSG.card, {"code": item})
    elif widget == ID_DISTRICTS and item:
        district = find_district(library_of(manager).schools, item)
        if district is None:
            return False
        place = (SchoolSG.schools, {"district": district})
    elif widget == ID_SUBSCRIBE:
        place = (SubscribeSG.settings, None)
    elif widget in PLACES and not item:
        place = PLACES[widget]
    else:
        return False
    await callback.answer()
    await manager.start(
        place[0], data=place[1], mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND
    )
    return True
