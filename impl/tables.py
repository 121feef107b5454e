"""Database tables as SQLAlchemy Core `Table`s on one `MetaData` (the schema Alembic migrates).

Core, not declarative ORM classes: the services only ever use Core statements, and importing `sqlalchemy.orm`
costs every worker ~5 MB of RSS for nothing (measured).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
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
    def bind_processor(self, dialect: Dialect) -> Callable[[dt.datetime | None], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        # The text SQLAlchemy's SQLite DATETIME writes ("YYYY-MM-DD HH:MM:SS.ffffff", UTC), in one C call instead of
        # its %-formatting of seven fields after `process_bind_param` (two columns of every item write; profiled).
        def format_utc(value: dt.datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")

        return format_utc

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


metadata = MetaData(naming_convention=NAMING_CONVENTION)

# Every column says `nullable`: Core defaults to NULL-able, and the schema must stay what Alembic migrated.

# An item of the catalogue; `version` backs the ETag and optimistic concurrency.
items_table = Table(
    "items",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # Not indexed: the `q` search is a case-insensitive substring match, which no B-tree serves (migration 0008).
    Column("name", String(100), nullable=False),
    Column("description", String(300), nullable=True),
    Column("price", Float, nullable=False),
    Column("tax", Float, nullable=True),
    Column("tags", JsonDocument(), nullable=False),
    Column("images", JsonDocument(), nullable=False),
    # Deleting a user deletes their items: an item without its owner could never be changed again.
    Column("owner_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,
)

# A remembered `Idempotency-Key`: a hash of the request it came with and the response it got.
idempotency_keys_table = Table(
    "idempotency_keys",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("principal", String(100), nullable=False),
    Column("key", String(255), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("response", JsonDocument(), nullable=False),
    # Indexed for the housekeeping sweep, which deletes keys older than IDEMPOTENCY_KEY_TTL_SECONDS.
    Column("created_at", UTCDateTime, nullable=False, index=True),
    UniqueConstraint("principal", "key"),
)

# An address is at most 254 bytes of UTF-8; case folding makes at most 1.5 code points of a byte ("ΐ": 2 -> 3).
EMAIL_KEY_LENGTH = 381

# An account; `email_key` (case-folded) makes e-mail uniqueness case-insensitive.
users_table = Table(
    "users",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False),
    Column("email_key", String(EMAIL_KEY_LENGTH), nullable=False, unique=True),
    Column("full_name", String(100), nullable=True),
    Column("password_hash", String(255), nullable=False),
    Column("scopes", JsonDocument(), nullable=False),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,
)

# One login (password grant or cookie login): the family every refresh token of that login belongs to.
sessions_table = Table(
    "sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("scope", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    # The login's absolute end (SESSION_MAX_AGE_SECONDS after it), however often it is refreshed; indexed for the
    # housekeeping sweep, which deletes sessions past it.
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    # The housekeeping sweep walks old sessions in this order, looking for those no token of which can be used.
    Index("ix_sessions_created_at", "created_at", "id"),
)

# A single-use refresh token, stored only as its SHA-256 (the token itself is 256 random bits).
refresh_tokens_table = Table(
    "refresh_tokens",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("session_id", String(36), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    sqlite_autoincrement=True,
)

# An uploaded file's metadata; its bytes are in storage under the id (never under the client's name).
files_table = Table(
    "files",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    # Deleting the account deletes its files' rows, as it does its items.
    Column("owner_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True),
    # Set for an item's image: public like the item, and deleted with it.
    Column("item_id", BigInteger, ForeignKey("items.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# An accepted notification e-mail: written with the request, delivered at least once, then marked delivered.
# `attempts` is the claim counter: every delivery attempt claims the row by a compare-and-set on it, so two
# processes never send the same row at once; `next_attempt_at` is when the row is next due (lease or backoff).
notification_outbox_table = Table(
    "notification_outbox",
    metadata,
    Column("id", String(36), primary_key=True),
    # No foreign key: a notification accepted before its sender's account was deleted is still delivered.
    Column("user_id", BigInteger, nullable=True),
    Column("recipient", String(254), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("request_id", String(128), nullable=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", String(500), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # Indexed for the housekeeping sweep, which deletes delivered rows after OUTBOX_RETENTION_SECONDS.
    Column("delivered_at", UTCDateTime, nullable=True, index=True),
    Index("ix_notification_outbox_due", "status", "next_attempt_at"),
)


__all__ = [
    "NAMING_CONVENTION",
    "BigId",
    "JsonDocument",
    "UTCDateTime",
    "files_table",
    "idempotency_keys_table",
    "items_table",
    "metadata",
    "notification_outbox_table",
    "refresh_tokens_table",
    "sessions_table",
    "users_table",
]
