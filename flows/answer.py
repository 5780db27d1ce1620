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
from flows.handoff import forward_button, talk_button
from flows.states import AnswerSG, LanguageSG
from flows.subscribe import ID_FOLLOW, follow
from flows.widgets import Links, Tr, labelled_select, translator
from knowledge.handoff import Desk
from knowledge.i18n import I18n
from knowledge.languages import LANGUAGES, NATIVE_NAMES, SOURCE_LANGUAGE

ID_MORE = "more"
ID_VOTE = "vote"
ID_POLISH = "pl"
ID_DETAILS = "full"
FINDER_TOPIC = "preparatory-class"
SPOKEN = "\n🌐 Witaj speaks {spoken}. Write in one of them for the best answers."
"""The topic whose card offers the list of schools with a preparatory class."""


def _start(manager: DialogManager) -> dict[str, Any]:
    data = manager.start_data
    return data if isinstance(data, dict) else {}


def _more(
    manager: DialogManager, slug: str | None, *, alternatives: bool = True, related: bool = True
) -> list[tuple[str, str]]:
    """ "Did you mean" alternatives first, then related topics; never the card's own topic."""
    kb = library_of(manager)
    lang = translator(manager).lang
    start = _start(manager)
    wanted = list(start.get("alternatives", [])) if alternatives else []
    if related and slug and slug in kb.catalog:
        wanted += list(kb.catalog[slug].related)
    seen = {slug}
    items = []
    for other in wanted:
        if other in kb.catalog and other not in seen:
            seen.add(other)
            items.append((topic_id(other), "➡️ " + title(kb.catalog[other], lang)))
    return items[:4]


async def get_card(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    """The short answer first, with a few buttons; "More details" shows the rest."""
    kb = library_of(dialog_manager)
    t = translator(dialog_manager)
    slug = _start(dialog_manager).get("slug")
    topic = kb.catalog.get(slug) if isinstance(slug, str) else None
    full = dialog_manager.current_context().state == AnswerSG.details
    if topic is None:
        return {
            "card": t.gettext("This topic is no longer available."),
            "sources": [],
            "more": [],
            "details": [],
            "votes": [],
            "polish": [],
            "follow": [],
            "unsure": False,
            "school_finder": False,
            **_language_offer(dialog_manager),
            **_languages_spoken(dialog_manager),
        }
    card = answer_card(topic, t, full=full)
    tid = topic_id(topic.slug)
    # Buttons that act on the topic carry its id, so that they still work on an old card whose
    # dialog is gone (see flows.revive).
    votes = [(f"+{tid}", t.gettext("👍 Helpful")), (f"-{tid}", t.gettext("👎 Not helpful"))]
    return {
        "card": card.html,
        "sources": card.sources,
        # The short card offers the "did you mean" topics; the details the related ones.
        "more": _more(dialog_manager, topic.slug, alternatives=not full, related=full),
        "details": [(tid, t.gettext("📖 More details"))],
        "unsure": bool(_start(dialog_manager).get("unsure")) and not full,
        "school_finder": topic.slug == FINDER_TOPIC,
        "votes": [] if dialog_manager.dialog_data.get("voted") else votes,
        "polish": [] if t.lang == SOURCE_LANGUAGE else [(tid, t.gettext("🇵🇱 Show in Polish"))],
        "follow": [(tid, t.gettext("🔔 Tell me when this answer changes"))],
        **_language_offer(dialog_manager),
        **_languages_spoken(dialog_manager),
    }


def _languages_spoken(manager: DialogManager) -> dict[str, Any]:
    """For a question in another language: which languages Witaj speaks, in their own names."""
    return {
        "foreign": bool(_start(manager).get("foreign")),
        "spoken": " · ".join(NATIVE_NAMES[code] for code in LANGUAGES),
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
    i18n: I18n = dialog_manager.middleware_data["i18n"]
    card = bilingual_card(topic, translator(dialog_manager), i18n.get(SOURCE_LANGUAGE))
    return {"card": card.html, "sources": card.sources}


async def get_unknown(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    desk: Desk = dialog_manager.middleware_data["desk"]
    forward = desk.available and bool(str(_start(dialog_manager).get("question", "")).strip())
    return {
        "more": _more(dialog_manager, None),
        "forward": forward,
        "talk": not forward,
        **_language_offer(dialog_manager),
        **_languages_spoken(dialog_manager),
    }


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


async def show_details(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, _item: str
) -> None:
    await manager.switch_to(AnswerSG.details)


def _more_select() -> Column:
    return Column(labelled_select(ID_MORE, "more", open_topic))


language_offer = Start(
    Format("🌐 {language_offer}"),
    id="choose_lang",
    state=LanguageSG.choose,
    when="new_user",
)


def make_dialog() -> Dialog:
    back = SwitchTo(Tr("⬅️ Back"), id="back", state=AnswerSG.card)
    return Dialog(
        Window(
            Format("{card}"),
            Tr(SPOKEN, when="foreign"),
            Tr("\nDid you mean one of these?", when="unsure"),
            Row(
                labelled_select(ID_DETAILS, "details", show_details),
                labelled_select(ID_POLISH, "polish", show_polish),
            ),
            labelled_select(ID_VOTE, "votes", on_vote),
            Row(talk_button(), menu_button()),
            _more_select(),
            language_offer,
            getter=get_card,
            state=AnswerSG.card,
        ),
        Window(
            Format("{card}"),
            Links("sources", id="src"),
            labelled_select(ID_FOLLOW, "follow", follow),
            _more_select(),
            find_button(when="school_finder"),
            Row(back, talk_button(), menu_button()),
            getter=get_card,
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
                "these answers up to date."
            ),
            Tr("You can talk to a person, browse the topics, or ask in other words."),
            Tr(SPOKEN, when="foreign"),
            Tr("\nMaybe one of these helps:", when="more"),
            _more_select(),
            forward_button(),
            talk_button(when="talk"),
            category_buttons(),
            language_offer,
            menu_button(),
            getter=get_unknown,
            state=AnswerSG.unknown,
        ),
    )
