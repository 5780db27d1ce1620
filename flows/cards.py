"""How a topic or a school becomes a Telegram message in the reader's language (pure functions)."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from knowledge import languages
from knowledge.content import TopicDoc, TranslationDoc
from knowledge.enums import Status
from knowledge.i18n import N_, RLM, Translator
from knowledge.languages import NATIVE_NAMES, RTL_LANGUAGES, SOURCE_LANGUAGE
from knowledge.render import TELEGRAM_LIMIT, clip, isolate_ltr, telegram_length, to_html
from knowledge.schools import SchoolDoc, SchoolInfoDoc


def topic_id(slug: str) -> str:
    """A short, stable, ASCII button id for a topic (callback data is at most 64 bytes)."""
    return hashlib.blake2s(slug.encode(), digest_size=4).hexdigest()


def pick(topic: TopicDoc, lang: str) -> tuple[str, TranslationDoc]:
    """The reader's language, or its fallback (see `knowledge.languages.fallback_order`)."""
    found = languages.pick(topic.translations, lang)
    if found is None:
        raise LookupError(topic.slug)
    return found


def title(topic: TopicDoc, lang: str) -> str:
    return pick(topic, lang)[1].title


UNCHECKED = {
    "answer": N_("This answer has not yet been checked by a practitioner."),
    "information": N_("This information has not yet been checked."),
}


@dataclass(frozen=True)
class Card:
    html: str
    shown_lang: str
    sources: list[dict[str, str]]


def _notices(
    t: Translator,
    tr: TranslationDoc | SchoolInfoDoc,
    lang: str,
    shown: str,
    *,
    what: str = "answer",
    today: date | None = None,
) -> list[str]:
    notes = []
    until = tr.valid_until if isinstance(tr, TranslationDoc) else None
    if until is not None and (today or date.today()) > until:
        notes.append(
            t.gettext(
                "⚠️ This may have changed after {date}. Please ask a person to be sure."
            ).format(date=t.date(until))
        )
    if shown != lang:
        notes.append(
            t.gettext("Not yet translated into your language: shown in {language}.").format(
                language=NATIVE_NAMES[shown]
            )
        )
    if tr.status is not Status.REVIEWED:
        notes.append(t.gettext(UNCHECKED[what]))
    if tr.reviewed_at is not None:
        notes.append(t.gettext("Last checked: {date}").format(date=t.date(tr.reviewed_at)))
    return notes


def _fitted(text: str, limit: int, lang: str) -> str:
    """`_text` of a plain text, cut so that what Telegram counts stays within `limit` — the
    bidi isolates of right-to-left text take room too."""
    shown = text_html(clip(text, limit), lang)
    overflow = _visible_length(shown) - limit
    if overflow > 0:
        shown = text_html(clip(text, limit - overflow), lang)
    return shown


def _visible_length(html_text: str) -> int:
    return telegram_length(html.unescape(_TAG.sub("", html_text)))


_TAG = re.compile(r"<[^>]+>")


@lru_cache(maxsize=1024)
def text_html(text: str, lang: str) -> str:
    """Stored answer text to HTML, with bidi isolates in right-to-left languages.

    Kept for the texts most recently shown: the same few answers are rendered again and again,
    and an Arabic one is walked character by character for its isolates (a tenth of a
    question's time under load)."""
    return to_html(isolate_ltr(text) if lang in RTL_LANGUAGES else text)


def answer_card(
    topic: TopicDoc, t: Translator, *, today: date | None = None, full: bool = True
) -> Card:
    """The answer in the reader's language; `today` decides whether its facts have expired.

    `full=False` is the short answer shown first (the key steps, written as such in the
    content); the full text is one tap away.
    """
    shown, tr = pick(topic, t.lang)
    notices = _notices(t, tr, t.lang, shown, today=today)
    notes = "\n".join(f"<i>{html.escape(n)}</i>" for n in notices)
    mark = RLM if shown in RTL_LANGUAGES else ""
    text = tr.answer if full else _short(tr)
    body = f"{mark}<b>{html.escape(tr.title)}</b>\n\n{text_html(text, shown)}"
    text = f"{body}\n\n{notes}" if notes else body
    sources = [{"title": s.title, "url": s.url} for s in tr.sources]
    return Card(text, shown, sources)


def _short(tr: TranslationDoc) -> str:
    return tr.summary or clip(tr.answer, SHORT_LIMIT)


