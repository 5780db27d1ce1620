"""How the bot's requests reach the Bot API: JSON bodies, and retries that lose nothing."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import OrderedDict
from http import HTTPStatus
from typing import Any, cast

import orjson
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import AnswerCallbackQuery, GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import InlineKeyboardMarkup, Update
from aiohttp import ClientError, ClientTimeout
from pydantic import ValidationError

from flows.sending import Prepared

log = logging.getLogger(__name__)
LEAN_RESULTS = frozenset({"sendMessage", "editMessageText"})
"""Methods whose returned message is used only for its id, chat and text."""


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def loads(data: str | bytes) -> Any:
    """JSON as a Bot API server sends it. orjson refuses a lone surrogate escape ("\\ud83d",
    half an emoji that a client cut in two, or that a proxy wrote out as ASCII) and NaN, both
    of which Python's reader takes; the text is then mended (U+FFFD for the lone half). One
    such message made the whole getUpdates batch unreadable, and polling stopped for
    everyone while the same batch came back again and again."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return _mended(json.loads(data))


def _mended(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_mended(item) for item in value]
    if isinstance(value, dict):
        return {key: _mended(item) for key, item in value.items()}
    return value


class JsonSession(AiohttpSession):
    """Posts requests as JSON, which the Bot API accepts, and falls back to a form for uploads.

    aiogram's own session url-encodes every request as a form, nested objects as JSON strings
    inside; for an answer card with a dozen buttons that encoding costs more than the rest of
    the request. JSON is read and written with orjson, several times faster than the standard
    library's.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("json_loads", loads)
        kwargs.setdefault("json_dumps", _dumps)
        super().__init__(**kwargs)
        self._responses: dict[Any, type[Response[Any]]] = {}

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> TelegramType:
        files: dict[str, Any] = {}
        body = method.body if isinstance(method, Prepared) else self._body(bot, method, files)
        if files:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=orjson.dumps(body),  # bytes, as they are sent
                headers={"Content-Type": "application/json"},
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw = await resp.read()
        except TimeoutError as exc:
            raise TelegramNetworkError(method=method, message="Request timeout error") from exc
        except ClientError as exc:
            raise TelegramNetworkError(
                method=method, message=f"{type(exc).__name__}: {exc}"
            ) from exc
        if resp.status >= HTTPStatus.INTERNAL_SERVER_ERROR and not _json(raw):
            # A proxy's error page (an HTML 502 from nginx in front of a Bot API server): a
            # server error to wait out, as a JSON 5xx is, not a reply that cannot be read.
            raise TelegramServerError(method=method, message=f"HTTP {resp.status}, not JSON")
        if resp.status == HTTPStatus.OK:
            if isinstance(method, Prepared):
                try:  # pydantic reads only the fields the answer type names, straight from JSON
                    response = self._response(method.__returning__).model_validate_json(raw)
                    return cast(TelegramType, response.result)
                except ValidationError:
                    pass  # check_response says what was wrong
            elif method.__api_method__ in LEAN_RESULTS:
                lean = self._lean(bot, method, raw)
                if lean is not None:
                    return cast(TelegramType, lean)
        response = self.check_response(
            bot=bot, method=method, status_code=resp.status, content=raw.decode(errors="replace")
        )
        return cast(TelegramType, response.result)

    def _body(
        self, bot: Bot, method: TelegramMethod[TelegramType], files: dict[str, Any]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        # An inline keyboard holds only JSON values (no files, no bot defaults): pydantic
        # writes it in one call, where aiogram would walk each of a card's dozen buttons.
        markup = getattr(method, "reply_markup", None)
        written: set[str] = set()
        if isinstance(markup, InlineKeyboardMarkup):
            body["reply_markup"] = markup.model_dump(mode="json", exclude_none=True)
            written.add("reply_markup")
        # None means "not sent" to the Bot API: leaving it out spares walking every empty field.
        fields = method.model_dump(warnings=False, exclude_none=True, exclude=written)
        for key, value in fields.items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None and prepared != "":
                body[key] = prepared
        return body

    def _response(self, returning: Any) -> type[Response[Any]]:
        response_type = self._responses.get(returning)
        if response_type is None:  # `Response[...]` is a lookup in pydantic's generic cache
            # that takes longer than the rest of reading a sent message
            response_type = self._responses[returning] = Response[returning]
        return response_type

    def _lean(self, bot: Bot, method: TelegramMethod[TelegramType], raw: bytes) -> Any:
        """The sent message without the parts the bot never reads back (its inline keyboard and
        entities): validating a card's dozen buttons costs more than the rest of the reply."""
        try:
            data = self.json_loads(raw)
        except ValueError:  # orjson.JSONDecodeError is one
            return None
        result = data.get("result") if isinstance(data, dict) and data.get("ok") else None
        if not isinstance(result, dict):
            return None
        result.pop("reply_markup", None)
        result.pop("entities", None)
        response_type = self._response(method.__returning__)
        return response_type.model_validate(data, context={"bot": bot}).result


