"""The usage overview a city team puts in its reports: counts, never people."""

from __future__ import annotations

import csv
import io
from datetime import date

from knowledge import usage
from tests.e2e.conftest import Harness, add_user, workspace


async def test_the_week_in_figures_without_anyone_in_them(demo: Harness) -> None:
    h, c = demo, demo.client
    t = h.i18n.get("uk")
    await c.ask(8801, "як отримати pesel", language_code="uk")
    await c.ask(8802, "Jak wyrobić numer PESEL?", language_code="pl")
    await c.ask(8803, "Who will win the football cup this year?", language_code="en")
    card = await c.ask(8804, "як отримати pesel", language_code="uk")
    await c.press(8804, card, t.gettext("🙋 Talk to a person"))
    await c.send(8804, "Мій номер телефону 600100200", language_code="uk")
    await h.runtime.services.flush_usage()  # done every few seconds by the bot's jobs

    await add_user(h, "anna", "editor")
    await add_user(h, "szkola", "school", school="demo-krzyki")
    async with workspace(h) as ws:
        assert await ws.login("anna") == 200
        status, page = await ws.get("/usage?lang=en")
        assert status == 200
        status, sheet = await ws.get("/usage.csv")
        assert status == 200
    assert "Who will win the football cup" in page  # the most asked without an answer
    assert "600100200" not in page and "8804" not in page  # nobody's words or ids
    row = next(csv.DictReader(io.StringIO(sheet)))
    assert row["week"] == usage.week_of(date.today()).isoformat()
    assert (row["questions"], row["answered"], row["abstained"]) == ("4", "3", "1")
    assert row["handoffs"] == "1" and row["abstention_rate"] == "0.250"
    async with workspace(h) as ws:
        assert await ws.login("szkola") == 200
        status, _ = await ws.get("/usage")
        assert status == 403  # a school's account sees its school, not the city's figures
