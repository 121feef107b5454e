"""items: drop ix_items_name, an index no query can use

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 09:00:00.000000

The only query on `items.name` is the `q` search, a case-insensitive substring match: `lower(name) LIKE '%...%'`
on SQLite, `name ILIKE '%...%'` on PostgreSQL. A B-tree on `name` serves neither (both plans scan: EXPLAIN shows
it), yet every item write paid for updating it: on SQLite an insert and its commit took 52 µs with it and 37 µs
without (measured). Search that scales needs a different index (SQLite FTS5, PostgreSQL pg_trgm), not this one.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Drop the unused index."""
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_name"))


def downgrade() -> None:
    """Create it again."""
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_items_name"), ["name"], unique=False)
