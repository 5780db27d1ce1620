"""Builds the Bot and the Dispatcher; services go in as dispatcher data, never as globals."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, Dispatcher, methods
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.methods.base import Response
from aiogram.types import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from aiogram_dialog import setup_dialogs

from bot.handlers import buttons, commands, errors, other, questions
from bot.handlers import handoff as handoff_handlers
from bot.handoff import Handoff
from bot.middlewares.context import ContextMiddleware
from bot.middlewares.drops import answerable_callbacks, known_updates
from bot.middlewares.replies import replies_read_as_text
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.session import AnswerOnce, JsonSession, RetryMiddleware, UnreadableUpdates
from bot.state import (
    DIALOG_TTL,
    Health,
    PrivateKeyBuilder,
    RedisLocks,
    ResilientIsolation,
    ResilientStorage,
)
from flows import (
    answer,
    ask,
    browse,
    handoff,
    language,
    menu,
    paths,
    privacy,
    safety,
    schools,
    subscribe,
)
from flows.message_manager import KeepingMessageManager
from knowledge.handoff import Desk
from knowledge.hours import Hours
from knowledge.i18n import I18n
from knowledge.languages import LANGUAGES
from knowledge.library import Librarian
from knowledge.profiles import Profiles
from knowledge.safety import SafetyCheck, default_check
from knowledge.schools import OncePerDay
from knowledge.services import Services
from knowledge.settings import Settings
from knowledge.store import Store

log = logging.getLogger(__name__)
_METHODS = (
    methods.SendMessage,
    methods.EditMessageText,
    methods.EditMessageReplyMarkup,
    methods.DeleteMessage,
    methods.AnswerCallbackQuery,
    methods.GetUpdates,
    methods.SetMyCommands,
    methods.GetMe,
)


def pin_response_types() -> list[Any]:
    """Hold the parametrised `Response[...]` models of the methods we call.

    pydantic keeps parametrised generics in a weak cache; aiogram builds `Response[Message |
    bool]` per request, so without a strong reference each editMessage* call rebuilds a model
    (about a tenth of the bot's CPU under load).
    """
    return [Response[method.__returning__] for method in _METHODS]  # type: ignore[name-defined]


def warm_up(safety_check: SafetyCheck) -> None:
    """Do once, before the first update, what the first answers would otherwise pay for in
    the middle of a burst of first messages: pydantic builds the Telegram types' validators
    on their first use (`bot.lazy_types`), also those of the calls a dialog makes and of what
    they read back, and NumPy imports `numpy.ma` on the safety model's first verdict
    (0.1–0.15 s in all, measured)."""
    person = {"id": 1, "is_bot": False, "first_name": "·"}
    message = {
        "message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "from": person,
        "text": "·",
    }  # fmt: skip
    query = {"id": "1", "from": person, "chat_instance": "1", "data": "·", "message": message}
    Response[list[Update]].model_validate(
        {"ok": True, "result": [{"update_id": 1, "message": message},
                                {"update_id": 2, "callback_query": query}]}
    )  # fmt: skip
    for method in (methods.SendMessage, methods.EditMessageText):  # what a reply reads back
        Response[method.__returning__].model_validate({"ok": True, "result": message})  # type: ignore[name-defined]
    # The calls the dialogs make through aiogram (the answer cards go as prepared bodies).
    methods.SendMessage(chat_id=1, text="·")
    methods.EditMessageText(chat_id=1, message_id=1, text="·")
    methods.DeleteMessage(chat_id=1, message_id=1)
    methods.AnswerCallbackQuery(callback_query_id="1")
    InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="·", callback_data="·")]])
    if safety_check.model is not None:
        safety_check.model.verdict("one two three four five six")


def build_bot(token: str, api_url: str | None) -> Bot:
    session = JsonSession(api=TelegramAPIServer.from_base(api_url)) if api_url else JsonSession()
    session.middleware(UnreadableUpdates())
    session.middleware(AnswerOnce())
    session.middleware(RetryMiddleware())
    return Bot(
        token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def _state(
    redis: Any | None, health: Health | None, secret: bytes
) -> tuple[BaseStorage, BaseEventIsolation]:
    if redis is None:
        return MemoryStorage(), SimpleEventIsolation()
    from aiogram.fsm.storage.redis import RedisStorage

    keys = PrivateKeyBuilder(secret)
    health = health or Health()
    storage = RedisStorage(redis, key_builder=keys, state_ttl=DIALOG_TTL, data_ttl=DIALOG_TTL)
    return (
        ResilientStorage(storage, health),
        ResilientIsolation(RedisLocks(redis, keys), health),
    )


def build_dispatcher(
    settings: Settings,
    store: Store,
    librarian: Librarian,
    i18n: I18n,
    secret: bytes,
    *,
    bot_username: str,
    redis: Any | None = None,
    health: Health | None = None,
    safety_check: SafetyCheck | None = None,
    services: Services | None = None,
) -> Dispatcher:
    """Every service goes in as dispatcher or middleware data; `safety_check` defaults to the
    one built from the packaged crisis file."""
    safety_check = safety_check or default_check()
    storage, isolation = _state(redis, health, secret)
    dp = Dispatcher(storage=storage, events_isolation=isolation, bot_username=bot_username)
    dp.update.outer_middleware(known_updates)
    dp.update.outer_middleware(ThrottlingMiddleware(settings.throttle_seconds))
    dp.update.outer_middleware(
        ContextMiddleware(
            store, librarian, Profiles(store), i18n, settings, secret, services or Services(store)
        )
    )
    provider = settings.translation_provider()
    desk = Desk(
        settings.practitioner_chat_id is not None,
        Hours.parse(settings.working_hours, settings.timezone),
        i18n,
        translation=provider.name if provider else None,
        external_translation=bool(provider and provider.external),
    )
    dp["desk"] = desk
    dp["handoff"] = Handoff(
        settings.practitioner_chat_id,
        desk,
        i18n,
        settings.practitioner_language,
        provider,
    )
    dp["safety_check"] = safety_check
    dp["albums"] = OncePerDay()  # the photos of an album already answered, for a day
    dp["forward_question"] = questions.forward_question
    dp["i18n"] = i18n  # also for error handlers that run before the context middleware
    dp.include_routers(
        errors.make_router(),
        handoff_handlers.make_router(),
        commands.make_router(),
        questions.make_router(),
        buttons.make_router(),
        other.make_router(),
    )
    dp.include_routers(
        language.make_dialog(),
        menu.make_dialog(),
        browse.make_dialog(),
        answer.make_dialog(),
        ask.make_ask_dialog(),
        handoff.make_dialog(),
        privacy.make_dialog(),
        schools.make_dialog(),
        subscribe.make_dialog(),
        safety.make_dialog(),
        paths.make_dialog(),
    )
    dp.message.outer_middleware(replies_read_as_text)  # these two before aiogram-dialog's own
    dp.callback_query.outer_middleware(answerable_callbacks)
    setup_dialogs(dp, events_isolation=isolation, message_manager=KeepingMessageManager())
    return dp


async def register_commands(bot: Bot, i18n: I18n) -> None:
    """Command descriptions per language; a server without the method gets a warning only."""
    for lang in (None, *LANGUAGES):
        t = i18n.get(lang)
        items = [
            BotCommand(command=c, description=t.gettext(d)) for c, d in commands.COMMANDS.items()
        ]
        try:
            await bot.set_my_commands(items, language_code=lang)
        except TelegramAPIError as exc:
            log.warning("setMyCommands(%s) failed, continuing without: %s", lang, exc)
            return