def _json(raw: bytes) -> bool:
    try:
        loads(raw)
    except ValueError:  # orjson's and the standard library's decode errors are ValueErrors
        return False
    return True


class UnreadableUpdates(BaseRequestMiddleware):
    """One update this aiogram cannot read must not stop polling for everyone.

    getUpdates returns a batch; one update that does not validate (a Bot API server of another
    version, a field renamed) failed the whole batch, and the same batch came back for ever.
    Here the batch is read update by update: an unreadable one becomes an empty update with its
    id, which the poller counts past (so Telegram forgets it) and the dispatcher drops
    (`bot.middlewares.drops.known_updates`)."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except ClientDecodeError as exc:
            batch = exc.data.get("result") if isinstance(exc.data, dict) else None
            if not isinstance(method, GetUpdates) or not isinstance(batch, list):
                raise
            updates = [readable_update(bot, raw) for raw in batch]
            if any(update is None for update in updates):
                raise  # not even an update id: nothing to count past
            # What a request middleware passes on is the method's result (the type says
            # Response, but the session unwraps it before the middlewares see it).
            return cast(Response[TelegramType], updates)


def readable_update(bot: Bot, raw: Any) -> Update | None:
    """An update as this aiogram reads it; one it cannot read, an empty update with its id
    (taken and dropped, by polling and the webhook alike); None without an update id."""
    if not isinstance(raw, dict) or type(raw.get("update_id")) is not int:
        return None
    try:
        return Update.model_validate(raw, context={"bot": bot})
    except ValidationError as exc:
        log.warning(
            "update %d cannot be read (%d problems, the first at %s): skipped",
            raw["update_id"],
            exc.error_count(),
            ".".join(map(str, exc.errors()[0]["loc"])),
        )
        return Update(update_id=raw["update_id"])


class AnswerOnce(BaseRequestMiddleware):
    """A callback query is answered once: Telegram refuses a second answer. aiogram-dialog
    answers every button press after its handlers ran — also when a handler already answered
    with a message for the person — so the second, empty answer is dropped here."""

    def __init__(self, remember: int = 10_000) -> None:
        self.remember = remember
        self._answered: OrderedDict[str, None] = OrderedDict()

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        query = method.callback_query_id if isinstance(method, AnswerCallbackQuery) else None
        if query is None:
            return await make_request(bot, method)
        if query in self._answered:
            # What Telegram would say to a first answer: the chain carries results.
            return cast(Response[TelegramType], True)
        self._answered[query] = None
        while len(self._answered) > self.remember:
            self._answered.popitem(last=False)
        try:
            return await make_request(bot, method)
        except BaseException:
            # Not answered after all: the next answer (an apology's toast) may still go.
            self._answered.pop(query, None)
            raise


class RetryMiddleware(BaseRequestMiddleware):
    """Waits out 429s for as long as Telegram asks and retries network errors and 5xx with a
    growing pause, so a reply is delayed, not lost; gives up only after `patience` seconds of
    waiting, logging once. (Four tries — 3.5 s — lost the answer to a five-second Telegram
    hiccup; with polling nothing delivers such an update again, so the person heard nothing.)"""

    def __init__(
        self, patience: float = 30.0, first_delay: float = 0.5, max_delay: float = 8.0
    ) -> None:
        self.patience = patience
        self.first_delay = first_delay
        self.max_delay = max_delay

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        delay, waited, warned = self.first_delay, 0.0, False
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                pause = float(exc.retry_after)
                failure: Exception = exc
            except (TelegramNetworkError, TelegramServerError) as exc:
                pause, delay = delay, min(delay * 2, self.max_delay)
                failure = exc
            if waited + pause > self.patience:
                log.warning(
                    "%s failed (%s) for %.0f s: giving up",
                    method.__api_method__,
                    type(failure).__name__,
                    waited,
                )
                raise failure
            if not warned:
                log.warning(
                    "%s failed (%s): retrying for up to %.0f s",
                    method.__api_method__,
                    type(failure).__name__,
                    self.patience,
                )
                warned = True
            await asyncio.sleep(pause)
            waited += pause
