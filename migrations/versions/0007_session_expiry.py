"""sessions: an absolute expiry (`expires_at`), backfilled as created_at + 30 days, indexed for the sweep

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 09:00:00.000000

Before this, a session refreshed without pause lived forever. Existing sessions get the default of
SESSION_MAX_AGE_SECONDS (30 days) after their login, whatever the setting says where this runs (a migration
never reads the app's settings): one older than that is refused at once, and the next sweep deletes it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_AGE_SECONDS = 30 * 24 * 3600
# One statement per backend, not a row-by-row rewrite: this table is the one that grew without bound.
_BACKFILL = {
    # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' text: shift the date and time by whole
    # seconds and keep the original fraction (strftime would round it to milliseconds).
    "sqlite": "UPDATE sessions SET expires_at = "
    f"strftime('%Y-%m-%d %H:%M:%S', created_at, '+{MAX_AGE_SECONDS} seconds') || substr(created_at, 20)",
    "postgresql": f"UPDATE sessions SET expires_at = created_at + interval '{MAX_AGE_SECONDS} seconds'",
}


def upgrade() -> None:
    """Add sessions.expires_at, fill it in for existing sessions, then make it required and index it."""
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(_BACKFILL[op.get_context().dialect.name])
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index(batch_op.f("ix_sessions_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    """Drop sessions.expires_at and its index."""
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_expires_at"))
        batch_op.drop_column("expires_at")