SHORT_LIMIT = 600
CLERK_GREETING = N_("Good day! This person would like to ask about: {topic}.")
"""Said in Polish to the official when a topic has no note of its own for them."""


def bilingual_card(topic: TopicDoc, t: Translator, polish: Translator) -> Card:
    """To show at an office or a school: first, in Polish, a word to the official and the
    short answer; below, the same in the reader's language. Made of the short texts so that it
    is never cut; `polish` is the Polish translator (for the greeting)."""
    shown, mine = pick(topic, t.lang)
    pl = topic.translations.get(SOURCE_LANGUAGE, mine)
    note = pl.clerk_note or polish.gettext(CLERK_GREETING).format(topic=pl.title)
    parts = [
        f"🇵🇱 <i>{html.escape(note)}</i>",
        f"<b>{html.escape(pl.title)}</b>\n\n{to_html(_short(pl))}",
    ]
    if shown != SOURCE_LANGUAGE:
        mark = RLM if shown in RTL_LANGUAGES else ""
        parts.append(f"— {html.escape(NATIVE_NAMES[shown])} —")
        parts.append(f"{mark}<b>{html.escape(mine.title)}</b>\n\n{text_html(_short(mine), shown)}")
    text = "\n\n".join(parts)
    if telegram_length(text) > TELEGRAM_LIMIT:  # never cut: the Polish part is what matters
        text = "\n\n".join(parts[:2])
    return Card(text, shown, [{"title": s.title, "url": s.url} for s in pl.sources])


@dataclass(frozen=True)
class SchoolView:
    """A school's card in one language: the bot's message and the public page show the same."""

    name: str
    district: str
    facts: list[tuple[str, str]]
    """(label, value) for address, phone, e-mail, contact person, languages spoken."""
    assistant: bool
    sections: list[tuple[str, str]]
    """(heading, text) for who can join, how to apply, what to bring."""
    notes: list[str]
    shown_lang: str
    dir: str


SCHOOL_SECTIONS = {
    "who_can_join": N_("Who can join the preparatory class"),
    "how_to_apply": N_("How to apply"),
    "what_to_bring": N_("What to bring"),
}
SCHOOL_FACTS = {
    "address": N_("Address"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "contact_person": N_("Contact person"),
    "staff_languages": N_("Staff speak"),
}
ASSISTANT = N_("An intercultural assistant works at this school.")


def school_view(school: SchoolDoc, t: Translator) -> SchoolView:
    facts = []
    for name, label in SCHOOL_FACTS.items():
        value = getattr(school, name)
        if name == "staff_languages":
            value = ", ".join(t.language_name(code) for code in value)
        if value:
            facts.append((t.gettext(label), value))
    picked = school.pick(t.lang)
    shown, info = picked if picked else (t.lang, None)
    sections = [
        (t.gettext(label), getattr(info, name))
        for name, label in SCHOOL_SECTIONS.items()
        if info is not None and getattr(info, name)
    ]
    notes = []
    if school.demo:
        notes.append(t.gettext("Demo school: invented for trying Witaj out."))
    if info is not None:
        notes += _notices(t, info, t.lang, shown, what="information")
    return SchoolView(
        name=school.name,
        district=school.district,
        facts=facts,
        assistant=school.assistant,
        sections=sections,
        notes=notes,
        shown_lang=shown,
        dir="rtl" if shown in RTL_LANGUAGES else "ltr",
    )


def school_card(school: SchoolDoc, t: Translator) -> str:
    """The school's card as a Telegram HTML message."""
    view = school_view(school, t)
    esc = html.escape
    mark = RLM if t.rtl else ""
    lines = [f"{mark}🏫 <b>{esc(view.name)}</b>", f"📍 {esc(view.district)}"]
    lines += [f"{esc(label)}: {esc(value)}" for label, value in view.facts]
    if view.assistant:
        lines.append("🤝 " + esc(t.gettext(ASSISTANT)))
    tail = [f"<i>{esc(note)}</i>" for note in view.notes]
    # Long texts are cut as plain text before they become HTML, so no tag is ever cut.
    fixed = telegram_length("\n".join(lines + tail)) + 200
    share = max(200, (TELEGRAM_LIMIT - fixed) // max(1, len(view.sections)))
    for heading, text in view.sections:
        lines += ["", f"<b>{esc(heading)}</b>", _fitted(text, share, view.shown_lang)]
    if tail:
        lines += ["", *tail]
    return "\n".join(lines)
