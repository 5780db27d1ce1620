"""Schools: deep links through the sandbox, the district finder, workspace pages, QR codes."""

from __future__ import annotations

import asyncio
import io
import time
from datetime import date

import pytest
from aiohttp import ClientSession
from sqlalchemy import func, select

from flows.cards import SCHOOL_SECTIONS, title
from knowledge import schools
from knowledge.languages import LANGUAGES, NATIVE_NAMES
from knowledge.links import school_link
from knowledge.models import School, SchoolOpen
from sandbox.client import buttons, find_button
from sandbox.server import BOT_USERNAME
from tests.e2e.conftest import Harness, add_user, workspace

CODE = "demo-krzyki"
NAME = "Szkoła Podstawowa DEMO nr 1"


async def opens(h: Harness, channel: str, expected: int) -> int:
    """This week's count for the demo school, waiting briefly for the bot's commit."""
    deadline = time.monotonic() + 5
    while True:
        async with h.store.sessions() as session:
            n = int(
                await session.scalar(
                    select(func.coalesce(func.sum(SchoolOpen.count), 0))
                    .join(School)
                    .where(School.code == CODE, SchoolOpen.channel == channel)
                )
                or 0
            )
        if n == expected or time.monotonic() > deadline:
            return n
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_deep_link_opens_the_school_card_after_choosing_a_language(
    demo: Harness, lang: str
) -> None:
    c, t = demo.client, demo.i18n.get(lang)
    user = 7100 + LANGUAGES.index(lang)
    prompt = await c.ask(user, f"/start s-{CODE}", language_code=lang)
    assert t.gettext("Choose your language") in prompt["text"]  # a new user picks first
    card, _ = await c.press(user, prompt, NATIVE_NAMES[lang])
    assert NAME in card["text"]
    for label in SCHOOL_SECTIONS.values():
        assert t.gettext(label) in card["text"]
    school = demo.library.schools[CODE]
    assert school.infos[lang].how_to_apply[:30] in card["text"]
    assert t.gettext("Demo school: invented for trying Witaj out.") in card["text"]
    # The general topics are one tap away, in the same language.
    topic = demo.library.catalog["preparatory-class"]
    answer, _ = await c.press(user, card, title(topic, lang))
    assert title(topic, lang) in answer["text"]
    assert await opens(demo, "bot", 1) == 1


async def test_known_user_lands_on_the_card_and_bad_payloads_fall_back(demo: Harness) -> None:
    c, t = demo.client, demo.i18n.get("uk")
    user = 7200
    prompt = await c.ask(user, "/start", language_code="uk")
    await c.press(user, prompt, NATIVE_NAMES["uk"])
    card = await c.ask(user, f"/start s-{CODE}", language_code="uk")
    assert NAME in card["text"] and t.gettext("What to bring") in card["text"]
    sorry = t.gettext(
        "This link did not work: it is incomplete, or the school is no longer listed."
    )
    for payload in ("s-no-such-school", "s-", "x" * 65, "s-bad%20code", "s-" + "a" * 62, "zzz"):
        reply = await c.ask(user, f"/start {payload}", language_code="uk")
        first = reply["message_id"]
        messages = await c.wait_until(
            user, lambda ms, first=first: ms[-1]["message_id"] > first and "reply_markup" in ms[-1]
        )
        texts = [m["text"] for m in messages if m["message_id"] >= first]
        assert texts[0] == sorry, payload
        assert t.gettext("Pick a topic, or just type your question in any language.") in texts[-1]
    assert await opens(demo, "bot", 1) == 1  # only the good link counted


async def test_find_a_school_by_district(demo: Harness) -> None:
    c, t = demo.client, demo.i18n.get("ru")
    user = 7300
    prompt = await c.ask(user, "/start", language_code="ru")
    menu, _ = await c.press(user, prompt, NATIVE_NAMES["ru"])
    districts, _ = await c.press(user, menu, t.gettext("🏫 Find a school with a preparatory class"))
    labels = [b["text"] for b in buttons(districts)]
    assert "📍 Krzyki (1)" in labels and "📍 Psie Pole (1)" in labels
    listing, _ = await c.press(user, districts, "Psie Pole")
    card, _ = await c.press(user, listing, "DEMO nr 2")
    assert "DEMO nr 2" in card["text"] and t.gettext("How to apply") in card["text"]
    # A district button on an old message still works after the dialog moved on.
    await c.ask(user, "/menu", language_code="ru")
    before = (await c.chat(user))["version"]
    psie_pole = find_button(districts, "Psie Pole")["callback_data"]
    await c.click(user, districts["message_id"], psie_pole)
    # Waited for by content: under load the press is answered before the listing is sent.
    await c.wait_until(
        user, lambda ms: "DEMO nr 2" in str(ms[-1].get("reply_markup")), since=before
    )
    # The preparatory-class topic offers the finder too.
    answer = await c.ask(user, "подготовительный класс для ребёнка", language_code="ru")
    details, _ = await c.press(user, answer, t.gettext("📖 More details"))
    find_button(details, t.gettext("🏫 Find a school with a preparatory class"))


