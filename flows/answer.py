"""The answer card, its bilingual version, and the honest "I don't know yet"."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Column, Row, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from flows.cards import answer_card, bilingual_card, title, topic_id
from flows.common import (
    category_buttons,
    find_button,
    library_of,
    menu_button,
    open_topic,
    services_of,
    slug_of,
    user_key_of,
)
from flows.handoff import talk_button
from flows.states import AnswerSG, LanguageSG
from flows.subscribe import ID_FOLLOW, follow
from flows.widgets import Links, Tr, labelled_select, translator
from knowledge.i18n import I18n
from knowledge.languages import LANGUAGES, SOURCE_LANGUAGE

ID_MORE = "more"
ID_VOTE = "vote"
ID_POLISH = "pl"
FINDER_TOPIC = "preparatory-class"
"""The topic whose card offers the list of schools with a preparatory class."""


def _start(manager: DialogManager) -> dict[str, Any]:
    data = manager.start_data
    return data if isinstance(data, dict) else {}


def _more(manager: DialogManager, slug: str | None) -> list[tuple[str, str]]:
    """ "Did you mean" alternatives first, then related topics; never the card's own topic."""
    kb = library_of(manager)
    lang = translator(manager).lang
    start = _start(manager)
    wanted = list(start.get("alternatives", []))
    if slug and slug in kb.catalog:
        wanted += list(kb.catalog[slug].related)
    seen = {slug}
    items = []
    for other in wanted:
        if other in kb.catalog and other not in seen:
            seen.add(other)
            items.append((topic_id(other), "➡️ " + title(kb.catalog[other], lang)))
    return items[:4]


async def get_card(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    kb = library_of(dialog_manager)
    t = translator(dialog_manager)
    slug = _start(dialog_manager).get("slug")
    topic = kb.catalog.get(slug) if isinstance(slug, str) else None
    if topic is None:
        return {
            "card": t.gettext("This topic is no longer available."),
            "sources": [],
            "more": [],
            "votes": [],
            "polish": [],
            "follow": [],
            "unsure": False,
            "school_finder": False,
            **_language_offer(dialog_manager),
        }
    card = answer_card(topic, t)
    tid = topic_id(topic.slug)
    # Buttons that act on the topic carry its id, so that they still work on an old card whose
    # dialog is gone (see flows.revive).
    votes = [(f"+{tid}", t.gettext("👍 Helpful")), (f"-{tid}", t.gettext("👎 Not helpful"))]
    return {
        "card": card.html,
        "sources": card.sources,
        "more": _more(dialog_manager, topic.slug),
        "unsure": bool(_start(dialog_manager).get("unsure")),
        "school_finder": topic.slug == FINDER_TOPIC,
        "votes": [] if dialog_manager.dialog_data.get("voted") else votes,
        "polish": [] if t.lang == SOURCE_LANGUAGE else [(tid, t.gettext("🇵🇱 Show in Polish"))],
        "follow": [(tid, t.gettext("🔔 Tell me when this answer changes"))],
        **_language_offer(dialog_manager),
    }


def _language_offer(manager: DialogManager) -> dict[str, Any]:
    """Before a language is chosen, every answer keeps the way to choose one visible."""
    i18n: I18n = manager.middleware_data["i18n"]
    names = dict.fromkeys(i18n.get(code).gettext("Language") for code in LANGUAGES)
    return {
        "new_user": manager.middleware_data.get("stored_lang") is None,
        "language_offer": " · ".join(names),
    }


async def get_bilingual(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    kb = library_of(dialog_manager)
    topic = kb.catalog.get(_start(dialog_manager).get("slug", ""))
    if topic is None:
        return {
            "card": translator(dialog_manager).gettext("This topic is no longer available."),
            "sources": [],
        }
    card = bilingual_card(topic, translator(dialog_manager))
    return {"card": card.html, "sources": card.sources}


async def get_unknown(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    return {"more": _more(dialog_manager, None), **_language_offer(dialog_manager)}


async def on_vote(callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str) -> None:
    slug = slug_of(manager, item[1:])
    if slug is not None and await vote(callback, manager, slug, helpful=item.startswith("+")):
        manager.dialog_data["voted"] = True


async def vote(
    callback: CallbackQuery, manager: DialogManager, slug: str, *, helpful: bool
) -> bool:
    """Record 👍/👎 (once per person, topic and language) and thank the person."""
    t = translator(manager)
    stored = await services_of(manager).record_feedback(
        user_key_of(manager), slug, t.lang, helpful=helpful
    )
    if stored:
        await callback.answer(t.gettext("Thank you for your feedback!"))
    return stored


async def show_polish(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, _item: str
) -> None:
    await manager.switch_to(AnswerSG.bilingual)


def _more_select() -> Column:
    return Column(labelled_select(ID_MORE, "more", open_topic))


language_offer = Start(
    Format("🌐 {language_offer}"),
    id="choose_lang",
    state=LanguageSG.choose,
    when="new_user",
)


def make_dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{card}"),
            Tr("\nDid you mean one of these?", when="unsure"),
            Links("sources", id="src"),
            labelled_select(ID_VOTE, "votes", on_vote),
            _more_select(),
            labelled_select(ID_POLISH, "polish", show_polish),
            labelled_select(ID_FOLLOW, "follow", follow),
            find_button(when="school_finder"),
            language_offer,
            Row(talk_button(), menu_button()),
            getter=get_card,
            state=AnswerSG.card,
        ),
        Window(
            Format("{card}"),
            Links("sources", id="src_pl"),
            Row(SwitchTo(Tr("⬅️ Back"), id="back", state=AnswerSG.card), menu_button()),
            getter=get_bilingual,
            state=AnswerSG.bilingual,
        ),
        Window(
            Tr(
                "🤔 I don't know this yet. I have passed your question on to the people who keep "
                "these answers up to date."
            ),
            Tr("You can talk to a person, browse the topics, or ask in other words."),
            Tr("\nMaybe one of these helps:", when="more"),
            _more_select(),
            talk_button(),
            category_buttons(),
            language_offer,
            menu_button(),
            getter=get_unknown,
            state=AnswerSG.unknown,
        ),
    )
