"""Widgets shared by the dialogs: translated text and link buttons built from data.

`Tr("...")` is the gettext marker of the dialogs (`make messages` extracts it): it translates
first and formats after, so translators see the message with its `{placeholders}`. Values put in
the getters' data must already be HTML-safe — getters escape anything a user typed.
"""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton
from aiogram_dialog.api.internal import RawKeyboard
from aiogram_dialog.api.protocols import DialogManager
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.kbd import Keyboard, Select
from aiogram_dialog.widgets.text import Format, Text

from knowledge.i18n import Translator


def translator(manager: DialogManager) -> Translator:
    t: Translator = manager.middleware_data["t"]
    return t


class Tr(Text):
    """A translated, formatted text."""

    def __init__(self, message: str, when: WhenCondition = None) -> None:
        super().__init__(when=when)
        self.message = message

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return translator(manager).gettext(self.message).format_map(data)


def labelled_select(widget_id: str, items: str, on_click: Any) -> Select[str]:
    """Buttons from `data[items]`, a list of (button id, label) pairs — the shape every
    list in the dialogs uses (topics, alternatives, languages)."""
    return Select(
        Format("{item[1]}"),
        id=widget_id,
        item_id_getter=lambda item: item[0],
        items=items,
        on_click=on_click,
    )


class Links(Keyboard):
    """One URL button per item of `data[key]` (dicts with `title` and `url`)."""

    def __init__(self, key: str, id: str, when: WhenCondition = None) -> None:
        super().__init__(id=id, when=when)
        self.key = key

    async def _render_keyboard(self, data: dict[str, Any], manager: DialogManager) -> RawKeyboard:
        return [
            [InlineKeyboardButton(text=item["title"], url=item["url"])]  # never cut
            for item in data.get(self.key, [])
        ]
