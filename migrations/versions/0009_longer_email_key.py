"""users: `email_key` up to 381 characters, the longest a valid address case-folds to

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 00:40:00.000000

An address is at most 254 bytes of UTF-8 (email-validator checks it), but case folding writes some characters as
more code points than their bytes: "ΐ" (2 bytes) folds to 3. A valid address of 252 bytes, 132 characters, had a
372-character key, which PostgreSQL's VARCHAR(254) refused at sign-up (a 500). At most 1.5 code points per byte
(every code point checked, tests/unit/impl/test_emails.py): 381. PostgreSQL widens a VARCHAR without rewriting
the table or its index; SQLite, which enforces no length, rebuilds the table in batch mode.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Widen the column."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("email_key", existing_type=sa.String(254), type_=sa.String(381), existing_nullable=False)


def downgrade() -> None:
    """Narrow it again; PostgreSQL refuses while an account's key is longer than 254 characters."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("email_key", existing_type=sa.String(381), type_=sa.String(254), existing_nullable=False)
