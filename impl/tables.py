"""Database tables as typed SQLAlchemy 2 declarative models (the schema Alembic migrates)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine
from typing_extensions import override

# Named constraints make migrations reproducible across SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class JsonDocument(TypeDecorator[Any]):
    """JSON, stored as JSONB on PostgreSQL. The PostgreSQL dialect is imported only there: on SQLite it would
    cost ~5 MB of every worker's RSS for nothing (measured)."""

    impl = JSON
    cache_ok = True

    @override
    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())

    @override
    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        # SQLite keeps the text: decode it in one call, not through three layers of wrappers (profiled).
        def decode(value: Any) -> Any:
            return None if value is None else orjson.loads(value)

        return decode


# SQLite has no 64-bit autoincrement type other than INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset; we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @override
    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    @override
    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)

    @override
    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], dt.datetime | None] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        # SQLite keeps SQLAlchemy's "YYYY-MM-DD HH:MM:SS.ffffff" text: the C ISO parser reads it in a fraction of
        # the time of SQLAlchemy's regex (two columns of every item row; profiled on GET /items).
        # The offset goes into the text: `replace(tzinfo=...)` cost several times the parse itself.
        def parse(value: Any) -> dt.datetime | None:
            return None if value is None else dt.datetime.fromisoformat(value + "+00:00")

        return parse


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """The Core table behind a declarative model (services use Core statements on the hot path)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class ItemRow(Base):
    """An item of the catalogue; `version` backs the ETag and optimistic concurrency."""

    __tablename__ = "items"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy's declarative API

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    description: Mapped[str | None] = mapped_column(String(300))
    price: Mapped[float] = mapped_column(Float)
    tax: Mapped[float | None] = mapped_column(Float)
    tags: Mapped[list[str]] = mapped_column(JsonDocument())
    images: Mapped[list[dict[str, str]]] = mapped_column(JsonDocument())
    # Deleting a user deletes their items: an item without its owner could never be changed again.
    owner_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class IdempotencyKeyRow(Base):
    """A remembered `Idempotency-Key`: a hash of the request it came with and the response it got."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    principal: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, object]] = mapped_column(JsonDocument())
    # Indexed for the housekeeping sweep, which deletes keys older than IDEMPOTENCY_KEY_TTL_SECONDS.
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class UserRow(Base):
    """An account; `email_key` (case-folded) makes e-mail uniqueness case-insensitive."""

    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy's declarative API

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    scopes: Mapped[list[str]] = mapped_column(JsonDocument())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SessionRow(Base):
    """One login (password grant or cookie login): the family every refresh token of that login belongs to."""

    __tablename__ = "sessions"
    # The housekeeping sweep walks old sessions in this order, looking for those no token of which can be used.
    __table_args__ = (Index("ix_sessions_created_at", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RefreshTokenRow(Base):
    """A single-use refresh token, stored only as its SHA-256 (the token itself is 256 random bits)."""

    __tablename__ = "refresh_tokens"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy's declarative API

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[str] = mapped_column(String(36), ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class FileRow(Base):
    """An uploaded file's metadata; its bytes are in storage under the id (never under the client's name)."""

    __tablename__ = "files"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # Deleting the account deletes its files' rows, as it does its items.
    owner_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Set for an item's image: public like the item, and deleted with it.
    item_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("items.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class NotificationOutboxRow(Base):
    """An accepted notification e-mail: written with the request, delivered at least once, then marked delivered.

    `attempts` is the claim counter: every delivery attempt claims the row by a compare-and-set on it, so two
    processes never send the same row at once; `next_attempt_at` is when the row is next due (lease or backoff).
    """

    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # No foreign key: a notification accepted before its sender's account was deleted is still delivered.
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Indexed for the housekeeping sweep, which deletes delivered rows after OUTBOX_RETENTION_SECONDS.
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)


__all__ = [
    "Base",
    "FileRow",
    "IdempotencyKeyRow",
    "ItemRow",
    "NotificationOutboxRow",
    "RefreshTokenRow",
    "SessionRow",
    "UserRow",
    "table_of",
]
