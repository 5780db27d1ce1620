"""Deep links into the bot and the QR codes that carry them.

A school's link is `https://t.me/<bot>?start=s-<code>`: Telegram delivers it as `/start
s-<code>`. Telegram allows start payloads of at most 64 characters of A-Z, a-z, 0-9, _ and -;
school codes keep to that alphabet, so a payload never needs encoding and stays readable on a
poster.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Literal

import segno

from knowledge.schools import CODE

PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
SCHOOL_PREFIX = "s-"


@dataclass(frozen=True)
class StartTarget:
    """What a `/start` payload asks to open."""

    kind: Literal["school"]
    key: str


@dataclass(frozen=True)
class LinkBase:
    """Where links point: the bot's @name, and the public web address (None: as requested)."""

    bot_username: str
    public_url: str | None = None
    sandbox_url: str | None = None
    """In the sandbox: its chat page, where a deep link can be tried as Telegram delivers it."""

    def school_link(self, code: str) -> str:
        return school_link(self.bot_username, code)

    def school_page(self, code: str, requested_base: str) -> str:
        return school_page(self.public_url or requested_base, code)

    def sandbox_link(self, code: str) -> str | None:
        if self.sandbox_url is None:
            return None
        return f"{self.sandbox_url.rstrip('/')}/?start={school_payload(code)}"


def school_payload(code: str) -> str:
    if not CODE.fullmatch(code):
        raise ValueError(f"not a school code: {code!r}")
    return SCHOOL_PREFIX + code


def parse_payload(payload: str) -> StartTarget | None:
    """The target a payload names, or None when it is malformed or of no kind we know."""
    if not PAYLOAD.fullmatch(payload):
        return None
    if payload.startswith(SCHOOL_PREFIX) and CODE.fullmatch(payload[len(SCHOOL_PREFIX) :]):
        return StartTarget("school", payload[len(SCHOOL_PREFIX) :])
    return None


def school_link(bot_username: str, code: str) -> str:
    """The t.me link that opens the school's card (the payload needs no encoding)."""
    payload = school_payload(code)
    assert PAYLOAD.fullmatch(payload)  # a school code is 40 characters at most
    return f"https://t.me/{bot_username.lstrip('@')}?start={payload}"


def school_page(public_url: str, code: str) -> str:
    """The web page with the same information, for parents without Telegram."""
    return f"{public_url.rstrip('/')}/s/{code}"


def qr_code(link: str) -> segno.QRCode:
    # Error correction "Q" survives a crumpled or partly covered poster.
    return segno.make_qr(link, error="q")


def qr_bytes(link: str, kind: Literal["png", "svg"], *, scale: int = 10) -> bytes:
    out = io.BytesIO()
    qr_code(link).save(out, kind=kind, scale=scale, border=4, dark="#000", light="#fff")
    return out.getvalue()


def qr_svg_inline(link: str) -> str:
    """An `<svg>` element to place in a page (scales with CSS; no XML declaration)."""
    return qr_code(link).svg_inline(border=4, dark="#000", light="#fff", omitsize=True)
