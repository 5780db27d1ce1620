"""The sandbox Bot API server and the chat page's API, in one aiohttp application.

`/bot<token>/<method>` speaks the subset of the Bot API the bot uses; `/sandbox/api/...` is what
the web chat page, the end-to-end tests and the benchmark use to play the user's side.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from sandbox.identity import BOT_ID, BOT_USERNAME, DEFAULT_TOKEN, PRACTITIONERS_CHAT
from sandbox.wire import (
    WireError,
    check_inline_keyboard,
    check_message,
    check_update,
    parse_html,
    utf16_len,
)

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
MAX_TEXT = 4096
JSON_FIELDS = frozenset(
    {"reply_markup", "entities", "commands", "scope", "link_preview_options", "menu_button",
     "allowed_updates", "caption_entities", "reply_parameters"}
)  # fmt: skip


CAPTIONED = frozenset({"photo", "document", "voice"})
"""Kinds of message that carry a caption (the user's `text` with them)."""


class ApiError(Exception):
    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id


@dataclass
class ChatLog:
    """One private chat as both sides see it, with a version for long-polling readers."""

    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)
    version: int = 0
    next_id: int = 1


@dataclass
class Webhook:
    url: str
    secret_token: str | None


class Sandbox:
    """All state of the fake Telegram: chats, pending updates, webhook, commands."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, oracle: bool = True) -> None:
        self.token = token
        self.oracle = oracle
        """Check every update and message with python-telegram-bot's types. The tests need that
        independent check of the wire format; bench/bot.py turns it off, because it would
        measure the check, not the bot (it took two fifths of the load generator's core)."""
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, ChatLog] = defaultdict(ChatLog)
        self.pending: list[dict[str, Any]] = []
        self.update_ids = itertools.count(1)
        self.callback_ids = itertools.count(1)
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.open_callbacks: set[str] = set()
        self.answered_twice: list[str] = []
        """Callback queries the bot answered again after answering them (a bot bug)."""
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook: Webhook | None = None
        self.blocked: set[int] = set()
        self.flood_wait: int = 0
        self.server_errors: int = 0
        """The next this many sends answer 500, as a Bot API server having a bad moment."""
        self.unavailable: int = 0
        """The next this many calls of any method answer 502, as while Telegram is out of reach."""
        self.proxy_pages = False
        """While `unavailable`, answer as a proxy in front of a Bot API server does: an HTML
        error page, not the Bot API's JSON."""
        self.duplicate_deliveries = False
        """Post every webhook update twice at once, as Telegram does when it retries."""
        self.webhook_workers = 40
        """Updates posted to the webhook at a time (Telegram's default max_connections)."""
        self.webhook_answers: list[int] = []
        """The HTTP status of every webhook delivery attempt."""
        self.allowed_updates: frozenset[str] | None = None
        """The kinds of update the bot asked for (getUpdates or setWebhook); as on Telegram,
        others are never delivered, and the last request's list stays until another."""
        self.changed = asyncio.Condition()
        self._chat_waiters: dict[int, asyncio.Event] = {}
        """Readers of one chat, woken by that chat only (`wait_chat`), not by every message."""
        self.requests: list[str] = []
        self._deliveries: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._http: ClientSession | None = None
        self.closing = False
        self.groups: dict[int, str] = {PRACTITIONERS_CHAT: "Practitioners (sandbox)"}
        self.migrated: dict[int, int] = {}
        """Groups upgraded to a supergroup: old id -> new id (a post to the old one is refused
        with the new id, as Telegram does)."""
        self.sent: list[tuple[float, int]] = []
        """(monotonic time, chat id) of every message the bot sent: rates are measured on it."""
        self.refused: list[tuple[float, int]] = []
        """(monotonic time, retry_after) of every 429 the sandbox answered."""

    # ------------------------------------------------------------------ user side

    def user(
        self, user_id: int, first_name: str = "Test", language_code: str | None = None
    ) -> dict[str, Any]:
        user = self.users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": first_name}
        )
        user["first_name"] = first_name
        if language_code:
            user["language_code"] = language_code
        else:
            user.pop("language_code", None)
        return user

    def upgrade_group(self, old: int, new: int) -> None:
        """A group becomes a supergroup with a new id, as Telegram does when a group grows."""
        self.groups[new] = self.groups.pop(old)
        self.migrated[old] = new

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self.groups:
            return {"id": chat_id, "type": "supergroup", "title": self.groups[chat_id]}
        return {"id": chat_id, "type": "private", "first_name": self.users[chat_id]["first_name"]}

    async def _store(self, chat_id: int, message: dict[str, Any]) -> None:
        async with self.changed:
            log_ = self.chats[chat_id]
            if message["message_id"] not in log_.messages:
                log_.order.append(message["message_id"])
            log_.messages[message["message_id"]] = message
            log_.version += 1
            self.changed.notify_all()
        if (waiters := self._chat_waiters.pop(chat_id, None)) is not None:
            waiters.set()

    def _checked(
        self, check: Callable[[dict[str, Any]], dict[str, Any]], data: dict[str, Any]
    ) -> dict[str, Any]:
        return check(data) if self.oracle else data

    def _new_message_id(self, chat_id: int) -> int:
        log_ = self.chats[chat_id]
        message_id = log_.next_id
        log_.next_id += 1
        return message_id

    async def _emit(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = self._checked(check_update, {"update_id": next(self.update_ids), kind: payload})
        if self.allowed_updates is not None and kind not in self.allowed_updates:
            return update  # the bot did not ask for this kind: Telegram drops it
        if self.webhook:
            await self._deliveries.put(update)
        else:
            async with self.changed:
                self.pending.append(update)
                self.changed.notify_all()
        return update

    async def user_message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        kind: str = "text",
        first_name: str = "Test",
        language_code: str | None = None,
        chat_id: int | None = None,
        reply_to: int | None = None,
        album: str | None = None,
    ) -> dict[str, Any]:
        """The user sends something: text, or a sticker, voice, photo, location or document —
        in their private chat with the bot, or in a group (`chat_id`), maybe as a reply;
        photos sent together share an `album` (Telegram's media_group_id), one update each."""
        user = self.user(user_id, first_name, language_code)
        chat = user_id if chat_id is None else chat_id
        if chat != user_id and chat not in self.groups:
            raise ApiError(400, "Bad Request: chat not found")
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat),
            "from": dict(user),
            "chat": self._chat(chat),
            "date": int(time.time()),
        }
        if reply_to is not None:
            original = self.chats[chat].messages.get(reply_to)
            if original is None:
                raise ApiError(400, "Bad Request: message to be replied not found")
            message["reply_to_message"] = {k: v for k, v in original.items() if k != "deleted"}
        if kind == "text":
            message["text"] = text or ""
            if message["text"].startswith("/"):
                command = message["text"].split()[0]
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
                ]
        else:
            message.update(_media(kind, message["message_id"]))
            if text and kind in CAPTIONED:
                message["caption"] = text
            if album is not None:
                message["media_group_id"] = album
        self._checked(check_message, message)
        await self._store(chat, message)
        await self._emit("message", message)
        return message

    async def raw_update(self, kind: str, payload: dict[str, Any]) -> None:
        """An update as given, unchecked: what a Bot API server of another version might send."""
        oracle, self.oracle = self.oracle, False
        try:
            await self._emit(kind, payload)
        finally:
            self.oracle = oracle

    async def user_edit(self, user_id: int, message_id: int, text: str) -> dict[str, Any]:
        original = self.chats[user_id].messages.get(message_id)
        if original is None or original.get("from", {}).get("is_bot"):
            raise ApiError(400, "Bad Request: message to edit not found")
        edited = {**original, "text": text, "edit_date": int(time.time())}
        edited.pop("entities", None)
        self._checked(check_message, edited)
        await self._store(user_id, edited)
        await self._emit("edited_message", edited)
        return edited

    async def user_click(
        self,
        user_id: int,
        message_id: int,
        data: str | None,
        chat_id: int | None = None,
        *,
        inline: bool = False,
    ) -> str:
        """A button press; `data` None: a game's button (Telegram then sends game_short_name);
        `inline`: on an inline message, which the query names by id instead of carrying."""
        chat = user_id if chat_id is None else chat_id
        message = self.chats[chat].messages.get(message_id)
        if message is None:
            raise ApiError(400, "Bad Request: message not found")
        query_id = str(next(self.callback_ids))
        self.open_callbacks.add(query_id)
        query: dict[str, Any] = {
            "id": query_id,
            "from": dict(self.users[user_id]),
            "chat_instance": f"sandbox-{user_id}",
        }
        query.update(
            {"inline_message_id": f"inline-{message_id}"} if inline else {"message": message}
        )
        query.update({"game_short_name": "game"} if data is None else {"data": data})
        await self._emit("callback_query", query)
        return query_id

    # ------------------------------------------------------------------ bot side

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        self.requests.append(method)
        handler = self._methods().get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return await handler(params)

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]:
        return {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback,
            "sendphoto": lambda p: self._send_media(p, "photo"),
            "senddocument": lambda p: self._send_media(p, "document"),
            "sendchataction": self._true,
            "setmycommands": self._set_commands,
            "getmycommands": self._get_commands,
            "deletemycommands": self._delete_commands,
            "setchatmenubutton": self._true,
            "setmydescription": self._true,
            "setmyshortdescription": self._true,
            "close": self._true,
            "logout": self._true,
        }

    async def _true(self, _params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Witaj (sandbox)",
            "username": BOT_USERNAME,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        self._allow(params)
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = min(float(params.get("timeout") or 0), 50.0)
        deadline = time.monotonic() + timeout
        async with self.changed:
            while True:
                if offset:
                    self.pending = [u for u in self.pending if u["update_id"] >= offset]
                if self.pending or self.closing or time.monotonic() >= deadline:
                    return self.pending[:limit]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), deadline - time.monotonic())

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params)
        if not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: invalid URL")
        self.webhook = Webhook(url, params.get("secret_token"))
        self._allow(params)
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self.pending.clear()
        else:
            for update in self.pending:
                await self._deliveries.put(update)
            self.pending.clear()
        return True

    def _allow(self, params: dict[str, Any]) -> None:
        kinds = params.get("allowed_updates")
        if isinstance(kinds, list):  # an empty list: every kind (Telegram's default set)
            self.allowed_updates = frozenset(map(str, kinds)) or None

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self.pending.clear()
        return True

    async def _get_webhook_info(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending) + self._deliveries.qsize(),
        }

    def _target(self, params: dict[str, Any]) -> int:
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat_id is empty") from None
        if chat_id in self.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=self.migrated[chat_id],
            )
        if chat_id not in self.users and chat_id not in self.groups:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if self.flood_wait:
            self.flood_wait -= 1
            self.refused.append((time.monotonic(), 1))
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        if self.server_errors:
            self.server_errors -= 1
            raise ApiError(500, "Internal Server Error")
        return chat_id

    def _text(self, params: dict[str, Any], key: str = "text") -> tuple[str, list[dict[str, Any]]]:
        raw = params.get(key)
        if raw is None or str(raw) == "":
            raise ApiError(400, "Bad Request: message text is empty")
        mode = (params.get("parse_mode") or "").lower()
        try:
            text, entities = parse_html(str(raw)) if mode == "html" else (str(raw), [])
        except WireError as exc:
            raise ApiError(400, str(exc)) from None
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if not markup:
            return None
        try:
            return check_inline_keyboard(markup)
        except WireError as exc:
            raise ApiError(400, str(exc)) from None

    def _bot_message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        message = {
            "message_id": self._new_message_id(chat_id),
            "from": {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Witaj (sandbox)",
                "username": BOT_USERNAME,
            },
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **{k: v for k, v in content.items() if v not in (None, [], {})},
        }
        return self._checked(check_message, message)

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target(params)
        text, entities = self._text(params)
        message = self._bot_message(
            chat_id,
            text=text,
            entities=entities,
            reply_markup=self._markup(params),
            reply_to_message=self._replied(chat_id, params),
        )
        await self._store(chat_id, message)
        self.sent.append((time.monotonic(), chat_id))
        return message

    def _replied(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters") or {}
        wanted = reply.get("message_id") if isinstance(reply, dict) else None
        wanted = wanted or params.get("reply_to_message_id")
        if not wanted:
            return None
        original = self.chats[chat_id].messages.get(int(wanted))
        if original is None:
            if isinstance(reply, dict) and reply.get("allow_sending_without_reply"):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return {k: v for k, v in original.items() if k not in ("deleted", "reply_to_message")}

    def _bot_owned(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = self._target(params)
        message = self.chats[chat_id].messages.get(int(params.get("message_id") or 0))
        if message is None or message.get("deleted"):
            raise ApiError(400, "Bad Request: message to edit not found")
        if not message.get("from", {}).get("is_bot"):
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat_id, message

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, message = self._bot_owned(params)
        text, entities = self._text(params)
        markup = self._markup(params)
        if (
            message.get("text") == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        edited = {k: v for k, v in message.items() if k not in ("entities", "reply_markup")}
        edited.update(text=text, edit_date=int(time.time()))
        if entities:
            edited["entities"] = entities
        if markup:
            edited["reply_markup"] = markup
        self._checked(check_message, edited)
        await self._store(chat_id, edited)
        return edited

    async def _edit_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, message = self._bot_owned(params)
        markup = self._markup(params)
        if message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        edited = {k: v for k, v in message.items() if k != "reply_markup"}
        edited["edit_date"] = int(time.time())
        if markup:
            edited["reply_markup"] = markup
        self._checked(check_message, edited)
        await self._store(chat_id, edited)
        return edited

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._target(params)
        message = self.chats[chat_id].messages.get(int(params.get("message_id") or 0))
        if message is None or message.get("deleted"):
            raise ApiError(400, "Bad Request: message to delete not found")
        await self._store(chat_id, {**message, "deleted": True})
        return True

    async def _answer_callback(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self.open_callbacks:
            if query_id in self.callback_answers:
                self.answered_twice.append(query_id)
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self.open_callbacks.discard(query_id)
        async with self.changed:
            self.callback_answers[query_id] = {
                "text": params.get("text"),
                "show_alert": params.get("show_alert") in (True, "true", "True"),
            }
            self.changed.notify_all()
        return True

    async def _send_media(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        chat_id = self._target(params)
        caption: str = ""
        entities: list[dict[str, Any]] = []
        if params.get("caption"):
            caption, entities = self._text(params, "caption")
        file_id = f"sandbox-{kind}-{next(self.update_ids)}"
        content: dict[str, Any]
        if kind == "photo":
            content = {
                "photo": [
                    {"file_id": file_id, "file_unique_id": file_id, "width": 512, "height": 512}
                ]
            }
        else:
            content = {
                "document": {"file_id": file_id, "file_unique_id": file_id, "file_name": "file"}
            }
        message = self._bot_message(
            chat_id,
            caption=caption or None,
            caption_entities=entities,
            reply_markup=self._markup(params),
            **content,
        )
        await self._store(chat_id, message)
        return message

    async def _set_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands") or []
        if not isinstance(commands, list) or not all(
            isinstance(c, dict) and c.get("command") and c.get("description") for c in commands
        ):
            raise ApiError(400, "Bad Request: BOT_COMMANDS_INVALID")
        self.commands[str(params.get("language_code") or "")] = commands
        return True

    async def _get_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(str(params.get("language_code") or ""), [])

    async def _delete_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(str(params.get("language_code") or ""), None)
        return True

    # ------------------------------------------------------------------ webhook delivery

    async def deliver_forever(self) -> None:
        """Post updates to the webhook, up to `webhook_workers` at a time, retrying each as
        Telegram does until the bot answers 2xx."""
        await asyncio.gather(*(self._deliver() for _ in range(self.webhook_workers)))

    async def _deliver(self) -> None:
        while True:
            update = await self._deliveries.get()
            delay = 0.05
            while self.webhook is not None:
                copies = 2 if self.duplicate_deliveries else 1
                answers = await asyncio.gather(*(self._post(update) for _ in range(copies)))
                if any(status is not None and status < 300 for status in answers):
                    break
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
            if self.webhook is None:
                async with self.changed:
                    self.pending.append(update)
                    self.changed.notify_all()

    async def _post(self, update: dict[str, Any]) -> int | None:
        webhook = self.webhook
        if webhook is None:
            return None
        if self._http is None:
            self._http = ClientSession(timeout=ClientTimeout(total=30))
        headers = {}
        if webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        try:
            async with self._http.post(webhook.url, json=update, headers=headers) as resp:
                self.webhook_answers.append(resp.status)
                if resp.status >= 300:
                    log.warning("webhook answered %s", resp.status)
                return resp.status
        except (ClientError, OSError, TimeoutError) as exc:
            log.warning("webhook delivery failed: %s", exc)
            return None

    async def shutdown(self) -> None:
        """Answer every waiting long poll now, so that the server stops without waiting."""
        async with self.changed:
            self.closing = True
            self.changed.notify_all()
        for waiters in self._chat_waiters.values():
            waiters.set()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    # ------------------------------------------------------------------ readers

    async def wait_chat(self, chat_id: int, since: int, wait: float) -> dict[str, Any]:
        """The chat once its version is past `since` (or `wait` seconds have passed)."""
        await self.chat_version(chat_id, since, wait)
        log_ = self.chats[chat_id]
        return {"version": log_.version, "messages": [log_.messages[i] for i in log_.order]}

    async def chat_version(self, chat_id: int, since: int, wait: float) -> int:
        """The chat's version once it is past `since` (or `wait` seconds have passed)."""
        deadline = time.monotonic() + wait
        while (
            self.chats[chat_id].version <= since
            and not self.closing
            and (left := deadline - time.monotonic()) > 0
        ):
            waiters = self._chat_waiters.setdefault(chat_id, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiters.wait(), left)
        return self.chats[chat_id].version


def _media(kind: str, message_id: int) -> dict[str, Any]:
    file_id = f"user-{kind}-{message_id}"
    unique = {"file_id": file_id, "file_unique_id": file_id}
    kinds: dict[str, dict[str, Any]] = {
        "sticker": {
            "sticker": {
                **unique,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "🙂",
            }
        },
        "voice": {"voice": {**unique, "duration": 3}},
        "photo": {"photo": [{**unique, "width": 640, "height": 480}]},
        "location": {"location": {"latitude": 51.1079, "longitude": 17.0385}},
        "document": {
            "document": {**unique, "file_name": "scan.pdf", "mime_type": "application/pdf"}
        },
    }
    if kind not in kinds:
        raise ApiError(400, f"unknown message kind {kind!r}")
    return kinds[kind]


# ---------------------------------------------------------------------- HTTP


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.body_exists:
        if request.content_type not in FORM_TYPES:
            raise ApiError(400, f"Bad Request: unsupported Content-Type {request.content_type}")
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                params[key] = (
                    value if isinstance(value, str) else getattr(value, "filename", "file")
                )
    for key in JSON_FIELDS & params.keys():
        if isinstance(params[key], str):
            try:
                params[key] = json.loads(params[key])
            except json.JSONDecodeError:
                raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None
    return params


FORM_TYPES = frozenset(
    {"application/json", "application/x-www-form-urlencoded", "multipart/form-data"}
)
"""What the Bot API reads a request's parameters from."""
DELIVERY = web.AppKey("delivery", asyncio.Task[None])


@web.middleware
async def _user_side_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """The chat page's API answers bad requests with a JSON error, never a 500."""
    if not request.path.startswith("/sandbox/api/"):
        return await handler(request)
    if request.method == "POST" and request.content_type != "application/json":
        # A client that forgets its Content-Type has a bug; say so instead of guessing.
        return web.json_response(
            {"error": f"send application/json, not {request.content_type}"}, status=415
        )
    try:
        return await handler(request)
    except ApiError as exc:
        return web.json_response({"error": exc.description}, status=400)
    except (KeyError, TypeError, ValueError) as exc:
        return web.json_response({"error": f"bad request: {exc}"}, status=400)


PROXY_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    "</h1></center><hr><center>nginx</center></body></html>"
)


def build_app(sandbox: Sandbox) -> web.Application:
    app = web.Application(client_max_size=20 * 2**20, middlewares=[_user_side_errors])

    async def bot_api(request: web.Request) -> web.Response:
        if request.match_info["token"] != sandbox.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        try:
            if sandbox.unavailable:
                sandbox.unavailable -= 1
                if sandbox.proxy_pages:
                    return web.Response(status=502, text=PROXY_PAGE, content_type="text/html")
                raise ApiError(502, "Bad Gateway")
            result = await sandbox.call(request.match_info["method"], await _params(request))
        except ApiError as exc:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": exc.code,
                "description": exc.description,
            }
            parameters = {
                key: value
                for key, value in (
                    ("retry_after", exc.retry_after),
                    ("migrate_to_chat_id", exc.migrate_to_chat_id),
                )
                if value is not None
            }
            if parameters:
                body["parameters"] = parameters
            return web.json_response(body, status=exc.code)
        return web.json_response({"ok": True, "result": result})

    async def api_message(request: web.Request) -> web.Response:
        body = await request.json()
        message = await sandbox.user_message(
            int(body["user_id"]),
            body.get("text"),
            kind=str(body.get("kind") or "text"),
            first_name=str(body.get("first_name") or "Test"),
            language_code=body.get("language_code") or None,
            chat_id=int(body["chat_id"]) if body.get("chat_id") else None,
            reply_to=int(body["reply_to"]) if body.get("reply_to") else None,
        )
        return web.json_response(message)

    async def api_edit(request: web.Request) -> web.Response:
        body = await request.json()
        message = await sandbox.user_edit(
            int(body["user_id"]), int(body["message_id"]), str(body["text"])
        )
        return web.json_response(message)

    async def api_click(request: web.Request) -> web.Response:
        body = await request.json()
        query_id = await sandbox.user_click(
            int(body["user_id"]),
            int(body["message_id"]),
            str(body["data"]),
            int(body["chat_id"]) if body.get("chat_id") else None,
        )
        async with sandbox.changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    sandbox.changed.wait_for(lambda: query_id in sandbox.callback_answers),
                    float(body.get("wait", 2.0)),
                )
        answer = sandbox.callback_answers.get(query_id)
        return web.json_response({"callback_query_id": query_id, "answer": answer})

    async def api_block(request: web.Request) -> web.Response:
        body = await request.json()
        user_id = int(body["user_id"])
        (sandbox.blocked.add if body.get("blocked", True) else sandbox.blocked.discard)(user_id)
        return web.json_response({"blocked": sorted(sandbox.blocked)})

    async def api_chat(request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        since = int(request.query.get("since", -1))
        timeout = min(float(request.query.get("timeout", 0)), 30.0)
        return web.json_response(await sandbox.wait_chat(chat_id, since, timeout))

    async def api_info(_request: web.Request) -> web.Response:
        return web.json_response(
            {
                "bot": await sandbox._get_me({}),
                "commands": sandbox.commands,
                "webhook": sandbox.webhook.url if sandbox.webhook else None,
                "groups": [{"id": k, "title": v} for k, v in sandbox.groups.items()],
            }
        )

    async def page(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "chat.html")

    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    app.router.add_post("/sandbox/api/message", api_message)
    app.router.add_post("/sandbox/api/edit", api_edit)
    app.router.add_post("/sandbox/api/click", api_click)
    app.router.add_post("/sandbox/api/block", api_block)
    app.router.add_get("/sandbox/api/chat/{chat_id}", api_chat)
    app.router.add_get("/sandbox/api/info", api_info)
    app.router.add_get("/", page)

    async def start_delivery(app: web.Application) -> None:
        app[DELIVERY] = asyncio.create_task(sandbox.deliver_forever())

    async def stop_delivery(app: web.Application) -> None:
        app[DELIVERY].cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await app[DELIVERY]
        await sandbox.close()

    app.on_startup.append(start_delivery)
    app.on_cleanup.append(stop_delivery)
    return app
