"""Housekeeping: rows that can no longer matter are deleted in small batches, by one sweeper at a time.

What goes, each strictly after the last moment it can matter:
- an idempotency key older than IDEMPOTENCY_KEY_TTL_SECONDS (a retry after that is a new request);
- a session (one refresh-token family) with all its refresh tokens, once nothing of it can be used: every refresh
  token expired, every access token it minted expired (plus the JWT leeway), plus HOUSEKEEPING_GRACE_SECONDS.
  Until then spent tokens stay, so presenting one still revokes the family (theft detection), and a revoked
  session stays revoked; afterwards a missing session is refused exactly like a revoked one anyway;
- a session past its absolute expiry (`expires_at`, SESSION_MAX_AGE_SECONDS after its login) plus
  HOUSEKEEPING_GRACE_SECONDS, with its refresh tokens, whatever they say: from `expires_at` on, the session and
  every token naming it are refused, so even a family refreshed without pause ends and goes;
- an outbox row delivered or given up on (`failed`) more than OUTBOX_RETENTION_SECONDS ago. Pending rows never:
  rows are only ever claimed while pending, so deleting a finished row can never make it be sent again.

One sweeper at a time, on every backend, without holding anything between transactions: each batch is a short
transaction of its own. On PostgreSQL it starts with `pg_try_advisory_xact_lock` — transaction-level, so it also
works behind PgBouncer in transaction mode, where a session-level lock could be left on a pooled server
connection — and a sweeper that finds the lock taken ends its round: another one is sweeping. On SQLite (one
host) it starts with `BEGIN IMMEDIATE`, the file's single write lock, shared by every process: no two batches ever
run at once, and a sweeper still refused it after the busy timeout ends its round the same way. A sweeper that
starts between two of another's batches carries on from where that one got (deletes are idempotent), and the
other yields at its next batch: work is handed over, never done twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import BigInteger, and_, bindparam, delete, func, literal, or_, select, text, tuple_
from sqlalchemy.engine import make_url

from impl.db import Database, DbConnection
from impl.metrics import AppMetrics
from impl.notifications.outbox import DELIVERED, FAILED
from impl.settings import Settings
from impl.tables import idempotency_keys_table as _keys
from impl.tables import notification_outbox_table as _outbox
from impl.tables import refresh_tokens_table as _refresh
from impl.tables import sessions_table as _sessions
from impl.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

# The advisory lock's key: a constant no other part of the service uses (ASCII "hk-sweep").
LOCK_KEY = 0x686B_2D73_7765_6570
# Rounds are `interval * uniform(1 - JITTER, 1 + JITTER)` apart.
JITTER = 0.25
# At shutdown a batch in progress may finish (batches are short); past this it is cancelled.
STOP_TIMEOUT_SECONDS = 5.0
TABLES = ("idempotency_keys", "notification_outbox", "refresh_tokens", "sessions")
# Before any session: where a round's walk over old sessions starts.
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

_TRY_LOCK = select(func.pg_try_advisory_xact_lock(literal(LOCK_KEY, BigInteger())))
_BEGIN_IMMEDIATE = text("BEGIN IMMEDIATE")
_SQLITE_BUSY = 5  # the primary result code, in the low byte of extended codes
_EXPIRED_KEYS = delete(_keys).where(
    _keys.c.id.in_(select(_keys.c.id).where(_keys.c.created_at < bindparam("cutoff")).limit(bindparam("batch")))
)
_FINISHED_OUTBOX = delete(_outbox).where(
    _outbox.c.id.in_(
        select(_outbox.c.id)
        .where(
            or_(
                and_(_outbox.c.status == DELIVERED, _outbox.c.delivered_at < bindparam("cutoff")),
                # A failed row's next_attempt_at is when it was given up on (impl/notifications/outbox.py).
                and_(_outbox.c.status == FAILED, _outbox.c.next_attempt_at < bindparam("cutoff")),
            )
        )
        .limit(bindparam("batch"))
    )
)
# Sessions past their absolute expiry, along ix_sessions_expires_at: every one found goes, so no cursor is needed.
_EXPIRED_SESSIONS = select(_sessions.c.id).where(_sessions.c.expires_at < bindparam("cutoff")).limit(bindparam("batch"))
# Old sessions in (created_at, id) order from a cursor, along ix_sessions_created_at: a batch examines at most
# `batch` of them, so neither old-but-live families nor a backlog ever make a long statement.
_OLD_SESSIONS = (
    select(_sessions.c.id, _sessions.c.created_at)
    .where(
        _sessions.c.created_at < bindparam("opened_before"),
        # Typed: in a tuple the parameters take no type from the columns, and SQLite would compare raw ISO text.
        tuple_(_sessions.c.created_at, _sessions.c.id)
        > tuple_(
            bindparam("after_at", type_=_sessions.c.created_at.type), bindparam("after_id", type_=_sessions.c.id.type)
        ),
    )
    .order_by(_sessions.c.created_at, _sessions.c.id)
    .limit(bindparam("batch"))
)
# Which of those are alive: a token that may still be redeemed, or that minted an access token still valid. Its own
# statement over at most `batch` ids (along ix_refresh_tokens_session_id): as a correlated EXISTS in the walk,
# PostgreSQL chose to hash the whole refresh_tokens table every batch.
_ALIVE_AMONG = (
    select(_refresh.c.session_id)
    .where(
        _refresh.c.session_id.in_(bindparam("ids", expanding=True)),
        or_(_refresh.c.expires_at >= bindparam("expired_before"), _refresh.c.issued_at >= bindparam("issued_before")),
    )
    .distinct()
)
_TOKENS_OF = delete(_refresh).where(
    _refresh.c.id.in_(
        select(_refresh.c.id)
        .where(_refresh.c.session_id.in_(bindparam("ids", expanding=True)))
        .limit(bindparam("batch"))
    )
)
_SESSIONS = delete(_sessions).where(_sessions.c.id.in_(bindparam("ids", expanding=True)))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sqlite_busy(exc: BaseException) -> bool:
    """Whether `exc` is SQLite's SQLITE_BUSY (another connection held the write lock past busy_timeout), however
    it was wrapped (SQLAlchemy's `orig`, the service's DatabaseUnavailable `__cause__`)."""
    seen: BaseException | None = exc
    for _ in range(6):  # wrapping chains are short; never loop on a cycle
        if seen is None:
            return False
        code = getattr(seen, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF == _SQLITE_BUSY:
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


@dataclass(frozen=True, slots=True)
class Retention:
    """How long each kind of row can still matter, from the settings."""

    idempotency_key: dt.timedelta
    outbox: dt.timedelta
    # Since a session was opened: the longest access token a login mints (bearer or cookie), leeway, grace.
    session_opened: dt.timedelta
    # Since a refresh token was issued: the access token minted with it, leeway, grace.
    token_issued: dt.timedelta
    # Since a refresh token expired: the grace alone (it is refused from `expires_at` on).
    token_expired: dt.timedelta
    # Since a session expired: the grace alone too (it, and every token naming it, is refused from `expires_at` on).
    session_expired: dt.timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Retention:
        leeway, grace = settings.jwt_leeway_seconds, settings.housekeeping_grace_seconds
        login_token = max(settings.access_token_ttl_seconds, settings.session_ttl_seconds)
        return cls(
            idempotency_key=dt.timedelta(seconds=settings.idempotency_key_ttl_seconds),
            outbox=dt.timedelta(seconds=settings.outbox_retention_seconds),
            session_opened=dt.timedelta(seconds=login_token + leeway + grace),
            token_issued=dt.timedelta(seconds=settings.access_token_ttl_seconds + leeway + grace),
            token_expired=dt.timedelta(seconds=grace),
            session_expired=dt.timedelta(seconds=grace),
        )


@dataclass(slots=True)
class SweepReport:
    """Rows one round deleted per table; `yielded` when it ended early because another sweeper held the lock."""

    deleted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    yielded: bool = False


@dataclass(slots=True)
class _Round:
    """What one round knows: its clock reading and how far its walk over old sessions got."""

    now: dt.datetime
    sessions_after: tuple[dt.datetime, str] = (_EPOCH, "")


Step = Callable[[DbConnection, _Round], Awaitable[tuple[dict[str, int], bool]]]


class Housekeeper:
    """Deletes expired rows every HOUSEKEEPING_INTERVAL_SECONDS (jittered) from `start()` until `aclose()`."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        metrics: AppMetrics | None = None,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        self._database = database
        self._retention = Retention.from_settings(settings)
        self._interval = settings.housekeeping_interval_seconds
        self._batch = settings.housekeeping_batch_size
        self._sqlite = make_url(settings.database_url).get_backend_name() == "sqlite"
        self._metrics = metrics
        self._clock = clock
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._steps: tuple[Step, ...] = (
            self._keys_batch,
            self._outbox_batch,
            self._expired_sessions_batch,
            self._sessions_batch,
        )

    def start(self) -> None:
        """Run rounds in the background until `aclose()`; the first comes after one (jittered) interval."""
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="housekeeping")

    async def aclose(self) -> None:
        """Stop: wait for the batch in progress (if any) to commit, then end the task."""
        if self._task is None:
            return
        self._stopping.set()
        await asyncio.wait({self._task}, timeout=STOP_TIMEOUT_SECONDS)
        await cancel_and_wait(self._task)  # past the timeout: cancelled, again and again until it has ended
        self._task = None

    async def sweep_once(self) -> SweepReport:
        """One round: every kind of expired row, batch by batch, until none is left or another sweeper has the lock."""
        report = SweepReport()
        state = _Round(now=self._clock())
        for step in self._steps:
            more = True
            while more and not self._stopping.is_set():
                async with self._database.connect() as conn:
                    if not await self._exclusive(conn):
                        report.yielded = True
                        return report
                    deleted, more = await step(conn, state)
                    await conn.commit()
                for table, rows in deleted.items():
                    report.deleted[table] += rows
        return report

    async def _exclusive(self, conn: DbConnection) -> bool:
        """Start the batch's transaction as the only sweeper; False when another one holds the lock."""
        if not self._sqlite:
            return bool((await conn.execute(_TRY_LOCK)).scalar_one())
        # Takes the write lock before the batch reads, waiting busy_timeout like any write, so the select and the
        # deletes after it never meet a concurrent writer. Still busy after that: most likely another sweeper's
        # batches, so this round yields as on PostgreSQL.
        try:
            await conn.execute(_BEGIN_IMMEDIATE)
        except Exception as exc:
            if _sqlite_busy(exc):
                return False
            raise
        return True

    async def _keys_batch(self, conn: DbConnection, state: _Round) -> tuple[dict[str, int], bool]:
        cutoff = state.now - self._retention.idempotency_key
        rows = (await conn.execute(_EXPIRED_KEYS, {"cutoff": cutoff, "batch": self._batch})).rowcount
        return {"idempotency_keys": rows}, rows == self._batch

    async def _outbox_batch(self, conn: DbConnection, state: _Round) -> tuple[dict[str, int], bool]:
        cutoff = state.now - self._retention.outbox
        rows = (await conn.execute(_FINISHED_OUTBOX, {"cutoff": cutoff, "batch": self._batch})).rowcount
        return {"notification_outbox": rows}, rows == self._batch

    async def _expired_sessions_batch(self, conn: DbConnection, state: _Round) -> tuple[dict[str, int], bool]:
        cutoff = state.now - self._retention.session_expired
        ids = list((await conn.execute(_EXPIRED_SESSIONS, {"cutoff": cutoff, "batch": self._batch})).scalars())
        if not ids:
            return {}, False
        deleted, finished = await self._delete_families(conn, ids)
        return deleted, not finished or len(ids) == self._batch

    async def _delete_families(self, conn: DbConnection, ids: list[str]) -> tuple[dict[str, int], bool]:
        """Delete sessions `ids` and their refresh tokens, at most a batch of tokens; False when the tokens filled
        the batch: the sessions then stay, and the next batch finds them again for the rest of their tokens."""
        tokens = (await conn.execute(_TOKENS_OF, {"ids": ids, "batch": self._batch})).rowcount
        if tokens == self._batch:
            return {"refresh_tokens": tokens}, False
        sessions = (await conn.execute(_SESSIONS, {"ids": ids})).rowcount
        return {"refresh_tokens": tokens, "sessions": sessions}, True

    async def _sessions_batch(self, conn: DbConnection, state: _Round) -> tuple[dict[str, int], bool]:
        retention, now = self._retention, state.now
        old = {"opened_before": now - retention.session_opened, "batch": self._batch}
        cursor = {"after_at": state.sessions_after[0], "after_id": state.sessions_after[1]}
        examined = (await conn.execute(_OLD_SESSIONS, old | cursor)).all()
        if not examined:
            return {}, False
        ids = [row.id for row in examined]
        horizon = {"expired_before": now - retention.token_expired, "issued_before": now - retention.token_issued}
        alive = set((await conn.execute(_ALIVE_AMONG, {"ids": ids} | horizon)).scalars())
        dead = [session_id for session_id in ids if session_id not in alive]
        deleted: dict[str, int] = {}
        if dead:
            deleted, finished = await self._delete_families(conn, dead)
            if not finished:
                # Long-lived families have many spent tokens: the same sessions again next batch, for the rest.
                return deleted, True
        state.sessions_after = (examined[-1].created_at, examined[-1].id)
        return deleted, len(examined) == self._batch

    async def _run(self) -> None:
        while not self._stopping.is_set():
            delay = self._interval * random.uniform(1 - JITTER, 1 + JITTER)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            if self._stopping.is_set():
                return
            await self._round()

    async def _round(self) -> None:
        """One logged and counted round; a failure (database away) is logged and the next round tries again."""
        started = time.monotonic()
        try:
            report = await self.sweep_once()
        except Exception:
            logger.exception("housekeeping round failed; the next one is due in about %.0f s", self._interval)
            if self._metrics is not None:
                self._metrics.observe_housekeeping("failed", {})
            return
        if self._metrics is not None:
            self._metrics.observe_housekeeping("yielded" if report.yielded else "swept", report.deleted)
        total = sum(report.deleted.values())
        counts = " ".join(f"{table}={rows}" for table, rows in report.deleted.items())
        level = logging.INFO if total else logging.DEBUG
        how = "yielded to another sweeper" if report.yielded else "swept"
        logger.log(
            level, "housekeeping %s in %.3f s, deleted %d rows: %s", how, time.monotonic() - started, total, counts
        )


__all__ = ["LOCK_KEY", "Housekeeper", "Retention", "SweepReport"]
