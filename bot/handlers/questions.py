"""Free text anywhere — any window, no menu needed, even before a language is chosen."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import Message
from aiogram_dialog import DialogManager, ShowMode, StartMode
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import HasText, PrivateChat
from bot.i18n import I18n
from flows.states import AnswerSG
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
) -> None:
    text = message.text or ""
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


def make_router() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="questions")
    router.message.filter(PrivateChat())
    router.message.register(question, HasText())
    return router
