"""The longer answer ("More details"), its bilingual version, and the honest "I don't know
yet": dialog windows, for their buttons need what was asked. The short card that comes first
is in `flows.short_card`."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Column, Row, Start
from aiogram_dialog.widgets.text import Format

from flows.cards import answer_card, bilingual_card, topic_id
from flows.common import category_buttons, find_button, library_of, menu_button
from flows.handoff import forward_button, talk_button
from flows.short_card import (
    GONE,
    ID_LANGUAGE,
    ID_MORE,
    SPOKEN,
    language_offer,
    open_topic,
    spoken,
    topics,
)
from flows.states import AnswerSG, LanguageSG
from flows.subscribe import ID_FOLLOW, follow
from flows.widgets import Links, Tr, labelled_select, translator
from knowledge.handoff import Desk
from knowledge.i18n import I18n, Translator
from knowledge.languages import SOURCE_LANGUAGE

ID_BACK = "back"
FINDER_TOPIC = "preparatory-class"
"""The topic whose card offers the list of schools with a preparatory class."""


async def get_details(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    """The whole answer, its sources, and what to do next."""
    library = library_of(dialog_manager)
    t = translator(dialog_manager)
    start = dialog_manager.start_data
    slug = start.get("slug") if isinstance(start, dict) else None
    topic = library.catalog.get(slug) if isinstance(slug, str) else None
    if topic is None:
        return {"card": t.gettext(GONE), "sources": [], "more": [], "follow": [], "back": [],
                "school_finder": False}  # fmt: skip
    card = answer_card(topic, t, full=True)
    tid = topic_id(topic.slug)
    return {
        "card": card.html,
        "sources": card.sources,
        "more": topics(library, topic.related, topic.slug, t.lang),
        "school_finder": topic.slug == FINDER_TOPIC,
        "follow": [(tid, t.gettext("🔔 Tell me when this answer changes"))],
        "back": _back(t, tid),
    }


def _back(t: Translator, tid: str) -> list[tuple[str, str]]:
    """Back to the short card: the button names the topic, so that it works after a restart
    too (see flows.revive)."""
    return [(tid, t.gettext("⬅️ Back"))]


async def get_bilingual(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    kb = library_of(dialog_manager)
    start = dialog_manager.start_data
    topic = kb.catalog.get(start.get("slug", "")) if isinstance(start, dict) else None
    t = translator(dialog_manager)
    if topic is None:
        return {"card": t.gettext(GONE), "sources": [], "back": []}
    i18n: I18n = dialog_manager.middleware_data["i18n"]
    card = bilingual_card(topic, t, i18n.get(SOURCE_LANGUAGE))
    return {"card": card.html, "sources": card.sources, "back": _back(t, topic_id(topic.slug))}


async def get_unknown(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    desk: Desk = dialog_manager.middleware_data["desk"]
    start = dialog_manager.start_data if isinstance(dialog_manager.start_data, dict) else {}
    forward = desk.available and bool(str(start.get("question", "")).strip())
    lang = translator(dialog_manager).lang
    data = dialog_manager.middleware_data
    return {
        "more": topics(library_of(dialog_manager), start.get("alternatives", []), "", lang),
        "forward": forward,
        "talk": not forward,
        "foreign": bool(start.get("foreign")),
        "kept": start.get("kept", True) is not False,
        "spoken": spoken(),
        "new_user": data.get("stored_lang") is None,
        "language_offer": language_offer(data["i18n"]),
    }


def make_dialog() -> Dialog:
    back = labelled_select(ID_BACK, "back", open_topic)  # the short card in its place
    more = Column(labelled_select(ID_MORE, "more", open_topic))
    return Dialog(
        Window(
            Format("{card}"),
            Links("sources", id="src"),
            labelled_select(ID_FOLLOW, "follow", follow),
            more,
            find_button(when="school_finder"),
            Row(back, talk_button(), menu_button()),
            getter=get_details,
            state=AnswerSG.details,
        ),
        Window(
            Format("{card}"),
            Links("sources", id="src_pl"),
            Row(back, menu_button()),
            getter=get_bilingual,
            state=AnswerSG.bilingual,
        ),
        Window(
            Tr(
                "🤔 I don't know this yet. I have passed your question on to the people who keep "
                "these answers up to date.",
                when="kept",
            ),
            Tr("🤔 I don't know this yet.", when=lambda data, *_: not data["kept"]),
            Tr("You can talk to a person, browse the topics, or ask in other words."),
            Tr(SPOKEN, when="foreign"),
            Tr("\nMaybe one of these helps:", when="more"),
            more,
            forward_button(),
            talk_button(when="talk"),
            category_buttons(),
            Start(
                Format("🌐 {language_offer}"),
                id=ID_LANGUAGE,
                state=LanguageSG.choose,
                when="new_user",
            ),
            menu_button(),
            getter=get_unknown,
            state=AnswerSG.unknown,
        ),
    )
