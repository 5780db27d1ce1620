"""The user's side of the sandbox over HTTP, for end-to-end tests and the benchmark."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import ClientSession


class SandboxClient:
    def __init__(self, base_url: str, http: ClientSession) -> None:
        self.base = base_url.rstrip("/")
        self.http = http

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(f"{self.base}/sandbox/api/{path}", json=body) as resp:
            data: dict[str, Any] = await resp.json()
            if resp.status >= 400:
                raise RuntimeError(data.get("error", resp.status))
            return data

    async def send(
        self,
        user_id: int,
        text: str | None = None,
        *,
        language_code: str | None = "en",
        kind: str = "text",
        first_name: str = "Test",
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """As `user_id`, in the private chat — or in a group (`chat_id`), maybe as a reply."""
        return await self._post(
            "message",
            {
                "user_id": user_id,
                "text": text,
                "kind": kind,
                "first_name": first_name,
                "language_code": language_code,
                "chat_id": chat_id,
                "reply_to": reply_to,
            },
        )

    async def edit(self, user_id: int, message_id: int, text: str) -> dict[str, Any]:
        return await self._post(
            "edit", {"user_id": user_id, "message_id": message_id, "text": text}
        )

    async def click(
        self, user_id: int, message_id: int, data: str, chat_id: int | None = None
    ) -> dict[str, Any]:
        return await self._post(
            "click",
            {"user_id": user_id, "message_id": message_id, "data": data, "chat_id": chat_id},
        )

    async def block(self, user_id: int, blocked: bool = True) -> None:
        await self._post("block", {"user_id": user_id, "blocked": blocked})

    async def chat(self, user_id: int, since: int = -1, wait: float = 0) -> dict[str, Any]:
        url = f"{self.base}/sandbox/api/chat/{user_id}?since={since}&timeout={wait}"
        async with self.http.get(url) as resp:
            data: dict[str, Any] = await resp.json()
            return data

    async def info(self) -> dict[str, Any]:
        async with self.http.get(f"{self.base}/sandbox/api/info") as resp:
            data: dict[str, Any] = await resp.json()
            return data

    async def wait_until(
        self, user_id: int, predicate: Any, *, since: int = -1, within: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until `predicate(messages)` holds for the chat's visible messages."""
        deadline = time.monotonic() + within
        version = since
        while True:
            data = await self.chat(
                user_id, version, wait=max(0.0, min(5.0, deadline - time.monotonic()))
            )
            version = data["version"]
            visible = [m for m in data["messages"] if not m.get("deleted")]
            if predicate(visible):
                return visible
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"chat {user_id} did not reach the expected state: {visible[-3:]}"
                )

    async def ask(self, user_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        """Send text and return the first bot message that follows it."""
        sent = await self.send(user_id, text, **kwargs)
        messages = await self.wait_until(
            user_id, lambda ms: any(_is_bot(m) and m["message_id"] > sent["message_id"] for m in ms)
        )
        return next(m for m in messages if _is_bot(m) and m["message_id"] > sent["message_id"])

    async def press(
        self, user_id: int, message: dict[str, Any], text: str
    ) -> tuple[dict[str, Any], str | None]:
        """Click the button labelled `text`; the chat's last bot message, and the toast shown."""
        button = find_button(message, text)
        before = await self.chat(user_id)
        clicked = await self.click(user_id, message["message_id"], button["callback_data"])
        messages = await self.wait_until(user_id, lambda ms: True, since=before["version"])
        answer = clicked.get("answer") or {}
        return [m for m in messages if _is_bot(m)][-1], answer.get("text")


def _is_bot(message: dict[str, Any]) -> bool:
    return bool(message.get("from", {}).get("is_bot"))


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b for row in rows for b in row]


def find_button(message: dict[str, Any], text: str) -> dict[str, Any]:
    for button in buttons(message):
        if text.casefold() in button["text"].casefold():
            return button
    labels = [b["text"] for b in buttons(message)]
    raise LookupError(f"no button with {text!r} in {labels}")
