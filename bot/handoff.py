"""The bot's side of "talk to a person": posts in the practitioners' group, replies relayed back.

A ticket's question is posted in the group with the person's language, the last topic and who
speaks the language — no name, no username. A practitioner answers by replying to any of the
ticket's posts; the bot relays the answer and says in the group whether it arrived.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramMigrateToChat
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters
from sqlalchemy.ext.asyncio import AsyncSession

from flows.cards import title
from knowledge import handoff, render
from knowledge import machine_translation as mt
from knowledge.enums import TicketStatus
from knowledge.handoff import DeliveryError, Desk, RecipientBlockedError
from knowledge.i18n import N_, I18n, Translator
from knowledge.library import Library
from knowledge.models import Ticket, row_id, utcnow

log = logging.getLogger(__name__)
PREFIX = "hf"
"""Callback data of ticket buttons: `hf:<action>:<ticket id>[:<value>]` (no dialog needed)."""

HOW_TO_ANSWER = N_("Reply to this message to answer. /close (as a reply) closes the ticket.")


RELAYED_TEXT = 3500
"""Room for a relayed text in one Telegram message (4096), with its header; the ticket keeps
the whole text, shown in the workspace."""


def clip(text: str, limit: int = RELAYED_TEXT) -> str:
    return render.clip(text, limit)


@dataclass
class BotMessenger:
    """The workspace's way into a migrant's chat (`knowledge.handoff.Messenger`)."""

    bot: Bot

    async def send(self, chat_id: int, html_text: str) -> None:
        try:
            await self.bot.send_message(chat_id, html_text)
        except TelegramForbiddenError as exc:
            raise RecipientBlockedError(str(exc)) from exc
        except TelegramAPIError as exc:
            raise DeliveryError(str(exc)) from exc


class HandoffUnavailableError(Exception):
    """The practitioners' group is not set up, or the bot cannot post there."""


def button_data(action: str, ticket_id: int, value: str = "") -> str:
    return f"{PREFIX}:{action}:{ticket_id}" + (f":{value}" if value else "")


def parse_button(data: str) -> tuple[str, int, str] | None:
    parts = data.split(":")
    # A row id, not any digits: "²" is a digit to str.isdigit, and a forged 30-digit id
    # overflowed the database's integers (each an error and an apology).
    ticket = row_id(parts[2]) if len(parts) in (3, 4) else None
    if parts[0] != PREFIX or ticket is None:
        return None
    return parts[1], ticket, parts[3] if len(parts) == 4 else ""


