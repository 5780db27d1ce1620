"""Schools with a preparatory class: by district, and each school's card (also a deep link's
destination)."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Column, Row, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from flows.cards import school_card, title, topic_id
from flows.common import ID_FIND, library_of, menu_button
from flows.short_card import ID_MORE, open_topic
from flows.states import SchoolSG
from flows.widgets import Links, Tr, labelled_select, translator
from knowledge.schools import SchoolDoc

ID_DISTRICTS = "dst"
ID_SCHOOLS = "sch"
CARD_TOPICS = ("preparatory-class", "school-enrollment")
"""The general topics a school's card keeps one tap away."""
CITY_LIST = (
    "https://www.wroclaw.pl/en/preparatory-classes-for-children-speaking-languages-other-than-"
    "polish-where-do-they-take-place-and-where-can-you-sign-up"
)
"""The city's own list of schools with preparatory classes (it changes every school year)."""


def district_id(district: str) -> str:
    """A short ASCII button id for a district name (callback data is at most 64 bytes)."""
    return hashlib.blake2s(district.casefold().encode(), digest_size=4).hexdigest()


def districts(schools: Mapping[str, SchoolDoc]) -> dict[str, list[SchoolDoc]]:
    """District name → its schools, both sorted by name."""
    found: dict[str, list[SchoolDoc]] = {}
    for school in sorted(schools.values(), key=lambda s: s.name.casefold()):
        found.setdefault(school.district, []).append(school)
    return dict(sorted(found.items(), key=lambda item: item[0].casefold()))


def find_district(schools: Mapping[str, SchoolDoc], did: str) -> str | None:
    return next((name for name in districts(schools) if district_id(name) == did), None)


def _start(manager: DialogManager) -> dict[str, Any]:
    data = manager.start_data
    return data if isinstance(data, dict) else {}


async def get_districts(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    by_district = districts(library_of(dialog_manager).schools)
    items = [
        (district_id(name), f"📍 {name} ({len(group)})") for name, group in by_district.items()
    ]
    t = translator(dialog_manager)
    return {
        "districts": items,
        "none": not items,
        "city": [{"title": t.gettext("wroclaw.pl: preparatory classes"), "url": CITY_LIST}],
    }


async def get_schools(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    schools = library_of(dialog_manager).schools
    district = dialog_manager.dialog_data.get("district") or _start(dialog_manager).get("district")
    group = districts(schools).get(district or "", [])
    return {
        "district": html.escape(district or ""),
        "schools": [(school.code, "🏫 " + school.name) for school in group],
    }


async def get_card(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    kb = library_of(dialog_manager)
    t = translator(dialog_manager)
    school = kb.schools.get(_start(dialog_manager).get("code", ""))
    if school is None:
        return {
            "card": t.gettext("This school is no longer listed."),
            "links": [],
            "topics": [],
        }
    links = []
    if school.website:
        links.append({"title": "🌐 " + t.gettext("School website"), "url": school.website})
    if school.address and not school.demo:
        query = quote(f"{school.address}, Wrocław")
        map_url = f"https://www.openstreetmap.org/search?query={query}"
        links.append({"title": "🗺 " + t.gettext("Map"), "url": map_url})
    topics = [
        (topic_id(slug), "➡️ " + title(kb.catalog[slug], t.lang))
        for slug in CARD_TOPICS
        if slug in kb.catalog
    ]
    return {"card": school_card(school, t), "links": links, "topics": topics}


async def on_district(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, did: str
) -> None:
    district = find_district(library_of(manager).schools, did)
    if district is not None:
        manager.dialog_data["district"] = district
        await manager.switch_to(SchoolSG.schools)


async def on_school(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, code: str
) -> None:
    if code in library_of(manager).schools:
        await manager.start(SchoolSG.card, data={"code": code})


def make_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("🏫 <b>Schools with a preparatory class</b>"),
            Tr("Choose a district:", when="districts"),
            Tr(
                "No schools are listed here yet. The city's Education Department keeps the "
                "current list:",
                when="none",
            ),
            Column(labelled_select(ID_DISTRICTS, "districts", on_district)),
            Links("city", id="city", when="none"),
            menu_button(),
            getter=get_districts,
            state=SchoolSG.districts,
        ),
        Window(
            Tr("🏫 Schools with a preparatory class in <b>{district}</b>:"),
            Column(labelled_select(ID_SCHOOLS, "schools", on_school)),
            Row(SwitchTo(Tr("⬅️ Back"), id="back", state=SchoolSG.districts), menu_button()),
            getter=get_schools,
            state=SchoolSG.schools,
        ),
        Window(
            Format("{card}"),
            Links("links", id="school_links"),
            Column(labelled_select(ID_MORE, "topics", open_topic)),
            Row(Start(Tr("🏫 Other schools"), id=ID_FIND, state=SchoolSG.districts), menu_button()),
            getter=get_card,
            state=SchoolSG.card,
        ),
    )
