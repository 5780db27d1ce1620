"""The answer card, its bilingual version, and the honest "I don't know yet"."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Column, Row, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.i18n import I18n
from flows.cards import answer_card, bilingual_card, title, topic_id
from flows.common import (
    category_buttons,
    knowledge_of,
    menu_button,
    open_topic,
    session_of,
    user_key_of,
)
from flows.states import AnswerSG, HandoffSG, LanguageSG
from flows.widgets import Links, Tr, labelled_select, translator
from knowledge import people
from knowledge.languages import LANGUAGES, SOURCE_LANGUAGE

ID_MORE = "more"
ID_UP = "up"
ID_DOWN = "down"


def _start(manager: DialogManager) -> dict[str, Any]:
    data = manager.start_data
    return data if isinstance(data, dict) else {}


def _more(manager: DialogManager, slug: str | None) -> list[tuple[str, str]]:
    """ "Did you mean" alternatives first, then related topics; never the card's own topic."""
    kb = knowledge_of(manager)
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
    kb = knowledge_of(dialog_manager)
    t = translator(dialog_manager)
    slug = _start(dialog_manager).get("slug")
    topic = kb.catalog.get(slug) if isinstance(slug, str) else None
    if topic is None:
        return {
            "card": t.gettext("This topic is no longer available."),
            "sources": [],
            "more": [],
            "voted": False,
            "not_polish": False,
            "unsure": False,
            **_language_offer(dialog_manager),
        }
    card = answer_card(topic, t)
    return {
        "card": card.html,
        "sources": card.sources,
        "more": _more(dialog_manager, topic.slug),
        "unsure": bool(_start(dialog_manager).get("unsure")),
        "voted": bool(dialog_manager.dialog_data.get("voted")),
        "not_polish": t.lang != SOURCE_LANGUAGE,
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
    kb = knowledge_of(dialog_manager)
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


async def on_vote(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    slug = _start(manager).get("slug")
    t = translator(manager)
    if not isinstance(slug, str):
        return
    session = session_of(manager)
    stored = await people.record_feedback(
        session, user_key_of(manager), slug, t.lang, helpful=button.widget_id == ID_UP
    )
    await session.commit()
    if stored:
        manager.dialog_data["voted"] = True
        await callback.answer(t.gettext("Thank you for your feedback!"))


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
            Row(
                Button(Tr("👍 Helpful"), id=ID_UP, on_click=on_vote),
                Button(Tr("👎 Not helpful"), id=ID_DOWN, on_click=on_vote),
                when=lambda data, *_: not data["voted"],
            ),
            _more_select(),
            SwitchTo(Tr("🇵🇱 Show in Polish"), id="pl", state=AnswerSG.bilingual, when="not_polish"),
            language_offer,
            Row(Start(Tr("🙋 Talk to a person"), id="person", state=HandoffSG.soon), menu_button()),
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
            Start(Tr("🙋 Talk to a person"), id="person", state=HandoffSG.soon),
            category_buttons(),
            language_offer,
            menu_button(),
            getter=get_unknown,
            state=AnswerSG.unknown,
        ),
    )