@dataclass
class Handoff:
    """Posts tickets in the group and relays the answers; `desk` is what the dialogs see."""

    group: int | None
    desk: Desk
    i18n: I18n
    group_lang: str
    provider: mt.Provider | None = None
    """Machine translation between the migrant's language and the group's (None: off)."""

    moved_from: set[int] = field(default_factory=set)
    """The group's earlier ids: a group that Telegram upgraded to a supergroup has a new id,
    and posts and buttons from before the move still come with the old one."""

    @property
    def available(self) -> bool:
        return self.group is not None

    def is_group(self, chat_id: int) -> bool:
        """Whether a chat is the practitioners' group (under its id now or an earlier one)."""
        return chat_id == self.group or chat_id in self.moved_from

    def moved(self, new_id: int) -> None:
        """The group became a supergroup (Telegram answers a post with its new id): followed
        at once, and said loudly, since the setting still names the old group."""
        if self.group is not None and self.group != new_id:
            self.moved_from.add(self.group)
            log.error(
                "the practitioners' group is now the supergroup %d: set PRACTITIONER_CHAT_ID "
                "to it (followed until the bot restarts)",
                new_id,
            )
        self.group = new_id

    @property
    def staff(self) -> Translator:
        """The group's language."""
        return self.i18n.get(self.group_lang)

    async def ask(
        self,
        bot: Bot,
        session: AsyncSession,
        library: Library,
        *,
        user_key: str,
        chat_id: int,
        lang: str,
        topic: str | None,
        text: str,
        urgent: bool = False,
        consent: bool | None = None,
    ) -> Ticket:
        """Open (or continue) the person's ticket and post the message in the group.

        `urgent`: the person got a safety reply (112 and a helpline); the post says so first.
        `consent`: whether the person allowed an external translation service (asked once).
        """
        if self.group is None:
            raise HandoffUnavailableError("PRACTITIONER_CHAT_ID is not set")
        ticket, new = await handoff.open_ticket(
            session, user_key, chat_id, lang, topic, urgent=urgent
        )
        shown = html.escape(clip(text))
        if self.provider is not None and (consent or not self.provider.external):
            shown = await self._with_translation(text, lang, self.group_lang, self.staff)
        try:
            try:
                post = await self._post(bot, session, library, ticket, new, shown, urgent=urgent)
            except TelegramMigrateToChat as exc:  # the group became a supergroup: post there
                self.moved(exc.migrate_to_chat_id)
                post = await self._post(bot, session, library, ticket, new, shown, urgent=urgent)
        except TelegramAPIError as exc:
            # The message is kept in the ticket all the same: the workspace lists it and its
            # answer reaches the person from there. Dropping it (as before) lost what someone
            # asked a person for, perhaps with 112 just given, because the group refused a post.
            log.warning(
                "cannot post to the practitioners' group (%s): ticket #%d keeps the message "
                "for the workspace",
                type(exc).__name__,
                ticket.id,
            )
            await handoff.add_message(session, ticket, text, from_migrant=True)
            return ticket
        await handoff.add_message(
            session, ticket, text, from_migrant=True, group_message_id=post.message_id
        )
        return ticket

    async def _post(
        self,
        bot: Bot,
        session: AsyncSession,
        library: Library,
        ticket: Ticket,
        new: bool,
        shown: str,
        *,
        urgent: bool,
    ) -> Message:
        """A ticket's first post, or a follow-up threaded under its first."""
        assert self.group is not None  # checked by `ask`
        if new:
            return await bot.send_message(
                self.group,
                await self._question(session, library, ticket, shown),
                reply_markup=self._close_button(ticket),
            )
        root = next((m.group_message_id for m in ticket.messages if m.group_message_id), 0)
        alarm = f"{self._urgent_line()}\n" if urgent else ""
        return await bot.send_message(
            self.group,
            f"{alarm}🎫 #{ticket.id} ↪\n\n{shown}",
            reply_parameters=ReplyParameters(message_id=root, allow_sending_without_reply=True),
        )

    @property
    def consent_needed(self) -> bool:
        """Whether a migrant is asked before their messages go to the translation service."""
        return self.provider is not None and self.provider.external

    async def _with_translation(
        self, text: str, source: str | None, target: str, reader: Translator
    ) -> str:
        """HTML: the translation with the original below; the original alone, with a note,
        when the translation could not be had; the original alone when it needs none."""
        original = html.escape(clip(text, RELAYED_TEXT // 2))
        translated = await mt.translate(self.provider, text, source, target)
        if translated is None:
            if source == target:
                return html.escape(clip(text))
            note = reader.gettext("(Automatic translation is not available right now.)")
            return f"{html.escape(clip(text))}\n\n<i>{html.escape(note)}</i>"
        if " ".join(translated.split()) == " ".join(text.split()):
            return html.escape(clip(text))  # already in the reader's language
        label = reader.gettext("Translated automatically — original:")
        translation = html.escape(clip(translated, RELAYED_TEXT // 2))
        return f"{translation}\n\n<i>{html.escape(label)}</i>\n{original}"

    async def _question(
        self, session: AsyncSession, library: Library, ticket: Ticket, shown: str
    ) -> str:
        """The first post of a ticket; `shown` is the message as HTML (maybe translated)."""
        t = self.staff
        lines = [self._urgent_line()] if ticket.urgent else []
        lines.append(f"🎫 <b>#{ticket.id}</b> · {html.escape(t.language_name(ticket.lang))}")
        if ticket.topic and ticket.topic in library.catalog:
            name = title(library.catalog[ticket.topic], t.lang)
            lines.append("📄 " + html.escape(t.gettext("Last topic: {topic}").format(topic=name)))
        people = await handoff.speakers(session, ticket.lang)
        if people:
            names = ", ".join(
                f'<a href="tg://user?id={p.telegram_id}">{html.escape(p.name)}</a>'
                + (" 🤝" if p.intercultural_assistant else "")
                for p in people
            )
            lines.append("🗣 " + html.escape(t.gettext("Speaks this language:")) + " " + names)
        else:
            lines.append("⚠️ " + html.escape(t.gettext("Nobody on the list speaks this language.")))
        how = html.escape(t.gettext(HOW_TO_ANSWER))
        lines += ["", shown, "", f"<i>{how}</i>"]
        return "\n".join(lines)

    def _urgent_line(self) -> str:
        note = self.staff.gettext(
            "URGENT: this person may be in danger. The bot gave them 112 and a helpline."
        )
        return f"🚨 <b>{html.escape(note)}</b>"

    def _close_button(self, ticket: Ticket) -> InlineKeyboardMarkup:
        label = self.staff.gettext("✅ Close")
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=label, callback_data=button_data("close", ticket.id))]
            ]
        )

    async def answer(self, bot: Bot, session: AsyncSession, message: Message) -> None:
        """A practitioner replied in the group: relay it and say how it went."""
        replied = message.reply_to_message
        if replied is None:
            return
        ticket = await handoff.ticket_for_post(session, replied.message_id)
        if ticket is None:
            return
        t = self.staff
        if not message.text:
            await message.reply(t.gettext("Only text messages can be relayed to the person."))
            return
        if ticket.status is TicketStatus.CLOSED:
            await message.reply(
                t.gettext("Ticket #{n} is closed; nothing was sent.").format(n=ticket.id)
            )
            return
        author = await self._author(session, message)
        m = self.i18n.get(ticket.lang)
        # In the migrant's language, with the original; a practitioner who already wrote in it
        # (a ready message, say) is sent as written.
        text = await self._with_translation(message.text, None, ticket.lang, m)
        relay = f"💬 <b>{html.escape(author)}</b>:\n\n{text}"
        try:
            await bot.send_message(
                ticket.chat_id, relay, reply_markup=self._reply_button(ticket, m)
            )
        except TelegramForbiddenError:
            ticket.undeliverable = True
            await message.reply(t.gettext("⚠️ Not delivered: this person has blocked the bot."))
            return
        await handoff.add_message(
            session, ticket, message.text, from_migrant=False, author=author,
            group_message_id=message.message_id,
        )  # fmt: skip
        note = t.gettext("✓ Delivered to #{n}.").format(n=ticket.id)
        other = handoff.other_recent_answer(ticket, author, utcnow())
        if other is not None:
            note += " " + t.gettext("{name} answered this ticket a moment ago, too.").format(
                name=other.author
            )
        await message.reply(note)

    async def _author(self, session: AsyncSession, message: Message) -> str:
        user = message.from_user
        if user is None:
            return "—"
        known = await handoff.practitioner_by_telegram(session, user.id)
        return known.name if known else user.first_name

    def _reply_button(self, ticket: Ticket, m: Translator) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=m.gettext("↩️ Answer"), callback_data=button_data("reply", ticket.id)
                    )
                ]
            ]
        )

    async def close(self, bot: Bot, session: AsyncSession, ticket: Ticket, by: str) -> str:
        """Close the ticket and ask the migrant how it went; the note for the group."""
        t = self.staff
        if not await handoff.close(session, ticket, by):
            return t.gettext("Ticket #{n} was already closed by {name}.").format(
                n=ticket.id, name=ticket.closed_by
            )
        m = self.i18n.get(ticket.lang)
        rate = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=m.gettext("👍 Helpful"),
                        callback_data=button_data("rate", ticket.id, "1"),
                    ),
                    InlineKeyboardButton(
                        text=m.gettext("👎 Not helpful"),
                        callback_data=button_data("rate", ticket.id, "0"),
                    ),
                ]
            ]
        )
        try:
            await bot.send_message(
                ticket.chat_id,
                m.gettext("✅ The conversation with a person has ended. Did it help?"),
                reply_markup=rate,
            )
        except TelegramForbiddenError:
            ticket.undeliverable = True
        return t.gettext("✅ Ticket #{n} closed by {name}.").format(n=ticket.id, name=by)
