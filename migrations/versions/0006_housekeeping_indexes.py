"""housekeeping: index what the sweep looks rows up by (idempotency keys, sessions, delivered outbox rows)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 09:00:00.000000

Without them every sweep round would scan these tables whole. Sessions are walked in (created_at, id) order;
failed outbox rows are found through the existing `ix_notification_outbox_due` (status, next_attempt_at).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the housekeeping indexes."""
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False)
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index("ix_sessions_created_at", ["created_at", "id"], unique=False)
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_outbox_delivered_at"), ["delivered_at"], unique=False)


def downgrade() -> None:
    """Drop the housekeeping indexes."""
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_outbox_delivered_at"))
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_created_at")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))
