"""The outbox's claim rules and retry policy, and the senders, without HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from pydantic import ValidationError
from sqlalchemy import delete, select, update

from impl.db import Database, open_database
from impl.notifications.outbox import OutboxDeliverer, RetryPolicy, add_to_outbox, outbox_backlog
from impl.notifications.senders import Email, LogEmailSender, SmtpEmailSender, build_sender
from impl.settings import Settings
from impl.tables import notification_outbox_table as _outbox
from tests.databases import make_settings

POLICY = RetryPolicy(lease_seconds=60, max_attempts=3, base_seconds=2, max_seconds=5)


class RecordingSender:
    """Remembers what it sent; fails while `failures` lasts; can be made to wait (a slow SMTP server)."""

    def __init__(self, *, failures: int = 0, delay: float = 0) -> None:
        self.sent: list[Email] = []
        self.failures = failures
        self.delay = delay

    async def send(self, email: Email) -> None:
        await asyncio.sleep(self.delay)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the server went away")
        self.sent.append(email)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = open_database(settings.database_url)
    yield db
    async with db.connect() as conn:
        await conn.execute(delete(_outbox))
        await conn.commit()
    await db.dispose()


async def _accept(database: Database) -> str:
    async with database.connect() as conn:
        outbox_id = await add_to_outbox(
            conn,
            user_id=1,
            recipient="friend@example.org",
            subject="hello",
            body="message\n",
            request_id="req-1",
            lease_seconds=POLICY.lease_seconds,
        )
        await conn.commit()
    return outbox_id


async def _row(database: Database, outbox_id: str) -> tuple[str, int, dt.datetime]:
    async with database.connect() as conn:
        row = (
            await conn.execute(
                select(_outbox.c.status, _outbox.c.attempts, _outbox.c.next_attempt_at).where(_outbox.c.id == outbox_id)
            )
        ).one()
    return row.status, row.attempts, row.next_attempt_at


async def _make_due(database: Database, outbox_id: str) -> None:
    """As if the current lease or backoff had ended."""
    async with database.connect() as conn:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        await conn.execute(update(_outbox).where(_outbox.c.id == outbox_id).values(next_attempt_at=past))
        await conn.commit()


def test_backoff_doubles_and_is_capped() -> None:
    assert [POLICY.backoff(n) for n in (1, 2, 3, 4)] == [2, 4, 5, 5]


async def test_a_row_is_sent_once_however_many_first_deliveries_race(database: Database) -> None:
    sender = RecordingSender(delay=0.01)
    deliverer = OutboxDeliverer(database, sender, POLICY)
    outbox_id = await _accept(database)
    results = await asyncio.gather(*(deliverer.deliver_first(outbox_id) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert [email.outbox_id for email in sender.sent] == [outbox_id]
    assert (await _row(database, outbox_id))[:2] == ("delivered", 1)
    assert await outbox_backlog(database) == 0


async def test_a_fresh_row_is_not_due_for_the_sweep_until_its_lease_ends(database: Database) -> None:
    sender = RecordingSender()
    deliverer = OutboxDeliverer(database, sender, POLICY)
    outbox_id = await _accept(database)
    assert await outbox_backlog(database) == 1
    assert await deliverer.sweep_once() == 0  # the accepting process owns the first attempt
    await _make_due(database, outbox_id)  # ...which it never made: it died
    assert await deliverer.sweep_once() == 1
    assert [email.outbox_id for email in sender.sent] == [outbox_id]


async def test_a_delivered_row_is_never_sent_again(database: Database) -> None:
    sender = RecordingSender()
    deliverer = OutboxDeliverer(database, sender, POLICY)
    outbox_id = await _accept(database)
    assert await deliverer.deliver_first(outbox_id)
    await _make_due(database, outbox_id)
    assert await deliverer.sweep_once() == 0
    assert not await deliverer.deliver_first(outbox_id)  # a queue message delivered twice
    assert len(sender.sent) == 1


async def test_failures_back_off_then_the_row_is_marked_failed(database: Database) -> None:
    sender = RecordingSender(failures=10)
    deliverer = OutboxDeliverer(database, sender, POLICY)
    outbox_id = await _accept(database)
    before = dt.datetime.now(dt.UTC)
    assert not await deliverer.deliver_first(outbox_id)
    status, attempts, next_at = await _row(database, outbox_id)
    assert (status, attempts) == ("pending", 1)
    assert before + dt.timedelta(seconds=1.5) < next_at < before + dt.timedelta(seconds=10)
    assert await deliverer.sweep_once() == 0  # backing off: not due yet
    for _ in range(2):
        await _make_due(database, outbox_id)
        assert await deliverer.sweep_once() == 0
    assert (await _row(database, outbox_id))[:2] == ("failed", 3)
    await _make_due(database, outbox_id)
    assert await deliverer.sweep_once() == 0
    assert sender.sent == []


async def test_a_retry_carries_the_same_outbox_id_for_the_message_id(database: Database) -> None:
    sender = RecordingSender(failures=1)
    deliverer = OutboxDeliverer(database, sender, POLICY)
    outbox_id = await _accept(database)
    await deliverer.deliver_first(outbox_id)
    await _make_due(database, outbox_id)
    assert await deliverer.sweep_once() == 1
    assert [email.outbox_id for email in sender.sent] == [outbox_id]


def test_the_smtp_message_has_recipient_subject_and_the_outbox_id_as_message_id() -> None:
    settings = make_settings("sqlite+aiosqlite://", smtp_host="mail.example.com", mail_from="API <api@example.com>")
    sender = build_sender(settings)
    assert isinstance(sender, SmtpEmailSender)
    message = sender.build(Email(outbox_id="abc", recipient="friend@example.org", subject="Hi", body="text\n"))
    assert message["To"] == "friend@example.org"
    assert message["Subject"] == "Hi"
    assert message["From"] == "API <api@example.com>"
    assert message["Message-ID"] == "<abc@example.com>"


def test_without_smtp_host_the_log_sender_is_used() -> None:
    assert isinstance(build_sender(make_settings("sqlite+aiosqlite://")), LogEmailSender)


def test_the_queue_mode_needs_redis() -> None:
    with pytest.raises(ValidationError, match="NOTIFICATIONS_QUEUE=redis needs REDIS_URL"):
        make_settings("sqlite+aiosqlite://", notifications_queue="redis")