async def test_real_bot_never_shows_demo_schools(tmp_path: object, demo: Harness) -> None:
    assert CODE in demo.library.schools
    url = demo.store.engine.url.render_as_string(hide_password=False)
    from knowledge.library import Librarian
    from knowledge.store import Store

    production = await Store.open(url, demo=False)
    try:
        assert (await Librarian.open(production, demo=False)).current.schools == {}
        async with production.sessions() as session:
            assert await schools.list_schools(session) == []
    finally:
        await production.close()


async def test_school_account_edits_its_school_and_the_bot_shows_it(demo: Harness) -> None:
    await add_user(demo, "sp1", "school", school=CODE)
    await add_user(demo, "ola", "editor")
    async with workspace(demo) as ws:
        assert await ws.login("sp1") == 200
        status, page = await ws.get("/schools")
        assert status == 200 and CODE in page and "demo-psie-pole" not in page
        status, page = await ws.get("/schools/demo-psie-pole")
        assert status == 403  # another school's page
        status, page = await ws.get(f"/schools/{CODE}/uk")
        assert status == 200 and 'id="editor"' in page
        version = schools_version(page)
        new = "Приходьте у вівторок о 10:00 до кабінету 12."
        form = {
            "version": version,
            "who_can_join": "Діти 7-15 років.",
            "how_to_apply": new,
            "what_to_bring": "Паспорт.",
            "action": "review",
        }
        status, page = await ws.post(f"/schools/{CODE}/uk", form)
        assert status == 200 and "reviewed" in page
        # The same form again (a second tab) is a conflict that loses nothing.
        status, page = await ws.post(f"/schools/{CODE}/uk", {**form, "how_to_apply": "Mine"})
        assert status == 409 and "Mine" in page and new in page
        # A school account may not touch the facts of another school.
        status, _ = await ws.post("/schools/demo-psie-pole", {"name": "x", "district": "y"})
        assert status == 403
        # History: restore the demo text.
        status, page = await ws.get(f"/schools/{CODE}/uk")
        revision = page.split(f"/schools/{CODE}/uk/restore/")[1].split('"')[0]
        status, page = await ws.post(f"/schools/{CODE}/uk/restore/{revision}", {})
        assert status == 200 and "draft" in page
    # The bot reads the new directory without a restart.
    await until_school(demo, lambda doc: doc.infos["uk"].status.value == "draft")

    async with workspace(demo) as ws:
        assert await ws.login("ola") == 200
        status, _ = await ws.post(f"/schools/{CODE}/uk", form)
        assert status == 403  # editors edit topics, not schools


def schools_version(page: str) -> str:
    return page.split('name="version" value="')[1].split('"')[0]


async def until_school(h: Harness, check: object, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not (CODE in h.library.schools and check(h.library.schools[CODE])):  # type: ignore[operator]
        assert time.monotonic() < deadline, "the bot's directory did not change"
        await asyncio.sleep(0.05)


async def test_admin_adds_a_school_and_downloads_its_qr_codes(demo: Harness) -> None:
    import zxingcpp  # type: ignore[import-not-found]
    from PIL import Image

    await add_user(demo, "admin", "admin")
    async with workspace(demo) as ws:
        assert await ws.login("admin") == 200
        status, page = await ws.post(
            "/schools", {"code": "bad code!", "name": "X", "district": "Krzyki"}
        )
        assert status == 400 and "bad code!" in page  # what was typed stays in the form
        status, page = await ws.post(
            "/schools", {"code": "sp-118", "name": "SP 118", "district": "Fabryczna"}
        )
        assert status == 200 and "sp-118" in page
        async with ws.http.get(ws.url + "/schools/sp-118/qr.png") as resp:
            assert resp.status == 200 and resp.content_type == "image/png"
            png = await resp.read()
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
        assert [r.text for r in found] == [school_link(BOT_USERNAME, "sp-118")]
        status, svg = await ws.get("/schools/sp-118/qr.svg")
        assert status == 200 and svg.lstrip().startswith("<?xml")
    await until_school_code(demo, "sp-118")


async def until_school_code(h: Harness, code: str) -> None:
    deadline = time.monotonic() + 10
    while code not in h.library.schools:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)


async def test_public_page_counts_visits_and_switches_language(demo: Harness) -> None:
    assert demo.runtime.web_url is not None
    async with ClientSession() as http:
        url = f"{demo.runtime.web_url}/s/{CODE}"
        async with http.get(url, headers={"Accept-Language": "ar,en;q=0.5"}) as resp:
            page = await resp.text()
            assert resp.status == 200 and not resp.cookies  # no cookie for parents
        assert 'lang="ar" dir="rtl"' in page and NAME in page
        async with http.get(url + "?lang=be&sw=1") as resp:
            page = await resp.text()
        assert demo.i18n.get("be").gettext("How to apply") in page
        assert school_link(BOT_USERNAME, CODE) in page
        async with http.get(f"{demo.runtime.web_url}/s/nope<script>") as resp:
            page = await resp.text()
            assert resp.status == 404 and "<script>" not in page
    assert await opens(demo, "web", 1) == 1  # the language switch is the same visit
    async with demo.store.sessions() as session:
        weeks = await schools.opens_by_week(session, date.today())
    assert sum(w.web for counts in weeks.values() for w in counts) == 1
