"""Workspace accounts: argon2 password hashes, roles, and who may edit which language."""

from __future__ import annotations

import ipaddress
import time
from collections import deque
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge import web_sessions
from knowledge.enums import Role
from knowledge.languages import LANGUAGES
from knowledge.models import Practitioner, School

_hasher = PasswordHasher()
MIN_PASSWORD = 10
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


class AccountError(ValueError):
    """A request the account rules refuse; the message says why, for a person to read.

    `code` names the rule so that the workspace can say it in the practitioner's language.
    """

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


COMMON_PASSWORDS = frozenset(
    """password12 password123 password1234 password12345 passw0rd123 p@ssw0rd123 p@ssword123
    passwordpassword 1234567890 12345678910 123456789012 0123456789 0987654321 1111111111
    qwertyuiop qwerty1234 qwerty12345 qwerty123456 1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx3edc
    q1w2e3r4t5y6 qazwsxedcrfv zaq12wsxcde zaq1zaq1zaq1 asdfghjkl1 zxcvbnm123 abcdefghij
    abc1234567 aa123456789 iloveyou12 admin12345 administrator welcome123 letmein123
    changeme123 superman123 football123 princess123 sunshine123 monkey12345 dragon12345
    master12345 starwars123 computer12 internet12 haslo12345 haslo123456 mojehaslo1 tajnehaslo
    polska1234 polska12345 wroclaw123 wroclaw1234 witaj12345 witaj123456 parol12345 parol123456
    пароль1234 пароль12345 йцукенгшщз""".split()  # noqa: SIM905
)
"""Passwords of ten or more characters that guessers try first (from public lists of leaked
passwords, and the obvious local ones)."""


def hash_password(password: str, name: str = "") -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            f"the password needs at least {MIN_PASSWORD} characters", "short_password"
        )
    folded = password.casefold()
    if (
        folded in COMMON_PASSWORDS
        or len(set(folded)) < 4
        or (len(name) >= 3 and name.casefold() in folded)
    ):
        raise AccountError(
            "the password is too easy to guess: not a common password, the account's name or "
            "a few characters repeated",
            "weak_password",
        )
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
        password_hash=hash_password(password, name),
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
    """The account, if the password is right and the account is not disabled."""
    user = await get_user(session, name.strip())
    if user is None:
        _hasher.hash(password)  # same work either way: no hint whether the name exists
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


async def _existing(session: AsyncSession, name: str) -> Practitioner:
    user = await get_user(session, name.strip())
    if user is None:
        raise AccountError(f"no user {name!r} (see: witaj user list)", "unknown_user")
    return user


async def _not_the_last_admin(session: AsyncSession, user: Practitioner) -> None:
    admins = [u for u in await list_users(session) if u.role is Role.ADMIN and not u.disabled]
    if user.role is Role.ADMIN and admins == [user]:
        raise AccountError("this is the last admin: make another admin first", "last_admin")


async def set_disabled(session: AsyncSession, name: str, *, disabled: bool) -> Practitioner:
    """Disable (every session ends at once) or enable an account."""
    user = await _existing(session, name)
    if disabled:
        await _not_the_last_admin(session, user)
    user.disabled = disabled
    if disabled:
        await web_sessions.end_all(session, user.id)
    await session.flush()
    return user


async def set_password(session: AsyncSession, name: str, password: str) -> Practitioner:
    """A new password; every session of the account ends, the person logs in again."""
    user = await _existing(session, name)
    user.password_hash = hash_password(password, name)
    await web_sessions.end_all(session, user.id)
    await session.flush()
    return user


async def remove_user(session: AsyncSession, name: str) -> None:
    """Delete the account and its sessions; the topics it owned keep no owner, its name stays
    in the history it wrote."""
    user = await _existing(session, name)
    await _not_the_last_admin(session, user)
    await web_sessions.end_all(session, user.id)
    await session.delete(user)
    await session.flush()


IPV6_SITE = 64
"""An IPv6 client is counted by its /64: one subscriber or site holds all of those addresses
and could take a fresh one for every few guesses."""


def _network(client: str) -> str:
    """The part of a client's address that limits count: the address itself, or an IPv6
    address's /64 network."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if not isinstance(address, ipaddress.IPv6Address):
        return client
    if address.ipv4_mapped is not None:  # ::ffff:203.0.113.7 is that IPv4 client
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, IPV6_SITE), strict=False))


@dataclass
class LoginThrottle:
    """Failed logins, limited so that guessing is slow but nobody can lock an owner out.

    Per (name, client address): `attempts` failures in `window` seconds lock that pair — wrong
    passwords for a name sent from one address never block its owner logging in from another.
    Per client address: `client_attempts` failures (any names) lock the address. Each further
    lock of the same key lasts twice as long (up to `max_lock`). Kept in memory: a workspace
    runs as one process; a restart forgets it, which costs an attacker a restart per few
    guesses against argon2 hashes.
    """

    attempts: int = 5
    client_attempts: int = 20
    window: float = 300.0
    max_lock: float = 3600.0
    max_keys: int = 50_000
    """Beyond this many remembered keys, the expired ones are dropped (names sprayed from many
    addresses must not grow memory without end)."""
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _locked: dict[str, tuple[float, int]] = field(default_factory=dict)
    """key -> (locked until, how many times it was locked)."""
    _prune_at: int = 0

    def __post_init__(self) -> None:
        self._prune_at = self.max_keys

    @staticmethod
    def keys(name: str, client: str) -> tuple[str, str]:
        client = _network(client)
        return f"name:{name}|{client}", f"client:{client}"

    def blocked_for(self, *keys: str, now: float | None = None) -> float:
        """Seconds until another attempt is allowed (0 when it is allowed now)."""
        now = time.monotonic() if now is None else now
        return max(0.0, *(self._locked.get(key, (0.0, 0))[0] - now for key in keys))

    def failed(self, *keys: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if len(self._failures) + len(self._locked) > self._prune_at:
            self._forget_expired(now)
            self._prune_at = max(self.max_keys, 2 * (len(self._failures) + len(self._locked)))
        for key in keys:
            recent = self._recent(key, now)
            recent.append(now)
            limit = self.client_attempts if key.startswith("client:") else self.attempts
            if len(recent) >= limit:
                _, strikes = self._locked.get(key, (0.0, 0))
                lock = min(self.window * 2**strikes, self.max_lock)
                self._locked[key] = (now + lock, strikes + 1)
                recent.clear()

    def succeeded(self, *keys: str) -> None:
        """Forget the name's failures, never the address's: anyone with an account of their
        own could otherwise log in now and then to guess at other names without end."""
        for key in keys:
            if not key.startswith("client:"):
                self._failures.pop(key, None)
                self._locked.pop(key, None)

    def _forget_expired(self, now: float) -> None:
        for key in [k for k in self._failures if not self._recent(k, now)]:
            del self._failures[key]
        # A lock that ended more than `max_lock` ago no longer makes the next one longer.
        for key in [k for k, (until, _) in self._locked.items() if until < now - self.max_lock]:
            del self._locked[key]

    def _recent(self, key: str, now: float) -> deque[float]:
        recent = self._failures.setdefault(key, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        return recent
