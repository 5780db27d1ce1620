"""Guided paths in the workspace: the matrix of languages, the editor beside the Polish, review,
history and restore — the same core as topics and schools."""

from __future__ import annotations

import re

from knowledge import path_store
from tests.test_security import Browser, Site, seeded, site  # noqa: F401 (fixtures)


async def _form(site: Site, slug: str, lang: str, **changes: str) -> dict[str, str]:
    async with site.store.sessions() as session:
        row = await path_store.get_path(session, slug)
        assert row is not None
        text = next(t for t in row.texts if t.lang == lang)
        doc, version = path_store.text_doc(text), text.version
    fields = {"version": str(version), "title": doc.title, "intro": doc.intro}
    for q in row.shape["questions"]:
        fields[f"q.{q['id']}"] = doc.questions[q["id"]].text
        for o in q["options"]:
            fields[f"o.{q['id']}.{o}"] = doc.questions[q["id"]].options[o]
    for s in row.shape["steps"]:
        for key in ("title", "why", "office", "bring"):
            fields[f"s.{s['id']}.{key}"] = getattr(doc.steps[s["id"]], key)
    return {**fields, **changes}


async def _cell(browser: Browser, slug: str, lang: str) -> str:
    _, page, _ = await browser.get("/paths")
    found = re.search(rf'class="cell (\w+)" data-slug="{slug}" data-lang="{lang}"', page)
    assert found, page[:500]
    return found.group(1)


async def test_a_translator_reviews_a_paths_words_and_can_restore_them(site: Site) -> None:
    editor = Browser(site)
    try:
        assert await editor.login("editor") == 303
        assert await _cell(editor, "just-arrived", "uk") == "draft"
        status, page, _ = await editor.get("/paths/just-arrived/uk")
        assert status == 200 and 'name="title"' in page and "Polish" in page
        changed = await _form(
            site, "just-arrived", "uk", title="Ми щойно приїхали", action="review"
        )
        status, _, location = await editor.post("/paths/just-arrived/uk", changed)
        assert status == 303 and location.endswith("saved=reviewed")
        assert await _cell(editor, "just-arrived", "uk") == "reviewed"
        async with site.store.sessions() as session:
            (path,) = [p for p in await path_store.load_paths(session) if p.slug == "just-arrived"]
        assert path.translations["uk"].title == "Ми щойно приїхали"

        stale = await _form(site, "just-arrived", "uk", title="Інша назва", version="1")
        status, page, _ = await editor.post("/paths/just-arrived/uk", stale)
        assert status == 409 and 'id="conflict"' in page  # nothing lost, nothing written

        _, page, _ = await editor.get("/paths/just-arrived/uk")
        revision = re.search(r"/paths/just-arrived/uk/restore/(\d+)", page)
        assert revision
        status, _, _ = await editor.post(f"/paths/just-arrived/uk/restore/{revision.group(1)}")
        assert status == 303
        assert await _cell(editor, "just-arrived", "uk") == "draft"

        missing = await _form(site, "just-arrived", "uk", title="")
        status, page, _ = await editor.post("/paths/just-arrived/uk", missing)
        assert status == 400 and "title" in page
    finally:
        await editor.close()
