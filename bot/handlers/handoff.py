"""The practitioners' group (replies, /close, /template) and the ticket buttons, both sides."""

from __future__ import annotations

import html
import shlex

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import CallbackQuery, Message, ReplyParameters
from aiogram_dialog import DialogManager, ShowMode, StartMode
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handoff import PREFIX, Handoff, parse_button
from flows.states import HandoffSG
from knowledge import handoff as tickets
from knowledge import message_templates
from knowledge.i18n import Translator
from knowledge.languages import LANGUAGES
from knowledge.settings import Settings


class PractitionersChat(Filter):
    """Messages in the practitioners' group (also after it became a supergroup)."""

    async def __call__(self, message: Message, handoff: Handoff) -> bool:
        return handoff.is_group(message.chat.id)


class TicketButton(Filter):
    async def __call__(self, callback: CallbackQuery) -> bool:
        return (callback.data or "").startswith(PREFIX + ":")


async def close_command(
    message: Message, bot: Bot, session: AsyncSession, handoff: Handoff
) -> None:
    replied = message.reply_to_message
    ticket = await tickets.ticket_for_post(session, replied.message_id) if replied else None
    if ticket is None:
        await message.reply(
            handoff.staff.gettext("Send /close as a reply to one of the ticket's messages.")
        )
        return
    by = await _name(session, message)
    note = await handoff.close(bot, session, ticket, by)
    await session.commit()
    await message.reply(note)


async def group_reply(message: Message, bot: Bot, session: AsyncSession, handoff: Handoff) -> None:
    await handoff.answer(bot, session, message)
    await session.commit()


async def _name(session: AsyncSession, message: Message | CallbackQuery) -> str:
    user = message.from_user
    if user is None:
        return "—"
    known = await tickets.practitioner_by_telegram(session, user.id)
    return known.name if known else user.first_name


async def ticket_button(
    callback: CallbackQuery,
    bot: Bot,
    session: AsyncSession,
    handoff: Handoff,
    settings: Settings,
    dialog_manager: DialogManager,
    user_key: str,
    t: Translator,
) -> None:
    parsed = parse_button(callback.data or "")
    ticket = await tickets.get_ticket(session, parsed[1]) if parsed else None
    if parsed is None or ticket is None:
        await callback.answer(t.gettext("This conversation is over."))
        return
    action, _ticket_id, value = parsed
    in_group = callback.message is not None and handoff.is_group(callback.message.chat.id)
    if action == "close" and in_group:
        note = await handoff.close(bot, session, ticket, await _name(session, callback))
        await session.commit()
        await callback.answer(note, show_alert=False)
        if callback.message is not None:
            await bot.send_message(
                callback.message.chat.id,
                note,
                reply_parameters=ReplyParameters(message_id=callback.message.message_id),
            )
        return
    if ticket.user_key != user_key:  # a forged or foreign button
        await callback.answer(t.gettext("This conversation is over."))
        return
    if action == "rate" and value in ("0", "1"):
        await tickets.rate(session, ticket.id, user_key, value == "1")
        await session.commit()
        await callback.answer(t.gettext("Thank you for your feedback!"))
        return
    if action == "reply":
        await callback.answer()
        await dialog_manager.start(
            HandoffSG.chat, data={"ticket": ticket.id, "answering": True},
            mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND,
        )  # fmt: skip
        return
    await callback.answer(t.gettext("This conversation is over."))


EXAMPLES = {"date": "2026-12-01", "time": "17:30", "text": "12", "list": "'paszport; zdjęcie'"}


async def template_command(message: Message, command: CommandObject, handoff: Handoff) -> None:
    """`/template ID LANG field=value ...`: a ready message for parents, in their language."""
    t = handoff.staff
    templates = message_templates.load()
    try:
        words = shlex.split(command.args or "")
    except ValueError:
        words = []
    if len(words) < 2 or words[0] not in templates or words[1] not in LANGUAGES:
        lines = [t.gettext("Ready messages: /template ID LANGUAGE field=value …")]
        for item in templates.values():
            fields = " ".join(f"{f.name}=…" for f in item.fields)
            lines.append(f"• {item.id} ({item.title[t.lang]}) {fields}".rstrip())
        lines.append("/template parents-meeting ar date=2026-12-01 time=17:30 room=12")
        await message.reply(html.escape("\n".join(lines)))
        return
    template, lang = templates[words[0]], words[1]
    values = dict(word.partition("=")[::2] for word in words[2:])
    try:
        text = message_templates.render(template, lang, values)
    except message_templates.FieldError as exc:
        wrong = t.gettext("Please check {field}, for example: {field}={example}")
        example = EXAMPLES.get(exc.kind, "…")
        await message.reply(html.escape(wrong.format(field=exc.field, example=example)))
        return
    await message.reply(html.escape(text))


def make_router() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="handoff")
    router.message.filter(PractitionersChat())  # once per message, not once per handler
    router.message.register(close_command, Command("close"))
    router.message.register(template_command, Command("template"))
    router.message.register(group_reply)
    router.callback_query.register(ticket_button, TicketButton())
    return router
