"""The topic browser: one category's topics, a page at a time."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import (
    Cancel,
    CurrentPage,
    NextPage,
    PrevPage,
    Row,
    ScrollingGroup,
)
from aiogram_dialog.widgets.text import Format

from flows.cards import title, topic_id
from flows.common import library_of, menu_button
from flows.short_card import open_topic
from flows.states import BrowseSG
from flows.widgets import Tr, labelled_select, translator

ID_TOPICS = "t"
ID_PAGES = "pg"
PAGE_SIZE = 7


async def get_topics(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    start = dialog_manager.start_data if isinstance(dialog_manager.start_data, dict) else {}
    category = start.get("category", "everyday")
    t = translator(dialog_manager)
    lang = t.lang
    topics = library_of(dialog_manager).in_category(category)
    return {
        "count": t.ngettext("{n} topic", "{n} topics", len(topics)).format(n=len(topics)),
        "school": category == "school",
        "topics": [(topic_id(t.slug), title(t, lang)) for t in topics],
    }


def make_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("🎒 <b>School</b>: pick a topic.", when="school"),
            Tr("🏙 <b>Everyday life</b>: pick a topic.", when=lambda data, *_: not data["school"]),
            Format("<i>{count}</i>"),
            ScrollingGroup(
                labelled_select(ID_TOPICS, "topics", open_topic),
                id=ID_PAGES,
                width=1,
                height=PAGE_SIZE,
                hide_pager=True,
            ),
            # "2 of 3" between the arrows, in the reader's language.
            Row(
                PrevPage(ID_PAGES, text=Format("◀️")),
                CurrentPage(ID_PAGES, text=Tr("{current_page1} of {pages}")),
                NextPage(ID_PAGES, text=Format("▶️")),
                when=lambda data, *_: len(data["topics"]) > PAGE_SIZE,
            ),
            Row(Cancel(Tr("⬅️ Back")), menu_button()),
            getter=get_topics,
            state=BrowseSG.topics,
        ),
    )
