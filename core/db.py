"""The database handle, the declarative base and the column types every domain shares."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Enum, MetaData, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import Pool
from sqlalchemy.types import TypeDecorator

# Named constraints let Alembic alter tables on SQLite (batch mode) and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


def str_enum(cls: type[enum.Enum], name: str) -> Enum:
    """An enum stored by value as a string, checked by the database on every engine."""
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False,
                create_constraint=True, length=16)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every engine: SQLite would otherwise hand back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers run beside the one writer; busy_timeout queues writers instead of
    # failing with "database is locked"; foreign keys are off by default in SQLite.
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Pool, "checkout")
def _alive_or_replace(dbapi_connection, _record, _proxy):
    """A PostgreSQL connection the server has closed (restart, failover, idle timeout, a killed
    backend) has its goodbye - the FATAL message and the end of the stream - waiting in the socket.
    Reading what is there, without waiting, finds it (libpq's socket never blocks); the pool is then
    told the connection is gone and checks out another, so no request sees the dead one."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return  # SQLite: a file, nothing to lose
    from psycopg import OperationalError, pq

    try:
        pgconn.consume_input()
        pgconn.is_busy()  # parses what arrived: the server's FATAL notice ends the connection
        pgconn.consume_input()  # and the end of the stream after it
    except OperationalError:
        raise sa_exc.DisconnectionError("the server closed this connection") from None
    if pgconn.status != pq.ConnStatus.OK:
        raise sa_exc.DisconnectionError("the server closed this connection")


def upsert(model):
    """INSERT ... ON CONFLICT for the engine in use (PostgreSQL and SQLite share the syntax)."""
    return insert_for(db.session.get_bind().dialect.name)(model)


def insert_for(dialect: str):
    """The `insert` construct with ON CONFLICT for a dialect (for statements built once per process)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def is_unique_violation(exc: Exception) -> bool:
    """The database refused a row because a unique constraint already holds its key
    (PostgreSQL's SQLSTATE 23505, SQLite's "UNIQUE constraint failed")."""
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(orig)


# SQLite's writers queue in their process before its lock (imported for its listeners).
from core import sqlite_gate  # noqa: E402, F401
