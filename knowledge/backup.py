"""`witaj backup` / `witaj restore`: the practitioners' work, never the migrants' words.

A backup holds the knowledge base with every revision, the schools, the practitioners'
accounts (password hashes included: keep the file as safe as the database), announcements
and the anonymous weekly figures. It leaves out everything about migrants (profiles,
subscriptions, tickets, unanswered questions, votes, deliveries) and the app's secrets. (A
question a practitioner taught to a topic is part of the topic, cleaned of what identifies its
asker: see `gaps.impersonal`.)
The file is JSON (gzip-compressed when its name ends in .gz), readable on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Integer,
    Table,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.db import HEAD
from knowledge.models import Base
from knowledge.versions import bump_content_version

FORMAT = "witaj-backup"
KEPT = (
    "school",
    "practitioner",
    "topic",
    "translation",
    "revision",
    "source",
    "school_info",
    "school_revision",
    "school_open",
    "announcement",
    "usage_count",
)
"""In an order that satisfies every foreign key."""
REFERRING = ("feedback", "delivery")
"""Migrants' rows that point at kept ones: cleared when a backup replaces a knowledge base."""


class BackupError(ValueError):
    """The file is not a backup this version can restore, or the database is not empty."""


@dataclass(frozen=True)
class Summary:
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _tables() -> list[Table]:
    tables = Base.metadata.tables
    return [tables[name] for name in KEPT]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


async def dump(session: AsyncSession) -> dict[str, Any]:
    data: dict[str, Any] = {"format": FORMAT, "schema": HEAD, "tables": {}}
    for table in _tables():
        order = list(table.primary_key.columns)
        rows = (await session.execute(select(table).order_by(*order))).mappings()
        data["tables"][table.name] = [
            {key: _plain(value) for key, value in row.items()} for row in rows
        ]
    return data


def write(path: Path, data: dict[str, Any]) -> None:
    raw = json.dumps(data, ensure_ascii=False, indent=1).encode()
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(gzip.compress(raw) if path.name.endswith(".gz") else raw)
    tmp.replace(path)


def read(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        data = json.loads(raw)
    except (OSError, ValueError, EOFError) as exc:
        raise BackupError(f"{path} is not a readable backup: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Witaj backup")
    if str(data.get("schema", "")) > HEAD:
        raise BackupError(
            f"{path} comes from a newer Witaj (schema {data.get('schema')}): upgrade first"
        )
    if not isinstance(data.get("tables"), dict):
        raise BackupError(f"{path} holds no tables")
    return data


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """Back from JSON: dates and times from ISO text; columns this schema lacks dropped."""
    typed: dict[str, Any] = {}
    for column in table.columns:
        if column.name not in row:
            continue
        value = row[column.name]
        try:
            if value is not None and isinstance(column.type, DateTime):
                value = datetime.fromisoformat(value)
            elif value is not None and isinstance(column.type, Date):
                value = date.fromisoformat(value)
        except (TypeError, ValueError):
            raise BackupError(f"{table.name}.{column.name} in the backup is not a date") from None
        if value is not None and not _fits(column, value):
            # SQLite would store "first" in an integer column without a word.
            raise BackupError(f"{table.name}.{column.name} in the backup has the wrong kind")
        typed[column.name] = value
    return typed


def _fits(column: Column[Any], value: Any) -> bool:
    try:
        kind = column.type.python_type
    except NotImplementedError:  # JSON and the like: any JSON value
        return True
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind in (str, bool):
        return isinstance(value, kind)
    return True


async def restore(session: AsyncSession, data: dict[str, Any], *, replace: bool) -> Summary:
    """Load a backup into this (migrated) database, in the caller's transaction.

    Without `replace` the database must hold no knowledge base yet (a new one); with it, the
    current knowledge base (and the migrants' votes and deliveries pointing at it) goes."""
    tables = _tables()
    present = await session.scalar(select(func.count()).select_from(Base.metadata.tables["topic"]))
    if present and not replace:
        raise BackupError(
            "this database already holds a knowledge base: restore into a new database, "
            "or pass --replace to overwrite it"
        )
    for name in (*REFERRING, *reversed(KEPT)):
        await session.execute(delete(Base.metadata.tables[name]))
    counts: dict[str, int] = {}
    for table in tables:
        rows = data["tables"].get(table.name) or []
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise BackupError(f"table {table.name} in the backup is malformed")
        typed = [_typed(table, row) for row in rows]
        if typed:
            try:
                await session.execute(insert(table), typed)
            except (StatementError, DBAPIError) as exc:  # a value of the wrong kind
                problem = str(exc.orig if isinstance(exc, DBAPIError) else exc).splitlines()[0]
                raise BackupError(
                    f"table {table.name} in the backup does not fit: {problem}"
                ) from None
        counts[table.name] = len(typed)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await _reset_sequences(session, tables)
    await bump_content_version(session)  # every replica rebuilds its library
    return Summary(counts)


async def _reset_sequences(session: AsyncSession, tables: list[Table]) -> None:
    for table in tables:
        column = table.c.get("id")
        if column is None or not isinstance(column.type, Integer):
            continue
        await session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            )
        )
