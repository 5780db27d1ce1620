"""Practitioners' replies in the migrant's language, and the migrant's messages in the team's —
each with its original; against a local fake translation server (no network)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from knowledge import machine_translation as mt
from tests.e2e.conftest import Harness, free_port, running
from tests.e2e.test_handoff import ANNA, group_post, last_bot_message, reply_in_group, start_in

MIGRANT = 6300


class FakeLibreTranslate:
    """LibreTranslate's `/translate`, answering "[target] text"; can be made to fail."""

    def __init__(self) -> None:
        self.failing = False
        self.seen: list[dict[str, Any]] = []
        self.port = free_port()
        self.runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def translate(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.seen.append(body)
        if self.failing:
            return web.json_response({"error": "overloaded"}, status=503)
        return web.json_response({"translatedText": f"[{body['target']}] {body['q']}"})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/translate", self.translate)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


@contextlib.asynccontextmanager
async def fake_server() -> AsyncIterator[FakeLibreTranslate]:
    server = FakeLibreTranslate()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def translating(tmp_path: Path) -> AsyncIterator[tuple[FakeLibreTranslate, Harness]]:
    """The bot with LibreTranslate on, against the fake server."""
    async with (
        fake_server() as fake,
        running(
            tmp_path, "polling", translate_provider="libretranslate", libretranslate_url=fake.url
        ) as h,
    ):
        yield fake, h


async def test_a_reply_arrives_translated_with_its_original_and_without_the_server_too(
    tmp_path: Path,
) -> None:
    async with translating(tmp_path) as (fake, h):
        c, t, staff = h.client, h.i18n.get("uk"), h.i18n.get("pl")
        await start_in(h, MIGRANT, "uk")
        await c.ask(MIGRANT, "/person", language_code="uk")
        await c.ask(MIGRANT, "Моя донька захворіла, що робити зі школою?", language_code="uk")
        post = await group_post(h, lambda m: "захворіла" in m["text"])
        # The team reads it in Polish first, the original below.
        assert "[pl] Моя донька захворіла" in post["text"]
        label = staff.gettext("Translated automatically — original:")
        assert (
            post["text"].index("[pl]")
            < post["text"].index(label)
            < post["text"].rindex("Моя донька захворіла")
        )
        assert fake.seen[0]["source"] == "uk" and fake.seen[0]["target"] == "pl"

        await reply_in_group(h, ANNA, post, "Proszę napisać do wychowawcy przez e-dziennik.")
        relayed = await last_bot_message(h, MIGRANT, lambda m: "e-dziennik" in m["text"])
        assert "[uk] Proszę napisać" in relayed["text"]
        assert t.gettext("Translated automatically — original:") in relayed["text"]

        fake.failing = True  # the server answers, but not with a translation
        await reply_in_group(h, ANNA, post, "Drugie pytanie: czy ma zwolnienie lekarskie?")
        plain = await last_bot_message(h, MIGRANT, lambda m: "zwolnienie" in m["text"])
        assert "[uk]" not in plain["text"]
        assert t.gettext("(Automatic translation is not available right now.)") in plain["text"]

        await fake.stop()  # and now there is no server at all: the original still arrives
        await reply_in_group(h, ANNA, post, "Trzecie: proszę przynieść zaświadczenie.")
        await last_bot_message(h, MIGRANT, lambda m: "Trzecie" in m["text"])
        await c.ask(MIGRANT, "Дякую, принесу.", language_code="uk")
        await group_post(h, lambda m: "Дякую, принесу." in m["text"])


async def test_a_practitioner_writing_in_the_migrants_language_is_sent_as_written(
    tmp_path: Path,
) -> None:
    async with translating(tmp_path) as (fake, h):
        fake.seen.clear()
        await start_in(h, MIGRANT + 1, "pl")
        await h.client.ask(MIGRANT + 1, "/person", language_code="pl")
        await h.client.ask(MIGRANT + 1, "Czy mogę przyjść jutro?", language_code="pl")
        post = await group_post(h, lambda m: "przyjść jutro" in m["text"])
        assert "[pl]" not in post["text"]  # Polish to a Polish-speaking team: nothing to do
        assert fake.seen == []


class FakeDeepL:
    """Stands in for `deepl.Translator` (the official client is synchronous)."""

    calls: list[tuple[str, str | None, str]] = []  # noqa: RUF012 - shared by the instances

    def __init__(self, auth_key: str) -> None:
        self.auth_key = auth_key

    def translate_text(self, text: str, *, source_lang: str | None, target_lang: str) -> Any:
        FakeDeepL.calls.append((text, source_lang, target_lang))

        class Result:
            pass

        result = Result()
        result.text = f"<{target_lang}> {text}"  # type: ignore[attr-defined]
        return result


async def test_an_outside_service_gets_a_migrants_words_only_with_consent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import deepl

    monkeypatch.setattr(deepl, "Translator", FakeDeepL)
    FakeDeepL.calls.clear()
    async with running(tmp_path, "polling", translate_provider="deepl", deepl_auth_key="k") as h:
        c, t = h.client, h.i18n.get("ru")
        await start_in(h, MIGRANT + 2, "ru")
        about = await c.ask(MIGRANT + 2, "/privacy", language_code="ru")
        assert "DeepL" in about["text"]
        write = await c.ask(MIGRANT + 2, "/person", language_code="ru")
        assert "DeepL" in write["text"]
        _, toast = await c.press(MIGRANT + 2, write, t.gettext("✍️ No, send as I write"))
        assert toast == t.gettext("Your messages will be sent as you write them.")
        await c.ask(MIGRANT + 2, "Мой сын не ходит в школу, кому писать?", language_code="ru")
        post = await group_post(h, lambda m: "Мой сын" in m["text"])
        assert "<PL>" not in post["text"] and FakeDeepL.calls == []
        again = await c.ask(MIGRANT + 2, "/person", language_code="ru")
        assert "DeepL" not in again["text"]  # asked once

        await start_in(h, MIGRANT + 3, "ru")
        write = await c.ask(MIGRANT + 3, "/person", language_code="ru")
        await c.press(MIGRANT + 3, write, t.gettext("✅ Yes, translate"))
        await c.ask(MIGRANT + 3, "Где взять справку из школы?", language_code="ru")
        post = await group_post(h, lambda m: "справку" in m["text"])
        assert "<PL> Где взять справку из школы?" in post["text"]
        assert FakeDeepL.calls[-1] == ("Где взять справку из школы?", "RU", "PL")


async def test_deepl_is_called_off_the_event_loop_and_given_up_on_in_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading
    import time

    import deepl

    loop_thread = threading.get_ident()
    threads: list[int] = []

    class Slow(FakeDeepL):
        def translate_text(self, text: str, *, source_lang: str | None, target_lang: str) -> Any:
            threads.append(threading.get_ident())
            time.sleep(0.5)
            return super().translate_text(text, source_lang=source_lang, target_lang=target_lang)

    monkeypatch.setattr(deepl, "Translator", Slow)
    assert await mt.translate(mt.DeepL("k", timeout=0.1), "Привет", "ru", "pl") is None
    assert threads and threads[0] != loop_thread
    assert await mt.translate(mt.DeepL("k", timeout=2), "Привіт", "uk", "be") is None  # not offered
