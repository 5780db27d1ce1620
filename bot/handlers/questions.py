"""Free text anywhere — any window, no menu needed, even before a language is chosen."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Bot, Router
from aiogram.types import Message
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.api.exceptions import NoContextError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import HasText, PrivateChat
from bot.handlers.other import first_of_album, not_text
from bot.handoff import Handoff, HandoffUnavailableError
from flows import safety as safety_flow
from flows.handoff import WAITING
from flows.short_card import Asked, show_card
from flows.states import AnswerSG, HandoffSG, MainSG, SafetySG
from knowledge import metrics, safety, usage
from knowledge.handoff import conversation_in_progress
from knowledge.i18n import I18n
from knowledge.library import Library
from knowledge.profiles import Profiles
from knowledge.services import Services

log = logging.getLogger(__name__)


async def question(
    message: Message,
    dialog_manager: DialogManager,
    library: Library,
    services: Services,
    session: AsyncSession,
    user_key: str,
    stored_lang: str | None,
    i18n: I18n,
    handoff: Handoff,
    bot: Bot,
    safety_check: safety.SafetyCheck,
) -> None:
    # A photo or a file with a question typed under it: the question is answered.
    text = message.text if message.text is not None else message.caption or ""
    # Before anything else: a person in danger gets 112 and a helpline, whatever window is open.
    alarm = safety_check.check(text)
    if handoff.available and (
        _waiting_for_person(dialog_manager)
        or await _conversation_lost(dialog_manager, session, user_key)
    ):
        if message.text is None and alarm is None:  # the photo itself cannot be passed on
            data = dialog_manager.middleware_data
            await not_text(message, data["t"], data["albums"])
            return
        await to_person(
            dialog_manager, library, session, user_key, handoff, bot,
            chat_id=message.chat.id, text=text, alarm=alarm,
        )  # fmt: skip
        return
    # The other photos of an album whose caption is answered here get no note.
    first_of_album(message, dialog_manager.middleware_data["albums"])
    try:
        with metrics.SEARCH_SECONDS.time():
            result = library.index.search(text, stored_lang)
    except Exception:
        if alarm is None:
            raise  # the error handler apologises
        log.exception("the search failed on a message that needs the safety reply")
        await _alert(dialog_manager, library, services, i18n, alarm, text, stored_lang)
        return
    if alarm is not None:
        await _alert(dialog_manager, library, services, i18n, alarm, text, stored_lang)
        if alarm.strong or not result.sure or result.slug in _helps(safety_check, alarm):
            return
        # Only concepts combined (no phrase said it outright): the question may be an everyday
        # one that looks alike, so its answer follows the safety reply.
    # A question in none of the six languages is answered in English (or the chosen language).
    fallback = "en" if result.foreign else dialog_manager.middleware_data["lang"]
    lang = stored_lang or result.language or fallback
    if stored_lang is None:
        dialog_manager.middleware_data.update(lang=lang, t=i18n.get(lang))
    if result.greeting:  # "Привіт!" alone: the menu, in the greeting's language, not the
        # inbox of questions without an answer
        metrics.ANSWERS.labels("greeting").inc()
        await dialog_manager.start(MainSG.menu, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
        return
    if result.slug is None:
        metrics.ANSWERS.labels("abstained").inc()
        services.note(usage.abstained(lang))
        kept = not text.strip() or await services.log_unanswered(
            user_key, text, lang, result.score, [h.slug for h in result.hits]
        )
        await dialog_manager.start(
            AnswerSG.unknown,
            data={
                "alternatives": list(result.alternatives) if result.score > 0.15 else [],
                "question": text,  # "send my question to a person" forwards it as it is
                "foreign": result.foreign,
                "kept": kept,  # in the practitioners' inbox (not with the database away)
            },
            mode=StartMode.RESET_STACK,
            show_mode=ShowMode.SEND,
        )
        return
    metrics.ANSWERS.labels("answered").inc()
    services.note(usage.answered(result.slug, lang))
    asked = Asked(
        alternatives=() if result.sure else tuple(result.alternatives[:3]),
        unsure=not result.sure and bool(result.alternatives),
        foreign=result.foreign,
    )
    await show_card(dialog_manager, result.slug, asked)


async def _alert(
    manager: DialogManager,
    library: Library,
    services: Services,
    i18n: I18n,
    alarm: safety.Alarm,
    text: str,
    stored_lang: str | None,
    ticket: int | None = None,
) -> None:
    """The safety reply, in the language the person wrote in. Counted, never logged."""
    own = stored_lang or manager.middleware_data.get("telegram_lang")
    lang = safety.reply_language(alarm, own, library.index.detect_language(text))
    manager.middleware_data.update(lang=lang, t=i18n.get(stored_lang or lang))
    metrics.ANSWERS.labels("safety").inc()
    services.note(usage.SAFETY)  # in memory: the reply must not wait for, or on, the database
    await manager.start(
        SafetySG.alert,
        data=safety_flow.start_data(alarm, lang, ticket),
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
    )


def _helps(check: safety.SafetyCheck, alarm: safety.Alarm) -> set[str]:
    """The answers the safety reply already offers as buttons."""
    return {check.doc.topics[kind] for kind in alarm.kinds if kind in check.doc.topics}


async def _conversation_lost(manager: DialogManager, session: AsyncSession, user_key: str) -> bool:
    """No dialog and no answer card since the state was last kept (a restart without Redis,
    Redis away) while a conversation with a person was going on: the text is for them, as it
    was before the state was lost — it went to the search, and nothing told the person it had
    not reached anyone."""
    if manager.has_context() or manager.current_stack().last_message_id is not None:
        return False  # a dialog, or the answer card that closed the last one
    try:
        return await conversation_in_progress(session, user_key) is not None
    except SQLAlchemyError:  # the database away: the search still answers
        with contextlib.suppress(SQLAlchemyError):
            await session.rollback()
        return False


def _waiting_for_person(manager: DialogManager) -> bool:
    """In a conversation with a person, typed text is for them (also under a safety reply
    that was given inside that conversation)."""
    if not manager.has_context():  # (current_context() would log a warning first)
        return False
    context = manager.current_context()
    if context.state == SafetySG.alert:
        return isinstance(context.start_data, dict) and "ticket" in context.start_data
    return context.state in WAITING


async def forward_question(manager: DialogManager, text: str) -> None:
    """The question the bot could not answer goes to a person as it is (a button under "I
    don't know this yet"); the dialogs reach this through their data, never by import."""
    data = manager.middleware_data
    chat = data["event_chat"]
    await to_person(
        manager, data["library"], data["session"], data["user_key"], data["handoff"],
        data["bot"], chat_id=chat.id, text=text,
    )  # fmt: skip


async def to_person(
    manager: DialogManager,
    library: Library,
    session: AsyncSession,
    user_key: str,
    handoff: Handoff,
    bot: Bot,
    *,
    chat_id: int,
    text: str,
    alarm: safety.Alarm | None = None,
) -> None:
    """The text is for a person: into the ticket and the practitioners' group. A message that
    trips the safety check makes the ticket urgent and gets the safety reply at once."""
    try:
        start = manager.current_context().start_data
    except NoContextError:
        start = None
    start = start if isinstance(start, dict) else {}
    topic = start.get("topic")
    urgent = alarm is not None or bool(start.get("urgent"))
    lang = manager.middleware_data["lang"]
    consent = None
    if handoff.consent_needed:
        profiles: Profiles = manager.middleware_data["profiles"]
        consent = await profiles.translation_consent(user_key)
    try:
        ticket = await handoff.ask(
            bot, session, library,
            user_key=user_key, chat_id=chat_id, lang=lang,
            topic=topic if isinstance(topic, str) else None, text=text,
            urgent=urgent, consent=consent,
        )  # fmt: skip
        await session.commit()
        data: dict[str, object] = {"ticket": ticket.id}
        metrics.ANSWERS.labels("handoff").inc()
    except HandoffUnavailableError:
        await session.rollback()
        data = {"failed": True}
    if alarm is not None:
        i18n: I18n = manager.middleware_data["i18n"]
        services: Services = manager.middleware_data["services"]
        ticket_id = data.get("ticket")
        await _alert(
            manager, library, services, i18n, alarm, text, lang,
            ticket=ticket_id if isinstance(ticket_id, int) else None,
        )  # fmt: skip
        return
    await manager.start(
        HandoffSG.chat,
        data={**data, "urgent": urgent},
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
    )


def make_router() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="questions")
    router.message.filter(PrivateChat())
    router.message.register(question, HasText(captions=True))
    return router
