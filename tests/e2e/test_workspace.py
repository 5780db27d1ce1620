"""The practitioners' workspace over HTTP, beside the real bot in the sandbox."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.reminders import send_reminders
from knowledge import gaps, lint, matrix
from knowledge.i18n import workspace_i18n
from knowledge.models import Practitioner
from knowledge.repository import get_translation, load_topics, translation_doc
from knowledge.reviewing import Cell
from tests.e2e.conftest import Harness, add_user, workspace


async def form(h: Harness, slug: str, lang: str, **changes: str) -> dict[str, str]:
    """The editor's form as the page would send it, with some fields changed."""
    async with h.store.sessions() as session:
        row = await get_translation(session, slug, lang)
        assert row is not None
        doc, version = translation_doc(row), row.version
    fields = {
        "version": str(version),
        "title": doc.title,
        "summary": doc.summary or "",
        "answer": doc.answer,
        "valid_until": doc.valid_until.isoformat() if doc.valid_until else "",
        "phrasings": "\n".join(doc.phrasings),
        "keywords": "\n".join(doc.keywords),
        "sources": "\n".join(
            " | ".join([s.title, s.url] + ([f"homepage: {s.homepage}"] if s.homepage else []))
            for s in doc.sources
        ),
        "action": "save",
    }
    if lang == "pl":
        fields["clerk_note"] = doc.clerk_note or ""
    fields.update(changes)
    return fields


async def stored(h: Harness, slug: str, lang: str) -> Any:
    async with h.store.sessions() as session:
        row = await get_translation(session, slug, lang)
        assert row is not None
        return translation_doc(row), row.version


