"""From the stored answer format to Telegram HTML.

Answers are plain text with `**bold**` and "• " bullets. Everything else is escaped, so text
typed by a practitioner can never become markup by accident.
"""

from __future__ import annotations

import html
import re

TELEGRAM_LIMIT = 4096
"""Telegram's limit on a message's text after entity parsing, in UTF-16 code units."""
CARD_RESERVE = 256
"""Room kept on an answer card for its title line, review notice and "last checked" footer."""

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_URL = re.compile(r"https?://[^\s<>()\"']+[^\s<>()\"'.,;:!?]")
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def to_html(text: str) -> str:
    """Escape, then turn `**x**` into <b>x</b>."""
    return _BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))


def visible_text(text: str) -> str:
    """What the reader sees: the text without formatting marks."""
    return _BOLD.sub(r"\1", text)


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def card_length(title: str, answer: str) -> int:
    return telegram_length(f"{title}\n\n{visible_text(answer)}")


def urls(text: str) -> list[str]:
    return _URL.findall(text)


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def unbalanced_bold(text: str) -> bool:
    return _BOLD.sub("", text).count("**") > 0


LRI, PDI = "\u2066", "\u2069"
_LTR_RUN = re.compile(r"https?://\S+|\+?[A-Za-z0-9](?:[A-Za-z0-9.,:/_@%+\-]|[ ](?=[A-Za-z0-9+(]))*")


def isolate_ltr(text: str) -> str:
    """Wrap Latin words, numbers and URLs of right-to-left text in bidi isolates.

    Without them an Arabic sentence containing "+48 71 701 11 00" or a URL shows the pieces
    of the number or link in the wrong order.
    """

    def wrap(match: re.Match[str]) -> str:
        run = match.group(0)
        core = run.rstrip(".,:;")
        return f"{LRI}{core}{PDI}{run[len(core) :]}"

    return _LTR_RUN.sub(wrap, text)


_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def strip_controls(text: str) -> str:
    """Text without NUL and other control characters (tabs and line breaks stay): PostgreSQL
    refuses NUL in text, and none of them means anything to a reader."""
    return _CONTROLS.sub("", text)


def clip(text: str, limit: int) -> str:
    """Plain text cut to at most `limit` UTF-16 code units (as Telegram counts), with "…",
    never in the middle of a surrogate pair."""
    if telegram_length(text) <= limit:
        return text
    units = text.encode("utf-16-le")[: max(0, limit - 1) * 2]
    return units.decode("utf-16-le", errors="ignore").rstrip() + "…"
