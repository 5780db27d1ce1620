"""Engine, sessions and schema migrations.

The application upgrades the schema itself on start (and `witaj db upgrade` does the same), so a
fresh SQLite file or an empty PostgreSQL database is ready without a separate step.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    event,
    insert,
    text,
)
from sqlalchemy import inspect as inspect_db
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
HEAD = "0012"
"""The newest migration (a test checks it is Alembic's head): a database already there is
started without loading Alembic at all."""


class DatabaseUrlError(ValueError):
    """A DATABASE_URL that cannot work, explained in one line."""


def make_engine(url: str) -> AsyncEngine:
    """Build an async engine; SQLite gets its directory created and foreign keys switched on."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(f"DATABASE_URL {url!r} is not a database URL") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.get_driver_name() != "aiosqlite":
            raise DatabaseUrlError("SQLite needs the async driver: use sqlite+aiosqlite:///path")
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    elif parsed.get_backend_name() in ("postgresql", "postgres"):
        if parsed.drivername != "postgresql+asyncpg":  # postgres:// is an old alias
            raise DatabaseUrlError(
                "PostgreSQL needs the async driver: use postgresql+asyncpg://..."
            )
    else:
        # Any other database would fail later on a driver that is not installed, with a trace.
        raise DatabaseUrlError(
            f"{parsed.get_backend_name()} is not supported: use SQLite (sqlite+aiosqlite:///path) "
            "or PostgreSQL (postgresql+asyncpg://...)"
        )
    try:
        # hide_parameters: a failing statement is logged without its values (a migrant's words).
        # A ping before each use finds a PostgreSQL connection the server closed (a restart);
        # an SQLite file cannot go away like that, and the ping cost a third of each query.
        ping = parsed.get_backend_name() != "sqlite"
        engine = create_async_engine(parsed, pool_pre_ping=ping, hide_parameters=True)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise DatabaseUrlError(f"DATABASE_URL {parsed!r} is not usable: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode, without an fsync per commit
    cursor.close()


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _current(connection: Connection) -> str | None:
    try:
        with connection.begin_nested():
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # no table yet: a new database
        return None


def _create(connection: Connection) -> None:
    """An empty database gets the models' tables in one step, stamped at `HEAD` — Alembic's
    recipe for building an up-to-date database from scratch. Running eleven migrations in turn
    arrives at the same schema (a test compares the two) in four times the time, with Alembic
    loaded for it."""
    from knowledge.models import Base

    Base.metadata.create_all(connection)
    # Alembic's own version table, as `alembic stamp` writes it.
    version = Table(
        "alembic_version",
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )
    version.create(connection)
    connection.execute(insert(version).values(version_num=HEAD))


async def upgrade(engine: AsyncEngine, revision: str = "head", *, create: bool = True) -> None:
    """Bring the schema to `revision` inside one transaction on the given engine; an empty
    database is created at `HEAD` directly unless `create` is off."""
    async with engine.begin() as connection:
        if revision == "head":
            current = await connection.run_sync(_current)
            if current == HEAD:
                return
            empty = current is None and not await connection.run_sync(
                lambda sync: inspect_db(sync).get_table_names()
            )
            if create and empty:
                await connection.run_sync(_create)
                return
        await connection.run_sync(_upgrade, revision)
