"""From the stored answer format to Telegram HTML.

Answers are plain text with `**bold**` and "• " bullets. Everything else is escaped, so text
typed by a practitioner can never become markup by accident.
"""

from __future__ import annotations

import html
import re
import unicodedata

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
_CORE = frozenset({"L", "EN", "NSM"})
"""Bidi classes that make a left-to-right run: letters of any left-to-right script (Polish
with its diacritics, Cyrillic), European digits, combining marks."""
_JOINERS = frozenset({"ES", "ET", "CS", "ON", "WS", "BN"})
"""Separators, spaces and neutral signs: part of a run only between two of its core
characters ("A1–C2", "+48 71 701 11 00", "ul. Ślężna 5", "https://a.pl/x?y=1")."""
_BREAKERS = frozenset("*•\u2066\u2067\u2068\u2069")
"""Never inside a run: the bold marks (so isolates stay within them) and bullets."""


def _bidi(ch: str) -> str:
    if ch in _BREAKERS or "\u0600" <= ch <= "\u06ff":  # Arabic punctuation ("،") ends a run
        return ""
    return unicodedata.bidirectional(ch)


def isolate_ltr(text: str) -> str:
    """Wrap every left-to-right run of right-to-left text in a bidi isolate.

    Without them an Arabic sentence shows "pełnomocnik" as "nomocnikłpe", "A1–C2" as
    "C2–A1", and the pieces of a phone number or link in the wrong order. A run is decided by
    the Unicode bidi classes, not an alphabet: it starts at a strong left-to-right letter or a
    digit (or a "+" or "(" right before one), takes separators and spaces only between such
    characters, and ends with a ")" it opened or a "%" or "+" after a number.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        start = i
        if _bidi(text[i]) not in _CORE:
            if text[i] in "+(" and i + 1 < n and _bidi(text[i + 1]) in _CORE:
                i += 1
            else:
                out.append(text[i])
                i += 1
                continue
        end = i  # one past the last core character
        j = i
        while j < n:
            kind = _bidi(text[j])
            if kind in _CORE:
                j += 1
                end = j
            elif kind in _JOINERS:
                j += 1
            else:
                break
        run = text[start:end]
        if (end < n and text[end] == ")" and run.count("(") > run.count(")")) or (
            end < n and text[end] in "%+" and run[-1:].isdigit()
        ):
            end += 1
        out.append(f"{LRI}{text[start:end]}{PDI}")
        i = end
    return "".join(out)


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
