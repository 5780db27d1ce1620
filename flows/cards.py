"""How a topic becomes a Telegram message in the reader's language (pure functions)."""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass

from bot.i18n import RLM, Translator
from knowledge.content import TopicDoc, TranslationDoc
from knowledge.languages import LANGUAGES, NATIVE_NAMES, RTL_LANGUAGES, SOURCE_LANGUAGE
from knowledge.models import Status
from knowledge.render import TELEGRAM_LIMIT, isolate_ltr, telegram_length, to_html


def topic_id(slug: str) -> str:
    """A short, stable, ASCII button id for a topic (callback data is at most 64 bytes)."""
    return hashlib.blake2s(slug.encode(), digest_size=4).hexdigest()


def pick(topic: TopicDoc, lang: str) -> tuple[str, TranslationDoc]:
    """The reader's language, else English, else Polish, else whatever exists."""
    for candidate in (lang, "en", SOURCE_LANGUAGE, *LANGUAGES):
        if candidate in topic.translations:
            return candidate, topic.translations[candidate]
    raise LookupError(topic.slug)


def title(topic: TopicDoc, lang: str) -> str:
    return pick(topic, lang)[1].title


@dataclass(frozen=True)
class Card:
    html: str
    shown_lang: str
    sources: list[dict[str, str]]


def _notices(t: Translator, tr: TranslationDoc, lang: str, shown: str) -> list[str]:
    notes = []
    if shown != lang:
        notes.append(
            t.gettext("Not yet translated into your language: shown in {language}.").format(
                language=NATIVE_NAMES[shown]
            )
        )
    if tr.status is not Status.REVIEWED:
        notes.append(t.gettext("This answer has not yet been checked by a practitioner."))
    if tr.reviewed_at is not None:
        notes.append(t.gettext("Last checked: {date}").format(date=t.date(tr.reviewed_at)))
    return notes


def _fit(text: str, limit: int) -> str:
    if telegram_length(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"


def _text(text: str, lang: str) -> str:
    """Stored answer text to HTML, with bidi isolates in right-to-left languages."""
    return to_html(isolate_ltr(text) if lang in RTL_LANGUAGES else text)


def answer_card(topic: TopicDoc, t: Translator) -> Card:
    shown, tr = pick(topic, t.lang)
    notes = "\n".join(f"<i>{html.escape(n)}</i>" for n in _notices(t, tr, t.lang, shown))
    mark = RLM if shown in RTL_LANGUAGES else ""
    body = f"{mark}<b>{html.escape(tr.title)}</b>\n\n{_text(tr.answer, shown)}"
    text = f"{body}\n\n{notes}" if notes else body
    sources = [{"title": s.title, "url": s.url} for s in tr.sources]
    return Card(text, shown, sources)


def bilingual_card(topic: TopicDoc, t: Translator) -> Card:
    """The reader's language and Polish in one message, to show at an office or a school."""
    shown, tr = pick(topic, t.lang)
    polish = topic.translations.get(SOURCE_LANGUAGE, tr)
    header = html.escape(t.gettext("Show this to the clerk, doctor or teacher:"))
    polish_part = f"🇵🇱 <b>{html.escape(polish.title)}</b>\n\n{to_html(polish.answer)}"
    room = TELEGRAM_LIMIT - 200 - telegram_length(polish.title + polish.answer)
    mine = _fit(tr.answer, room) if room > 200 else ""
    mine_part = f"<b>{html.escape(tr.title)}</b>" + (f"\n\n{_text(mine, shown)}" if mine else "")
    text = f"{mine_part}\n\n— {header} —\n\n{polish_part}"
    return Card(text, shown, [{"title": s.title, "url": s.url} for s in polish.sources])
