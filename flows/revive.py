"""Buttons carried out without the dialog that drew them: the short answer card's, which has
none (`flows.short_card`), and those of an old card or a message from before a restart.

Old keyboards stay in the chat (see `flows.message_manager`), and a migrant scrolls back to
them. Every button that names a topic carries the topic's short id, and the other buttons
name a fixed place, so a press can be carried out without a dialog; only in-dialog steps such
as paging cannot, and those restart at the menu.
"""

from __future__ import annotations

import contextlib
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.utils import CB_SEP

from flows.answer import ID_BACK
from flows.browse import ID_TOPICS
from flows.common import (
    ID_FIND,
    ID_MENU,
    ID_TALK,
    library_of,
    services_of,
    slug_of,
    user_key_of,
)
from flows.safety import ID_PERSON, ID_TOPIC
from flows.schools import ID_DISTRICTS, ID_SCHOOLS, find_district
from flows.short_card import (
    ID_DETAILS,
    ID_LANGUAGE,
    ID_MORE,
    ID_POLISH,
    ID_VOTE,
    STATELESS,
    show_card,
)
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
from flows.widgets import translator

PLACES: dict[str, tuple[State, dict[str, Any] | None]] = {
    ID_MENU: (MainSG.menu, None),
    "everyday": (BrowseSG.topics, {"category": "everyday"}),
    "school": (BrowseSG.topics, {"category": "school"}),
    "ask": (AskSG.prompt, None),
    ID_TALK: (HandoffSG.write, None),
    ID_PERSON: (HandoffSG.write, {"urgent": True}),
    "language": (LanguageSG.choose, None),
    ID_LANGUAGE: (LanguageSG.choose, None),
    "privacy": (PrivacySG.about, None),
    "paths": (PathSG.choose, None),
    ID_FIND: (SchoolSG.districts, None),
    "stop": (SubscribeSG.settings, None),
}
"""Buttons that open the same window whatever message they are on, by widget id."""
LONGER = {ID_POLISH: AnswerSG.bilingual, ID_DETAILS: AnswerSG.details}


def parse(data: str | None) -> tuple[str, str, bool] | None:
    """(widget, item, whether the button belongs to no dialog) of a button's data."""
    if data is None:
        return None
    if data.startswith(STATELESS):
        payload, stateless = data[len(STATELESS) :], True
    else:
        _intent, sep, payload = data.partition(CB_SEP)
        if not sep:
            return None
        stateless = False
    widget, _, item = payload.partition(":")
    return widget, item, stateless


async def revive(callback: CallbackQuery, manager: DialogManager) -> bool:
    """Do what the button says; False when it cannot be done without its dialog.

    A stateless card's buttons act on the card itself, as a dialog's do: the other topics and
    the longer versions take its place. An old message's open a new one below."""
    parsed = parse(callback.data)
    if parsed is None:
        return False
    widget, item, in_place = parsed
    pressed = callback.message if isinstance(callback.message, Message) else None
    if widget == ID_VOTE and item[:1] in ("+", "-"):
        return await _vote(callback, manager, item)
    if widget == ID_FOLLOW and slug_of(manager, item) is not None:
        await follow(callback, None, manager, item)
        return True
    place: tuple[State, dict[str, Any] | None]
    if widget in (ID_MORE, ID_TOPICS, ID_TOPIC, *LONGER) or (widget in (ID_TALK, ID_BACK) and item):
        slug = slug_of(manager, item)
        if slug is None:
            return False
        if widget in (ID_MORE, ID_TOPICS, ID_TOPIC, ID_BACK):
            await callback.answer()  # back to the short card: always in the longer one's place
            replace = pressed if in_place or widget == ID_BACK else None
            await show_card(manager, slug, replace=replace)
            return True
        if widget == ID_TALK:  # a new message: the card stays where it is, above
            place, in_place = (HandoffSG.write, {"topic": slug}), False
        else:
            place = (LONGER[widget], {"slug": slug})
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
    show = ShowMode.EDIT if in_place and widget in LONGER else ShowMode.SEND
    await manager.start(place[0], data=place[1], mode=StartMode.RESET_STACK, show_mode=show)
    return True


async def _vote(callback: CallbackQuery, manager: DialogManager, item: str) -> bool:
    """Record 👍/👎 (once per person, topic and language), thank the person, and take the
    two buttons off the card."""
    slug = slug_of(manager, item[1:])
    if slug is None:
        return False
    t = translator(manager)
    stored = await services_of(manager).record_feedback(
        user_key_of(manager), slug, t.lang, helpful=item.startswith("+")
    )
    await callback.answer(t.gettext("Thank you for your feedback!") if stored else None)
    message = callback.message
    if isinstance(message, Message) and message.reply_markup is not None:
        rows = [
            [b for b in row if (parse(b.callback_data) or ("",))[0] != ID_VOTE]
            for row in message.reply_markup.inline_keyboard
        ]
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_reply_markup(
                reply_markup=InlineKeyboardMarkup(inline_keyboard=[r for r in rows if r])
            )
    return True


async def carry_out(callback: CallbackQuery, manager: DialogManager) -> None:
    """Do what the button says or, when that needs its lost dialog, start over politely."""
    if await revive(callback, manager):
        return
    t = translator(manager)
    await callback.answer(t.gettext("This button is from an older message. Here is the menu."))
    await manager.start(MainSG.menu, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
