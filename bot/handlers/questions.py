"""Free text anywhere — any window, no menu needed, even before a language is chosen."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import Message
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.api.exceptions import NoContextError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import HasText, PrivateChat
from bot.handoff import Handoff, HandoffUnavailableError
from bot.i18n import I18n
from flows.handoff import WAITING
from flows.states import AnswerSG, HandoffSG
from knowledge import people
from knowledge.service import Knowledge


async def question(
    message: Message,
    dialog_manager: DialogManager,
    knowledge: Knowledge,
    session: AsyncSession,
    user_key: str,
    stored_lang: str | None,
    i18n: I18n,
    handoff: Handoff,
    bot: Bot,
) -> None:
    text = message.text or ""
    if handoff.available and _waiting_for_person(dialog_manager):
        await to_person(message, dialog_manager, knowledge, session, user_key, handoff, bot)
        return
    result = knowledge.index.search(text, stored_lang)
    lang = stored_lang or result.language or dialog_manager.middleware_data["lang"]
    if stored_lang is None:
        dialog_manager.middleware_data.update(lang=lang, t=i18n.get(lang))
    if result.slug is None:
        if text.strip():
            await people.log_unanswered(
                session, user_key, text, lang, result.score, [h.slug for h in result.hits]
            )
            await session.commit()  # release the connection before talking to Telegram
        await dialog_manager.start(
            AnswerSG.unknown,
            data={"alternatives": list(result.alternatives) if result.score > 0.15 else []},
            mode=StartMode.RESET_STACK,
            show_mode=ShowMode.SEND,
        )
        return
    await dialog_manager.start(
        AnswerSG.card,
        data={
            "slug": result.slug,
            "alternatives": [] if result.sure else list(result.alternatives[:3]),
            "unsure": not result.sure and bool(result.alternatives),
        },
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
    )


def _waiting_for_person(manager: DialogManager) -> bool:
    try:
        return manager.current_context().state in WAITING
    except NoContextError:
        return False


async def to_person(
    message: Message,
    manager: DialogManager,
    knowledge: Knowledge,
    session: AsyncSession,
    user_key: str,
    handoff: Handoff,
    bot: Bot,
) -> None:
    """The text is for a person: into the ticket and the practitioners' group."""
    start = manager.current_context().start_data
    topic = start.get("topic") if isinstance(start, dict) else None
    try:
        ticket = await handoff.ask(
            bot, session, knowledge,
            user_key=user_key, chat_id=message.chat.id, lang=manager.middleware_data["lang"],
            topic=topic if isinstance(topic, str) else None, text=message.text or "",
        )  # fmt: skip
        await session.commit()
        data: dict[str, object] = {"ticket": ticket.id}
    except HandoffUnavailableError:
        await session.rollback()
        data = {"failed": True}
    await manager.start(
        HandoffSG.chat, data=data, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND
    )


def make_router() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="questions")
    router.message.filter(PrivateChat())
    router.message.register(question, HasText())
    return router
