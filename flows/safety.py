"""The safety reply: 112 and the helpline that fits, at once, before any search.

The text is content (`knowledge/content/safety/crisis.yaml`), in the language the person wrote
in; the buttons open the answers that help next and hand over to a person, marked urgent.
"""

from __future__ import annotations

import html
from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Column
from aiogram_dialog.widgets.text import Format

from flows.cards import title, topic_id
from flows.common import library_of, menu_button
from flows.short_card import open_topic_below
from flows.states import HandoffSG, SafetySG
from flows.widgets import Tr, labelled_select, translator
from knowledge import safety
from knowledge.handoff import Desk
from knowledge.i18n import RLM
from knowledge.languages import RTL_LANGUAGES
from knowledge.render import isolate_ltr, to_html

ID_TOPIC = "help"
ID_PERSON = "urgent_person"


def start_data(alarm: safety.Alarm, lang: str, ticket: int | None = None) -> dict[str, Any]:
    """What the dialog needs, as plain data (it may be stored in Redis)."""
    data: dict[str, Any] = {"kinds": [kind.value for kind in alarm.kinds], "lang": lang}
    if ticket is not None:
        data["ticket"] = ticket
    return data


def _data(manager: DialogManager) -> dict[str, Any]:
    data = manager.start_data
    return data if isinstance(data, dict) else {}


async def get_alert(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    doc: safety.SafetyDoc = dialog_manager.middleware_data["safety_check"].doc
    handoff: Desk = dialog_manager.middleware_data["desk"]
    data = _data(dialog_manager)
    kinds = tuple(safety.Kind(k) for k in data.get("kinds", ()) if k in set(safety.Kind))
    alarm = safety.Alarm(kinds or (safety.Kind.DANGER,), (), ())
    lang = str(data.get("lang") or translator(dialog_manager).lang)
    after_hours = handoff.available and handoff.expect_answer(lang) is not None
    reply = safety.reply(doc, alarm, lang, after_hours=after_hours)
    text = isolate_ltr(reply.text) if reply.lang in RTL_LANGUAGES else reply.text
    catalog = library_of(dialog_manager).catalog
    t = translator(dialog_manager)
    return {
        "text": (RLM if reply.lang in RTL_LANGUAGES else "") + to_html(text),
        "topics": [
            (topic_id(slug), "➡️ " + html.escape(title(catalog[slug], t.lang)))
            for slug in dict.fromkeys((*reply.topics, "emergency-numbers"))
            if slug in catalog
        ][:3],
        "person": handoff.available and "ticket" not in data,
        "in_ticket": "ticket" in data,
        "ticket": data.get("ticket", ""),
    }


async def _person(_callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await manager.start(HandoffSG.write, data={"urgent": True, "safety": _data(manager)})


def make_dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{text}"),
            Tr("\n✉️ Your message was passed on to a person (#{ticket}).", when="in_ticket"),
            Column(labelled_select(ID_TOPIC, "topics", open_topic_below)),
            Button(Tr("🙋 Talk to a person now"), id=ID_PERSON, on_click=_person, when="person"),
            menu_button(),
            getter=get_alert,
            state=SafetySG.alert,
        ),
    )