async def until(check: Any, seconds: float = 20.0) -> None:
    for _ in range(int(seconds * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def test_logged_out_and_csrf_less_requests_are_refused(polling: Harness) -> None:
    await add_user(polling, "anna", "editor")
    async with workspace(polling) as ws:
        status, page = await ws.get("/")
        assert status == 200 and 'name="password"' in page  # redirected to the login page
        status, _ = await ws.post("/t/pesel/uk", await form(polling, "pesel", "uk"))
        assert status == 403  # logged out
        assert await ws.login("anna") == 200
        before = await stored(polling, "pesel", "uk")
        changed = await form(polling, "pesel", "uk", answer="forged")
        status, _ = await ws.post("/t/pesel/uk", changed, csrf=False)
        assert status == 403
        ws.csrf = "x" * 32
        status, _ = await ws.post("/t/pesel/uk", changed)
        assert status == 403
        assert await stored(polling, "pesel", "uk") == before


async def test_wrong_passwords_are_throttled(polling: Harness) -> None:
    await add_user(polling, "anna", "editor")
    async with workspace(polling) as ws:
        statuses = [await ws.login("anna", "wrong password!") for _ in range(6)]
        assert statuses == [401] * 5 + [429]
        assert await ws.login("anna") == 429  # even the right password waits
        _status, page = await ws.get("/")
        assert 'name="password"' in page


async def test_an_edit_reaches_the_bot_without_a_restart(polling: Harness) -> None:
    await add_user(polling, "anna", "editor")
    async with workspace(polling) as ws:
        assert await ws.login("anna") == 200
        new = "Numer PESEL dostaniesz w urzędzie gminy. Sprawdzone dziś: okienko 7."
        # The short answer: what the bot shows first.
        status, _ = await ws.post("/t/pesel/pl", await form(polling, "pesel", "pl", summary=new))
        assert status == 200
    doc, _ = await stored(polling, "pesel", "pl")
    assert doc.summary == new and doc.status.value == "draft"

    async def bot_says_it() -> bool:
        reply = await polling.client.ask(8801, "Jak wyrobić numer PESEL?", language_code="pl")
        return "okienko 7" in reply["text"]

    await until(bot_says_it)


async def test_review_history_diff_and_restore(polling: Harness) -> None:
    await add_user(polling, "anna", "editor")
    async with workspace(polling) as ws:
        await ws.login("anna")
        original, _ = await stored(polling, "pesel", "en")
        edit = await form(polling, "pesel", "en", answer="Short new text.", action="review")
        await ws.post("/t/pesel/en", edit)
        doc, _ = await stored(polling, "pesel", "en")
        assert doc.status.value == "reviewed" and doc.reviewer == "anna"
        _status, page = await ws.get("/t/pesel/en")
        assert "+Short new text." in page and "anna" in page
        async with polling.store.sessions() as session:
            row = await get_translation(session, "pesel", "en")
            assert row is not None
            first = row.revisions[0].id
        await ws.post(f"/t/pesel/en/restore/{first}", {})
        doc, _ = await stored(polling, "pesel", "en")
        assert doc.answer == original.answer and doc.status.value == "draft"


async def test_two_editors_saving_at_once_lose_nothing(polling: Harness) -> None:
    await add_user(polling, "anna", "editor")
    await add_user(polling, "bogdan", "editor")
    async with workspace(polling) as first, workspace(polling) as second:
        await first.login("anna")
        await second.login("bogdan")
        base = await form(polling, "bank-account", "uk")
        await first.post("/t/bank-account/uk", {**base, "answer": "Текст Анни."})
        status, page = await second.post("/t/bank-account/uk", {**base, "answer": "Текст Богдана."})
        assert status == 409
        assert "Текст Анни." in page and "Текст Богдана." in page  # both texts on the page
        doc, version = await stored(polling, "bank-account", "uk")
        assert doc.answer == "Текст Анни."
        # Bogdan keeps his text on purpose: the conflict page's form saves over the new version.
        status, _ = await second.post(
            "/t/bank-account/uk",
            {**base, "version": str(version), "answer": "Текст Богдана."},
        )
        assert status == 200
        doc, _ = await stored(polling, "bank-account", "uk")
        assert doc.answer == "Текст Богдана."


async def test_a_translator_edits_only_their_languages(polling: Harness) -> None:
    await add_user(polling, "olena", "translator", ["uk"])
    async with workspace(polling) as ws:
        await ws.login("olena")
        before = await stored(polling, "pesel", "ru")
        status, page = await ws.get("/t/pesel/ru")
        assert 'id="readonly"' in page and 'id="editor"' not in page
        status, _ = await ws.post("/t/pesel/ru", await form(polling, "pesel", "ru", answer="x"))
        assert status == 403
        assert await stored(polling, "pesel", "ru") == before
        status, _ = await ws.post("/t/pesel/uk", await form(polling, "pesel", "uk", answer="Так."))
        assert status == 200
        status, _ = await ws.post("/unanswered/dismiss", {"ids": "1"})
        assert status == 403


async def test_polish_change_makes_translations_outdated_and_kb_check_agrees(
    polling: Harness,
) -> None:
    await add_user(polling, "anna", "editor")
    async with workspace(polling) as ws:
        await ws.login("anna")
        await ws.post("/t/pesel/pl", await form(polling, "pesel", "pl", answer="Nowy tekst."))
        _, page = await ws.get("/")
        assert 'data-slug="pesel" data-lang="uk" data-status="outdated"' in page
        assert 'data-slug="pesel" data-lang="pl" data-status="draft"' in page
        await ws.post("/t/pesel/uk", await form(polling, "pesel", "uk", action="review"))
        _, page = await ws.get("/")
        assert 'data-slug="pesel" data-lang="uk" data-status="reviewed"' in page
    async with polling.store.sessions() as session:
        rows = await matrix.load_matrix(session)
        topics = await load_topics(session)
    findings = lint.check(topics, outdated=matrix.outdated(rows))
    by_problem: dict[str, set[tuple[str, str]]] = {"draft": set(), "outdated": set()}
    for f in findings:
        for key in by_problem:
            if f.problem.startswith(key):
                by_problem[key] |= {(f.slug, lang) for lang in f.langs.split(",")}
    for key, found in by_problem.items():
        cells = {(r.slug, lang) for r in rows for lang, c in r.cells.items() if c.value == key}
        assert found == cells, key
    assert ("pesel", "ru") in by_problem["outdated"]


async def test_unanswered_question_linked_to_a_topic_is_answered_next_time(
    polling: Harness,
) -> None:
    await add_user(polling, "anna", "editor")
    question = "Gdzie wypożyczyć kajak na Odrze?"
    for user in (8811, 8812):
        reply = await polling.client.ask(user, question, language_code="pl")
        assert "🤔" in reply["text"]
    async with polling.store.sessions() as session:
        groups = await gaps.unanswered_groups(session)
    assert len(groups) == 1 and len(groups[0].questions) == 2
    async with workspace(polling) as ws:
        await ws.login("anna")
        _, page = await ws.get("/unanswered")
        assert question in page and "2" in page
        ids = ",".join(map(str, groups[0].ids))
        status, page = await ws.post("/unanswered/link", {"ids": ids, "slug": "migrant-info-point"})
        assert status == 200 and question not in page
    doc, _ = await stored(polling, "migrant-info-point", "pl")
    assert question in doc.phrasings

    async def answered() -> bool:
        reply = await polling.client.ask(8813, question, language_code="pl")
        title = polling.library.catalog["migrant-info-point"].translations["pl"].title
        return bool(reply["text"].startswith(title))

    await until(answered)


async def test_feedback_report_lists_the_worst_first(polling: Harness) -> None:
    from knowledge import people

    async with polling.store.sessions.begin() as session:
        for i, helpful in enumerate([True, True, False]):
            await people.record_feedback(session, f"k{i}", "pesel", "uk", helpful=helpful)
        await people.record_feedback(session, "k9", "bank-account", "en", helpful=False)
    await add_user(polling, "anna", "editor")
    async with workspace(polling) as ws:
        await ws.login("anna")
        _, page = await ws.get("/feedback")
    assert page.index("bank-account") < page.index("pesel")
    assert "100%" in page and "33%" in page


async def test_overdue_topics_are_listed_and_owners_reminded(polling: Harness) -> None:
    from datetime import date

    await add_user(polling, "anna", "admin")
    await polling.client.ask(7777, "/start")  # a bot can only write to people who started it
    async with polling.store.sessions.begin() as session:
        owner = await session.get(Practitioner, 1)
        assert owner is not None
        owner.telegram_id = 7777
        owner.languages = ["uk"]
    async with workspace(polling) as ws:
        await ws.login("anna")
        status, _ = await ws.post("/reviews/pesel", {"owner": "anna", "review_due": "2026-01-31"})
        assert status == 200
        status, page = await ws.post("/reviews/pesel", {"owner": "anna", "review_due": "soon"})
        assert status == 400
        _, page = await ws.get("/reviews")
        assert 'class="late"' in page
    assert polling.runtime.bot is not None
    sent = await send_reminders(
        polling.runtime.bot, polling.store, workspace_i18n("en"), date(2026, 11, 24)
    )
    assert sent == 1
    chat = await polling.client.chat(7777)
    assert "pesel" in chat["messages"][-1]["text"]
    assert "31" in chat["messages"][-1]["text"]  # the due date, in the owner's language


async def test_the_next_answer_card_shows_an_edit(polling: Harness) -> None:
    """Cards are kept for the questions asked again and again: never past an edit."""
    c, question = polling.client, "How do I get a PESEL number?"
    before = await c.ask(8830, question, language_code="en")
    assert before["text"].startswith(polling.library.catalog["pesel"].translations["en"].title)
    await add_user(polling, "anna", "editor")
    async with workspace(polling) as ws:
        await ws.login("anna")
        edit = await form(polling, "pesel", "en", title="PESEL, the national ID number")
        status, _ = await ws.post("/t/pesel/en", edit)
        assert status == 200
    await polling.librarian.refresh()  # what the bot's housekeeping does every few seconds
    after = await c.ask(8830, question, language_code="en")
    assert after["text"].startswith("PESEL, the national ID number")


async def test_another_replica_picks_up_an_edit_by_the_content_version(polling: Harness) -> None:
    from knowledge.library import Librarian
    from knowledge.store import Store

    store = await Store.open(polling.runtime.settings.database_url)
    try:
        replica = await Librarian.open(store)
        await add_user(polling, "anna", "editor")
        async with workspace(polling) as ws:
            await ws.login("anna")
            edit = await form(polling, "pesel", "en", title="PESEL, the national ID number")
            await ws.post("/t/pesel/en", edit)
        assert await replica.refresh()  # what its housekeeping does every few seconds
        title = replica.current.catalog["pesel"].translations["en"].title
        assert title == "PESEL, the national ID number"
        assert not await replica.refresh()  # nothing new: no rebuild
    finally:
        await store.close()


async def test_new_topic_from_the_inbox_and_dismiss(polling: Harness) -> None:
    await add_user(polling, "anna", "editor")
    kayak = "Gdzie wypożyczyć kajak na Odrze?"
    await polling.client.ask(8821, kayak, language_code="pl")
    await polling.client.ask(8822, "Who will win the football cup this year?", language_code="en")
    async with polling.store.sessions() as session:
        groups = {g.text: g.ids for g in await gaps.unanswered_groups(session)}
    async with workspace(polling) as ws:
        await ws.login("anna")
        new = {
            "ids": ",".join(map(str, groups[kayak])),
            "lang": "pl",
            "category": "everyday",
            "title": "Kajaki na Odrze",
            "answer": "Wypożyczalnie kajaków działają latem przy bulwarach.",
            "source_title": "Wrocław",
            "source_url": "https://www.wroclaw.pl/rekreacja/kajaki",
        }
        status, _ = await ws.post("/unanswered/new", {**new, "slug": "Not A Slug"})
        assert status == 400
        status, page = await ws.post("/unanswered/new", {**new, "slug": "kayak-rental"})
        assert status == 200 and "Kajaki na Odrze" in page
        football = ",".join(map(str, groups["Who will win the football cup this year?"]))
        status, page = await ws.post("/unanswered/dismiss", {"ids": football})
        assert status == 200
    async with polling.store.sessions() as session:
        assert await gaps.unanswered_groups(session) == []
        rows = {r.slug: r for r in await matrix.load_matrix(session)}
    assert rows["kayak-rental"].cells["pl"] is Cell.DRAFT
    assert rows["kayak-rental"].cells["uk"] is Cell.MISSING
    doc, _ = await stored(polling, "kayak-rental", "pl")
    assert doc.phrasings == (kayak,)


async def test_webhook_mode_serves_the_workspace_on_the_same_port(webhook: Harness) -> None:
    settings = webhook.runtime.settings
    assert webhook.runtime.web_url == f"http://127.0.0.1:{settings.webhook_port}"
    await add_user(webhook, "anna", "editor")
    async with workspace(webhook) as ws:
        assert await ws.login("anna") == 200
        _, page = await ws.get("/")
        assert 'data-slug="pesel"' in page
    reply = await webhook.client.ask(8831, "Jak wyrobić numer PESEL?", language_code="pl")
    assert "PESEL" in reply["text"]  # the bot's updates still arrive through the webhook


async def test_editor_keeps_every_field_and_refuses_sources_nobody_can_check(
    polling: Harness,
) -> None:
    await add_user(polling, "anna", "editor")
    async with workspace(polling) as ws:
        await ws.login("anna")
        edit = await form(
            polling,
            "pesel",
            "pl",
            summary="Krótko: PESEL nadaje urząd gminy.",
            clerk_note="Dzień dobry, ta osoba chce złożyć wniosek o nadanie numeru PESEL.",
            valid_until="2027-03-04",
        )
        status, _ = await ws.post("/t/pesel/pl", edit)
        assert status == 200
        doc, _ = await stored(polling, "pesel", "pl")
        assert doc.summary == "Krótko: PESEL nadaje urząd gminy."
        assert doc.clerk_note and doc.clerk_note.startswith("Dzień dobry")
        assert doc.valid_until is not None and doc.valid_until.isoformat() == "2027-03-04"

        for bad, message in (
            ("Skrypt | javascript:alert(1)", "is not a web address"),
            ("Dane | data:text/html,hi", "is not a web address"),
            ("Rząd | https://www.gov.pl", "home page"),
        ):
            before = await stored(polling, "pesel", "pl")
            attempt = await form(polling, "pesel", "pl", sources=bad, answer="Zmienione.")
            status, page = await ws.post("/t/pesel/pl", attempt)
            assert status == 400 and message in page, bad
            assert await stored(polling, "pesel", "pl") == before
        reasoned = await form(
            polling, "pesel", "pl", sources="Portal | https://www.gov.pl | homepage: portal usług"
        )
        status, _ = await ws.post("/t/pesel/pl", reasoned)
        assert status == 200
        doc, _ = await stored(polling, "pesel", "pl")
        cited = [(s.url, s.homepage) for s in doc.sources]
        assert cited == [("https://www.gov.pl", "portal usług")]


async def test_a_source_that_changed_after_the_review_is_flagged(polling: Harness) -> None:
    from datetime import timedelta

    from knowledge import source_check
    from knowledge.models import LinkCheck, utcnow

    await add_user(polling, "anna", "editor")
    async with workspace(polling) as ws:
        await ws.login("anna")
        await ws.post("/t/pesel/uk", await form(polling, "pesel", "uk", action="review"))
        doc, _ = await stored(polling, "pesel", "uk")
        changed, steady = doc.sources[0].url, doc.sources[1].url
        later = utcnow() + timedelta(minutes=5)
        async with polling.store.sessions.begin() as session:
            session.add(LinkCheck(url=changed, checked_at=later, status=200, changed_at=later))
            session.add(LinkCheck(url=steady, checked_at=later, status=200, page_hash="x"))
        _status, page = await ws.get("/t/pesel/uk")
        assert page.count("source changed since you reviewed") == 1
        assert "unchanged at the last check" in page
        async with polling.store.sessions() as session:
            cited = await source_check.citations(session)
        assert (cited[0].state, cited[0].url) == (source_check.SourceState.CHANGED, changed)


async def test_reviews_put_topics_whose_facts_expire_first(polling: Harness) -> None:
    from datetime import date, timedelta

    await add_user(polling, "anna", "editor")
    async with workspace(polling) as ws:
        await ws.login("anna")
        soon = date.today() + timedelta(days=10)
        await ws.post(
            "/t/bank-account/en",
            await form(polling, "bank-account", "en", valid_until=soon.isoformat()),
        )
        _status, page = await ws.get("/reviews")
        rows = page.split('id="review-')
        assert rows[1].startswith("bank-account"), rows[1][:40]
        assert "expires on" in rows[1].split("</tr>")[0]
