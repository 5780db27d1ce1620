"""Wire-format checks with python-telegram-bot, and Telegram's HTML → text + entities parser."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

from telegram import InlineKeyboardMarkup, Message, TelegramObject, Update


class WireError(ValueError):
    """A payload that the real Bot API would reject (the message is Telegram's wording)."""


def _unknown_fields(obj: object, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(obj, TelegramObject):
        found += [f"{path}{key}" for key in obj.api_kwargs]
        for name, value in obj._get_attrs(recursive=False).items():
            found += _unknown_fields(value, f"{path}{name}.")
    elif isinstance(obj, list | tuple):
        for item in obj:
            found += _unknown_fields(item, path)
    return found


def _check(kind: type[Update] | type[Message], data: dict[str, Any]) -> dict[str, Any]:
    """Parse as python-telegram-bot would; unknown or missing fields raise."""
    name = kind.__name__
    try:
        parsed = kind.de_json(json.loads(json.dumps(data)), None)
    except (KeyError, TypeError, ValueError) as exc:
        raise AssertionError(f"sandbox built an invalid {name}: {exc}") from exc
    unknown = _unknown_fields(parsed)
    if unknown:
        raise AssertionError(f"sandbox {name} has fields the Bot API does not: {unknown}")
    return data


def check_update(data: dict[str, Any]) -> dict[str, Any]:
    return _check(Update, data)


def check_message(data: dict[str, Any]) -> dict[str, Any]:
    return _check(Message, data)


def check_inline_keyboard(data: Any) -> dict[str, Any]:
    """Validate a reply_markup the bot sent, with Telegram's own limits."""
    if not isinstance(data, dict) or "inline_keyboard" not in data:
        raise WireError("Bad Request: only inline keyboards are supported here")
    try:
        markup = InlineKeyboardMarkup.de_json(data, None)
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError(
            f"Bad Request: can't parse reply keyboard markup JSON object: {exc}"
        ) from exc
    unknown = _unknown_fields(markup)
    if unknown:
        raise WireError(f"Bad Request: unknown keyboard fields {unknown}")
    for row in markup.inline_keyboard:
        for button in row:
            if not button.text:
                raise WireError("Bad Request: text buttons are unallowed in the inline keyboard")
            callback = button.callback_data
            if callback is not None and not 1 <= len(str(callback).encode()) <= 64:
                raise WireError("Bad Request: BUTTON_DATA_INVALID")
            if button.callback_data is None and button.url is None:
                raise WireError("Bad Request: inline keyboard button has no action")
    return data


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}


class _EntityParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[dict[str, Any]] = []
        self._open: list[tuple[str, int, dict[str, Any]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        extra: dict[str, Any] = {}
        if tag == "a":
            href = dict(attrs).get("href")
            if not href:
                raise WireError("Bad Request: can't parse entities: <a> without href")
            kind = "text_link"
            extra["url"] = href
        elif tag == "span" and dict(attrs).get("class") == "tg-spoiler":
            kind = "spoiler"
        elif tag in _SIMPLE:
            kind = _SIMPLE[tag]
        else:
            raise WireError(f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"')
        self._open.append((tag, utf16_len(self.text), {"type": kind, **extra}))

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1][0] != tag:
            raise WireError(f'Bad Request: can\'t parse entities: Unmatched end tag "{tag}"')
        _, start, entity = self._open.pop()
        length = utf16_len(self.text) - start
        if length > 0:
            self.entities.append({**entity, "offset": start, "length": length})

    def handle_data(self, data: str) -> None:
        self.text += data


def parse_html(markup: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's parse_mode=HTML: plain text plus entities, or the error Telegram gives."""
    parser = _EntityParser()
    parser.feed(markup)
    parser.close()
    if parser._open:
        raise WireError(f'Bad Request: can\'t parse entities: Unclosed tag "{parser._open[-1][0]}"')
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return parser.text, entities
