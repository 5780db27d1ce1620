"""The terminal face of the knowledge base: `witaj ask` and the `witaj chat` prompt."""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from knowledge import languages
from knowledge.content import TopicDoc, TranslationDoc
from knowledge.library import Librarian
from knowledge.render import visible_text
from knowledge.search import SearchResult


def pick_translation(topic: TopicDoc, lang: str | None) -> tuple[str, TranslationDoc]:
    """The asker's language, or its fallback (see `knowledge.languages.fallback_order`)."""
    found = languages.pick(topic.translations, lang or "en")
    if found is None:
        raise LookupError(f"topic {topic.slug} has no translations")
    return found


def show_result(
    console: Console, result: SearchResult, topics: dict[str, TopicDoc], lang: str | None
) -> None:
    language = lang or result.language
    if result.slug is None or result.slug not in topics:
        console.print(f"[yellow]No answer for that yet[/] (confidence {result.score:.2f}).")
        if result.alternatives:
            console.print("Maybe: " + ", ".join(result.alternatives))
        return
    shown, tr = pick_translation(topics[result.slug], language)
    sources = "\n".join(f"• {escape(s.title)}: {escape(s.url)}" for s in tr.sources)
    body = escape(visible_text(tr.answer)) + (f"\n\n{sources}" if sources else "")
    console.print(
        Panel(
            body, title=escape(tr.title), subtitle=f"{result.slug} · {shown} · {result.score:.2f}"
        )
    )
    if not result.sure and result.alternatives:
        console.print("Did you mean: " + ", ".join(result.alternatives))


async def prompt_loop(console: Console, librarian: Librarian, lang: str | None) -> None:
    library = librarian.current
    topics = dict(library.catalog)
    console.print("Witaj! Ask a question in any language (empty line or Ctrl-D to quit).")
    while True:
        try:
            text = await asyncio.to_thread(console.input, "[bold]?[/] ")
        except (EOFError, KeyboardInterrupt):
            break
        if not text.strip():
            break
        show_result(console, library.index.search(text, lang), topics, lang)
