"""grant the account scopes (users:read, users:write, notifications:send) to existing accounts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00.000000

Account operations now need scopes of their own; without this, every existing account would lose access to
its own profile. Sessions opened before keep their old scopes: their holders log in again to get the new ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCOUNT_SCOPES = frozenset({"users:read", "users:write", "notifications:send"})
_users = sa.table(
    "users",
    sa.column("id", sa.BigInteger()),
    sa.column("scopes", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
)


def _rewrite(change: set[str], *, add: bool) -> None:
    conn = op.get_bind()
    for user_id, scopes in conn.execute(sa.select(_users.c.id, _users.c.scopes)).all():
        updated = sorted(set(scopes) | change) if add else sorted(set(scopes) - change)
        if updated != sorted(scopes):
            conn.execute(sa.update(_users).where(_users.c.id == user_id).values(scopes=updated))


def upgrade() -> None:
    """Grant the account scopes to every account."""
    _rewrite(set(ACCOUNT_SCOPES), add=True)


def downgrade() -> None:
    """Take the account scopes away again."""
    _rewrite(set(ACCOUNT_SCOPES), add=False)
