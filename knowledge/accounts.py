"""Workspace accounts: argon2 password hashes, roles, and who may edit which language."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.enums import Role
from knowledge.languages import LANGUAGES
from knowledge.models import Practitioner, School

_hasher = PasswordHasher()
MIN_PASSWORD = 10
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


class AccountError(ValueError):
    """A request the account rules refuse; the message says why, for a person to read."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def can_edit(user: Practitioner, lang: str) -> bool:
    """Admins and editors edit every language; translators only theirs; schools no topics."""
    if user.role in (Role.ADMIN, Role.EDITOR):
        return True
    return user.role is Role.TRANSLATOR and lang in user.languages


def can_edit_school(user: Practitioner, school: School) -> bool:
    """Admins edit every school; a school's own account edits only that school."""
    if user.role is Role.ADMIN:
        return True
    return user.role is Role.SCHOOL and user.school_id == school.id


def can_manage(user: Practitioner) -> bool:
    """Topic-wide work: owners, review dates, the unanswered inbox, new topics."""
    return user.role in (Role.ADMIN, Role.EDITOR)


async def add_user(
    session: AsyncSession,
    name: str,
    role: Role,
    password: str,
    *,
    languages: list[str] | None = None,
    telegram_id: int | None = None,
    school: str | None = None,
    intercultural_assistant: bool = False,
) -> Practitioner:
    name = name.strip().casefold()
    if not name or not set(name) <= NAME_CHARS or len(name) > 64:
        raise AccountError("a user name is 1-64 of a-z, 0-9, '.', '_' and '-'")
    unknown = [code for code in languages or [] if code not in LANGUAGES]
    if unknown:
        raise AccountError(f"unknown language {', '.join(unknown)}; use {', '.join(LANGUAGES)}")
    if role is Role.TRANSLATOR and not languages:
        raise AccountError("a translator needs --languages")
    school_row = None
    if role is Role.SCHOOL:
        if not school:
            raise AccountError("a school account needs --school CODE")
        school_row = await session.scalar(select(School).where(School.code == school))
        if school_row is None:
            raise AccountError(f"no school with code {school!r} (see: witaj school list)")
    elif school:
        raise AccountError("--school is only for accounts with --role school")
    if await get_user(session, name) is not None:
        raise AccountError(f"user {name!r} already exists")
    user = Practitioner(
        name=name,
        role=role,
        languages=list(dict.fromkeys(languages or [])),
        password_hash=hash_password(password),
        telegram_id=telegram_id,
        school_id=school_row.id if school_row else None,
        intercultural_assistant=intercultural_assistant,
    )
    session.add(user)
    await session.flush()
    return user


async def get_user(session: AsyncSession, name: str) -> Practitioner | None:
    return await session.scalar(select(Practitioner).where(Practitioner.name == name.casefold()))


async def list_users(session: AsyncSession) -> list[Practitioner]:
    return list(await session.scalars(select(Practitioner).order_by(Practitioner.name)))


async def authenticate(session: AsyncSession, name: str, password: str) -> Practitioner | None:
    user = await get_user(session, name.strip())
    if user is None:
        _hasher.hash(password)  # same work either way: no hint whether the name exists
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


@dataclass
class LoginThrottle:
    """At most `attempts` failed logins per name and per address within `window` seconds.

    Kept in memory: a replica restart forgets it, which costs an attacker a restart per few
    guesses — acceptable for a workspace whose passwords are argon2-hashed anyway.
    """

    attempts: int = 5
    window: float = 300.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def blocked_for(self, *keys: str) -> float:
        """Seconds until another attempt is allowed (0 when it is allowed now)."""
        now = time.monotonic()
        wait = 0.0
        for key in keys:
            recent = self._recent(key, now)
            if len(recent) >= self.attempts:
                wait = max(wait, recent[0] + self.window - now)
        return wait

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        for key in keys:
            self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float]:
        recent = self._failures.setdefault(key, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        return recent
