"""The short answer card: the first answer to nearly every question, sent without a dialog.

Its buttons carry all they need (`button_data`), so it keeps no state, and sending it costs
what sending a message costs: rendering a dialog window and saving its context took more than
half of a question's time under load (bench/bot.py). `flows.revive` carries its buttons out;
the longer versions ("More details", "Show in Polish") are dialog windows (`flows.answer`).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_dialog import DialogManager

from flows import sending
from flows.cards import answer_card, title, topic_id
from flows.common import ID_MENU, ID_TALK, library_of, slug_of
from flows.widgets import translator
from knowledge.i18n import N_, I18n, Translator
from knowledge.languages import LANGUAGES, NATIVE_NAMES, SOURCE_LANGUAGE
from knowledge.library import Library

log = logging.getLogger(__name__)
ID_MORE = "more"
ID_VOTE = "vote"
ID_POLISH = "pl"
ID_DETAILS = "full"
ID_LANGUAGE = "choose_lang"
STATELESS = "="
"""Starts the data of a button that needs no dialog: `=widget:item` (a dialog's button data
starts with its intent's id and aiogram-dialog's separator instead)."""
SPOKEN = N_("\n🌐 Witaj speaks {spoken}. Write in one of them for the best answers.")
UNSURE = N_("\nDid you mean one of these?")
GONE = N_("This topic is no longer available.")


def button_data(widget: str, item: str = "") -> str:
    return f"{STATELESS}{widget}:{item}"


@dataclass(frozen=True)
class Asked:
    """What the search said about the question a card answers; nothing when a card is opened
    from a list or a button."""

    alternatives: tuple[str, ...] = ()
    unsure: bool = False
    foreign: bool = False


def topics(library: Library, slugs: Sequence[str], own: str, lang: str) -> list[tuple[str, str]]:
    """ "Did you mean" or related topics as (button id, label); never the card's own topic."""
    seen = {own}
    items = []
    for other in slugs:
        if other in library.catalog and other not in seen:
            seen.add(other)
            items.append((topic_id(other), "➡️ " + title(library.catalog[other], lang)))
    return items[:4]


def spoken() -> str:
    return " · ".join(NATIVE_NAMES[code] for code in LANGUAGES)


@lru_cache(maxsize=8)
def language_offer(i18n: I18n) -> str:
    """ "Language" in every language, for a person who has not chosen one yet."""
    return " · ".join(dict.fromkeys(i18n.get(code).gettext("Language") for code in LANGUAGES))


def short_card(
    library: Library,
    t: Translator,
    slug: str,
    asked: Asked = Asked(),
    *,
    offer_languages: str | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """The short answer first, with a few buttons; "More details" shows the rest.
    `offer_languages`: the label of the way to choose a language, before one is chosen."""
    topic = library.catalog.get(slug)
    rows: list[list[tuple[str, str, str]]]
    if topic is None:
        text = t.gettext(GONE)
        rows = [
            [(t.gettext("🙋 Talk to a person"), ID_TALK, ""), (t.gettext("🏠 Menu"), ID_MENU, "")]
        ]
    else:
        tid = topic_id(topic.slug)
        parts = [answer_card(topic, t, full=False).html]
        if asked.foreign:
            parts.append(t.gettext(SPOKEN).format(spoken=spoken()))
        if asked.unsure and asked.alternatives:
            parts.append(t.gettext(UNSURE))
        text = "\n".join(parts)
        first = [(t.gettext("📖 More details"), ID_DETAILS, tid)]
        if t.lang != SOURCE_LANGUAGE:
            first.append((t.gettext("🇵🇱 Show in Polish"), ID_POLISH, tid))
        rows = [
            first,
            [
                (t.gettext("👍 Helpful"), ID_VOTE, f"+{tid}"),
                (t.gettext("👎 Not helpful"), ID_VOTE, f"-{tid}"),
            ],
            [(t.gettext("🙋 Talk to a person"), ID_TALK, tid), (t.gettext("🏠 Menu"), ID_MENU, "")],
            *(
                [(label, ID_MORE, item)]
                for item, label in topics(library, asked.alternatives, topic.slug, t.lang)
            ),
        ]
    if offer_languages:
        rows.append([("🌐 " + offer_languages, ID_LANGUAGE, "")])
    keyboard = [
        [InlineKeyboardButton(text=label, callback_data=button_data(w, i)) for label, w, i in row]
        for row in rows
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=keyboard)


class _Cards:
    """The cards last sent, for one content snapshot: popular questions get the same card
    again and again, and building a dozen buttons took a tenth of a question's time under
    load. A new snapshot (an edit) or a new day (an answer past its date) starts afresh; the
    snapshot is held weakly, so that an old one (its index with it) is let go at once."""

    SIZE = 512

    def __init__(self) -> None:
        self._library: weakref.ref[Library] | None = None
        self._day: date | None = None
        self._cards: dict[Hashable, dict[str, Any]] = {}

    def get(
        self, library: Library, t: Translator, slug: str, asked: Asked, offer: str | None
    ) -> dict[str, Any]:
        """The card's message body, ready to send (`flows.sending`)."""
        today = date.today()
        held = self._library() if self._library is not None else None
        if library is not held or today != self._day or len(self._cards) >= self.SIZE:
            self._library, self._day = weakref.ref(library), today
            self._cards = {}
        key = (t, slug, asked, offer)
        card = self._cards.get(key)
        if card is None:
            text, markup = short_card(library, t, slug, asked, offer_languages=offer)
            card = self._cards[key] = sending.html_body(text, markup)
        return card


_cards = _Cards()


async def show_card(
    manager: DialogManager,
    slug: str,
    asked: Asked = Asked(),
    *,
    replace: Message | None = None,
    keep_dialogs: bool = False,
) -> None:
    """Send the short card (or put it in place of `replace`, the message whose button was
    pressed). Open dialogs are closed, as starting a dialog would: the card is where the
    person is now — unless `keep_dialogs`, for a card under a checklist that stays in use."""
    data = manager.middleware_data
    offer = language_offer(data["i18n"]) if data.get("stored_lang") is None else None
    card = _cards.get(library_of(manager), translator(manager), slug, asked, offer)
    if not keep_dialogs and manager.has_context():
        await manager.reset_stack(remove_keyboard=False)
    bot: Bot = data["bot"]
    sent = None
    if replace is not None:
        try:
            sent = await sending.edit(bot, replace.chat.id, replace.message_id, card)
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:  # pressed twice: it is shown already
                return
            log.info("could not edit a message into a card, sending it: %s", exc.message)
    if sent is None:
        sent = await sending.send(bot, data["event_chat"].id, card)
    if not keep_dialogs:
        # The stack's last message tells an empty stack after an answer from one whose state
        # was lost (see the question handler's lost conversations).
        manager.current_stack().last_message_id = sent


async def open_topic(callback: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    """A topic button in a list: the topic's card takes the list's place."""
    slug = slug_of(manager, item)
    if slug is not None:
        pressed = callback.message if isinstance(callback.message, Message) else None
        await show_card(manager, slug, replace=pressed)


async def open_topic_below(
    _callback: CallbackQuery, _w: Any, manager: DialogManager, item: str
) -> None:
    """A topic button under a message that stays in use (a safety reply, a checklist): the
    card comes as a new message below it, and its buttons keep working."""
    slug = slug_of(manager, item)
    if slug is not None:
        await show_card(manager, slug, keep_dialogs=True)
