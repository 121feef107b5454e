"""The notification outbox: rows written with the request, claimed by compare-and-set, delivered at least once.

A row's life: `pending` (attempts 0, leased to whoever accepted it) -> claimed (attempts + 1, leased until
`next_attempt_at`) -> `delivered`, or back to `pending` with a backoff after a failure, or `failed` after the last
attempt. A claim is an UPDATE that matches only the attempt count it read, so one process at a time holds a row; a
process that dies holding one leaves it due again when its lease ends, and the sweep retries it; one that shuts
down mid-attempt (the attempt is cancelled) makes it due again at once.

"Exactly once", precisely: a row is marked delivered once (a compare-and-set on its status) and never sent again
after that; while a claim's lease runs nobody else sends it. The one window left is a crash after the SMTP server
accepted the message and before the mark committed: the retry sends it again with the same Message-ID (the
outbox id), so the recipient's side can recognise the copy. No transport can close that window without the
receiver's help; everything short of it arrives exactly once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.sql.base import Executable

from impl.db import Database, DbConnection
from impl.middleware import request_id_var
from impl.notifications.senders import Email, EmailSender
from impl.settings import Settings
from impl.tables import notification_outbox_table as _outbox

logger = logging.getLogger(__name__)

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
_ERROR_LENGTH = 500
_CONTENT = (_outbox.c.id, _outbox.c.recipient, _outbox.c.subject, _outbox.c.body, _outbox.c.request_id)
_INSERT = insert(_outbox)
# The first attempt belongs to whoever accepted the row (it was written already leased): no due check.
_CLAIM_FIRST = (
    update(_outbox)
    .where(_outbox.c.id == bindparam("row_id"), _outbox.c.status == PENDING, _outbox.c.attempts == 0)
    .values(attempts=1, next_attempt_at=bindparam("lease_until"))
    .returning(*_CONTENT, _outbox.c.attempts)
)
_CLAIM_DUE = (
    update(_outbox)
    .where(
        _outbox.c.id == bindparam("row_id"),
        _outbox.c.status == PENDING,
        _outbox.c.attempts == bindparam("seen"),
        _outbox.c.next_attempt_at <= bindparam("now"),
    )
    .values(attempts=_outbox.c.attempts + 1, next_attempt_at=bindparam("lease_until"))
    .returning(*_CONTENT, _outbox.c.attempts)
)
_DUE = (
    select(_outbox.c.id, _outbox.c.attempts)
    .where(_outbox.c.status == PENDING, _outbox.c.next_attempt_at <= bindparam("now"))
    .order_by(_outbox.c.next_attempt_at)
    .limit(bindparam("batch"))
)
# Delivered is terminal and set once: the compare-and-set on the status makes a late second sender's mark a no-op.
_MARK_DELIVERED = (
    update(_outbox)
    .where(_outbox.c.id == bindparam("row_id"), _outbox.c.status == PENDING)
    .values(status=DELIVERED, delivered_at=bindparam("now"), last_error=None)
)
# A failure is recorded only by the attempt that still holds the claim (nobody re-claimed it meanwhile).
_MARK_FAILED_ATTEMPT = (
    update(_outbox)
    .where(_outbox.c.id == bindparam("row_id"), _outbox.c.status == PENDING, _outbox.c.attempts == bindparam("claim"))
    .values(status=bindparam("new_status"), next_attempt_at=bindparam("retry_at"), last_error=bindparam("error"))
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long a claim lasts, how often to retry and how far apart."""

    lease_seconds: float
    max_attempts: int
    base_seconds: float
    max_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            lease_seconds=settings.notification_lease_seconds,
            max_attempts=settings.notification_max_attempts,
            base_seconds=settings.notification_retry_base_seconds,
            max_seconds=settings.notification_retry_max_seconds,
        )

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt: exponential, capped."""
        return float(min(self.base_seconds * 2 ** (attempts - 1), self.max_seconds))


async def add_to_outbox(
    conn: DbConnection,
    *,
    user_id: int | None,
    recipient: str,
    subject: str,
    body: str,
    request_id: str | None,
    lease_seconds: float,
) -> str:
    """Insert a pending notification on `conn` (in the caller's transaction, which commits it); returns its id.

    The row starts leased to the caller, who delivers it (or hands it to the queue) right after the commit; if
    that never happens, the sweep finds it due when the lease ends.
    """
    outbox_id = str(uuid.uuid4())
    now = _now()
    await conn.execute(
        _INSERT,
        {
            "id": outbox_id,
            "user_id": user_id,
            "recipient": recipient,
            "subject": subject,
            "body": body,
            "request_id": request_id,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now + dt.timedelta(seconds=lease_seconds),
            "created_at": now,
        },
    )
    return outbox_id


_BACKLOG = select(func.count()).select_from(_outbox).where(_outbox.c.status == PENDING)


async def outbox_backlog(database: Database) -> int:
    """How many accepted notifications are not delivered yet (nor given up on): for the metrics."""
    async with database.connect() as conn:
        return int((await conn.execute(_BACKLOG)).scalar_one())


@contextmanager
def _logged_as(request_id: str | None) -> Iterator[None]:
    """Log under the accepting request's id, whichever process or task delivers."""
    token = request_id_var.set(request_id)
    try:
        yield
    finally:
        request_id_var.reset(token)


class OutboxDeliverer:
    """Claims outbox rows and sends them: the first attempt right after accept, later ones from the sweep.

    Never raises (it runs as a background task or a queue task): every failure is logged with the request id and
    recorded on the row, which the sweep retries after a backoff until the attempts run out.
    """

    def __init__(self, database: Database, sender: EmailSender, policy: RetryPolicy, *, sweep_batch: int = 100) -> None:
        self._database = database
        self._sender = sender
        self._policy = policy
        self._sweep_batch = sweep_batch

    async def deliver_first(self, outbox_id: str) -> bool:
        """Deliver a row just accepted; False when it was not ours to send (already claimed, delivered or gone)."""
        return await self._attempt(_CLAIM_FIRST, {"row_id": outbox_id})

    async def deliver_due(self, outbox_id: str, seen_attempts: int) -> bool:
        """Deliver a due row whose attempt count was `seen_attempts`; False when another process claimed it."""
        return await self._attempt(_CLAIM_DUE, {"row_id": outbox_id, "seen": seen_attempts})

    async def sweep_once(self) -> int:
        """Retry every due row (a failed attempt's backoff ended, or a dead process's lease did); returns how many
        were delivered."""
        async with self._database.connect() as conn:
            rows = (await conn.execute(_DUE, {"now": _now(), "batch": self._sweep_batch})).all()
        delivered = 0
        for due in rows:
            delivered += await self.deliver_due(due.id, due.attempts)
        return delivered

    async def run_sweeper(self, interval_seconds: float) -> None:
        """Sweep now and then every `interval_seconds`, until cancelled; a failing sweep is logged and retried."""
        while True:
            try:
                await self.sweep_once()
            except Exception:
                logger.exception("notification outbox sweep failed; retrying in %s s", interval_seconds)
            await asyncio.sleep(interval_seconds)

    async def _attempt(self, claim: Executable, params: dict[str, object]) -> bool:
        outbox_id = params["row_id"]
        try:
            now = _now()
            params = {**params, "now": now, "lease_until": now + dt.timedelta(seconds=self._policy.lease_seconds)}
            async with self._database.connect() as conn:
                row = (await conn.execute(claim, params)).one_or_none()
                await conn.commit()
        except Exception:
            logger.exception("notification %s: could not claim it; the sweep retries it", outbox_id)
            return False
        if row is None:
            return False
        row_id, request_id, attempts = row.id, row.request_id, row.attempts
        email = Email(outbox_id=row_id, recipient=row.recipient, subject=row.subject, body=row.body)
        # The database connection is not held while the mail is sent: SMTP may take seconds (SQLite has one).
        with _logged_as(request_id):
            try:
                await self._sender.send(email)
            except asyncio.CancelledError:
                await self._release(row_id, request_id, attempts)
                raise
            except Exception as exc:
                await self._record_failure(row_id, request_id, attempts, exc)
                return False
            try:
                async with self._database.connect() as conn:
                    marked = (await conn.execute(_MARK_DELIVERED, {"row_id": row_id, "now": _now()})).rowcount
                    await conn.commit()
            except Exception:
                # Sent but not marked: the lease ends, the sweep sends it again with the same Message-ID.
                logger.exception("notification %s (request %s): sent, but not marked delivered", row_id, request_id)
                return True
            if marked:
                logger.info("notification %s (request %s) delivered on attempt %d", row_id, request_id, attempts)
            else:
                logger.warning(
                    "notification %s (request %s) was already delivered by another attempt", row_id, request_id
                )
            return True

    async def _release(self, row_id: str, request_id: str | None, attempts: int) -> None:
        """An attempt cut short (the process is shutting down): the row is due again at once, not when the lease
        ends. The SMTP server may have the mail already: the retry carries the same Message-ID, as after a crash."""
        released = await self._end_attempt(
            row_id,
            request_id,
            attempts,
            status=PENDING,
            retry_at=_now(),
            error="interrupted: the delivering process shut down",
            unrecorded="could not release it; due when its lease ends",
        )
        if released:
            logger.info("notification %s (request %s): attempt %d interrupted, due again", row_id, request_id, attempts)

    async def _record_failure(self, row_id: str, request_id: str | None, attempts: int, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"[:_ERROR_LENGTH]
        last = attempts >= self._policy.max_attempts
        wait = self._policy.backoff(attempts)
        if last:
            logger.error(
                "notification %s (request %s): attempt %d failed, giving up: %s", row_id, request_id, attempts, error
            )
        else:
            logger.warning(
                "notification %s (request %s): attempt %d failed, retrying in %.0f s: %s",
                row_id,
                request_id,
                attempts,
                wait,
                error,
            )
        await self._end_attempt(
            row_id,
            request_id,
            attempts,
            status=FAILED if last else PENDING,
            retry_at=_now() + dt.timedelta(seconds=0 if last else wait),
            error=error,
            # Unrecorded, the row stays claimed until its lease ends: it is retried then, just later.
            unrecorded="could not record the failure",
        )

    async def _end_attempt(
        self,
        row_id: str,
        request_id: str | None,
        attempts: int,
        *,
        status: str,
        retry_at: dt.datetime,
        error: str,
        unrecorded: str,
    ) -> bool:
        """Record how claim `attempts` of the row ended (its status, when it is due again, why); False, with
        `unrecorded` logged, when that could not be written."""
        values = {"row_id": row_id, "claim": attempts, "new_status": status, "retry_at": retry_at, "error": error}
        try:
            async with self._database.connect() as conn:
                await conn.execute(_MARK_FAILED_ATTEMPT, values)
                await conn.commit()
        except Exception:
            logger.exception("notification %s (request %s): %s", row_id, request_id, unrecorded)
            return False
        return True
