"""THE KILL TEST: a notification accepted (202) survives the death of the process delivering it — SIGKILL, or
SIGTERM with the delivery still stuck when the graceful shutdown runs out — and arrives exactly once.

Real processes on 127.0.0.1 sharing one SQLite file: the app (uvicorn) and, in the worker mode, `taskiq worker`
with the Redis stream broker. The first delivery attempt is made to stall (the SMTP server accepts the connection
and never greets), the delivering process is stopped mid-attempt, then restarted pointing at a real aiosmtpd
server: the sweep finds the row once its lease ends, and the mail arrives exactly once.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from impl.notifications.queue import CONSUMER_GROUP
from impl.notifications.service import SUBJECT
from impl.tables import notification_outbox_table
from tests.databases import migrate
from tests.mail import StallingServer, smtp_server
from tests.processes import CHEAP_ACCOUNTS, ServerProcess, kill_group, process_environment, spawn
from tests.services import REDIS_URL, require_redis
from tests.users import ALICE, PASSWORD

BIN = Path(sys.executable).parent
RECIPIENT = "kill-test@example.org"
LEASE_SECONDS = 2
LONG_LEASE_SECONDS = 300  # far beyond DELIVERY_TIMEOUT
DELIVERY_TIMEOUT = 30
# uvicorn's --timeout-graceful-shutdown for the SIGTERM case: the stalled attempt holds the shutdown this long.
GRACE_SECONDS = 2


def _environment(database_url: str, smtp_port: int, **extra: str) -> dict[str, str]:
    return {
        **CHEAP_ACCOUNTS,
        "DATABASE_URL": database_url,
        "NOTIFICATIONS_PER_USER": str(10**6),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_STARTTLS": "false",
        # Far longer than the test: the stalled attempt only ends by the process's end.
        "SMTP_TIMEOUT_SECONDS": "120",
        "NOTIFICATION_LEASE_SECONDS": str(LEASE_SECONDS),
        "NOTIFICATION_SWEEP_SECONDS": "0.3",
        "NOTIFICATION_RETRY_BASE_SECONDS": "0.5",
        **extra,
    }


def _app(env: dict[str, str], log: Path) -> ServerProcess:
    return ServerProcess(env, log=log, options=("--timeout-graceful-shutdown", str(GRACE_SECONDS)))


@contextmanager
def _worker(env: dict[str, str], log: Path) -> Iterator[None]:
    """`make worker`'s taskiq process (one child) until the block ends, then SIGKILLed with its child."""
    command = [str(BIN / "taskiq"), "worker", "impl.notifications.worker:broker", "--workers", "1"]
    command += ["--ack-type", "when_executed", "--no-configure-logging"]
    process = spawn(command, process_environment(env), log)
    try:
        yield
    finally:
        kill_group(process)


def _accept_notification(base_url: str) -> str:
    """Sign alice up, send one notification (202); returns the outbox id from the answer."""
    with httpx.Client(base_url=base_url, timeout=10) as http:
        assert http.post("/users", json={"email": ALICE, "password": PASSWORD}).status_code == 201
        token = http.post("/token", data={"grant_type": "password", "username": ALICE, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        response = http.post(f"/send-notification/{RECIPIENT}", headers=headers)
    assert response.status_code == 202, response.text
    return str(response.json()["message"].split()[1])


def _rows(database_url: str) -> list[tuple[str, str, int]]:
    async def read() -> list[tuple[str, str, int]]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as conn:
                outbox = notification_outbox_table
                result = await conn.execute(select(outbox.c.id, outbox.c.status, outbox.c.attempts))
                return [(row.id, row.status, row.attempts) for row in result]
        finally:
            await engine.dispose()

    return asyncio.run(read())


@pytest.fixture
def database_file(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kill.db'}"
    migrate(url, "head")
    return url


def _assert_arrived_exactly_once(handler, database_url: str, outbox_id: str) -> None:
    (mail,) = handler.wait_for(1, timeout=DELIVERY_TIMEOUT)
    # Long enough for any duplicate to show: a lease, several sweeps and a retry backoff.
    time.sleep(LEASE_SECONDS + 2)
    assert len(handler.messages()) == 1
    assert mail.recipients == [RECIPIENT]
    assert mail.message["Subject"] == SUBJECT
    assert outbox_id in mail.message["Message-ID"]
    (row,) = _rows(database_url)
    assert row[:2] == (outbox_id, "delivered")
    assert row[2] >= 2  # the killed attempt, then the one that succeeded


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
def test_embedded_mode_survives_the_process_ending_between_accept_and_delivery(
    database_file: str, tmp_path: Path, stop: signal.Signals
) -> None:
    stall = StallingServer()
    env = _environment(database_file, stall.port)
    if stop == signal.SIGTERM:
        # A shutdown releases the attempt it cuts short: the restarted process delivers at once, long before a
        # lease this long would end (a SIGKILLed process cannot, hence the short lease of the other case).
        env["NOTIFICATION_LEASE_SECONDS"] = str(LONG_LEASE_SECONDS)
    app = _app(env, tmp_path / "app.log")
    try:
        with app:
            outbox_id = _accept_notification(app.base_url)
            stall.wait_for_connection(timeout=DELIVERY_TIMEOUT)
            # Accepted, delivery under way and stuck: the process ends here.
            if stop == signal.SIGKILL:
                app.kill()
            else:
                # The stuck attempt holds the graceful shutdown until its bound, then is cancelled: the process
                # exits in bounded time (TimeoutError otherwise) and cleanly.
                assert app.terminate(timeout=GRACE_SECONDS + 15) in (0, -signal.SIGTERM), app.output()
                assert "timeout graceful shutdown exceeded" in app.output()
        (row,) = _rows(database_file)
        assert row[:2] == (outbox_id, "pending")
    finally:
        stall.close()

    with smtp_server() as (smtp_port, handler), app.restart({"SMTP_PORT": str(smtp_port)}):
        _assert_arrived_exactly_once(handler, database_file, outbox_id)


@pytest.fixture
def stream() -> Iterator[str]:
    """A Redis stream name of this test run's own, deleted afterwards."""
    require_redis()
    import redis

    name = f"notifications-test-{uuid.uuid4().hex}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.delete(name, f"autoclaim:{CONSUMER_GROUP}:{name}")
    finally:
        client.close()


def test_worker_mode_survives_sigkill_of_the_worker_between_accept_and_delivery(
    database_file: str, stream: str, tmp_path: Path
) -> None:
    queue = {"NOTIFICATIONS_QUEUE": "redis", "NOTIFICATIONS_QUEUE_NAME": stream, "REDIS_URL": REDIS_URL}
    stall = StallingServer()
    try:
        with _app(_environment(database_file, stall.port, **queue), tmp_path / "app.log") as app:
            with _worker(_environment(database_file, stall.port, **queue), tmp_path / "worker.log"):
                outbox_id = _accept_notification(app.base_url)
                stall.wait_for_connection(timeout=DELIVERY_TIMEOUT)
                # The worker took the message and is stuck sending it: it dies here, unacknowledged.
            (row,) = _rows(database_file)
            assert row[:2] == (outbox_id, "pending")
            with (
                smtp_server() as (smtp_port, handler),
                _worker(_environment(database_file, smtp_port, **queue), tmp_path / "worker.log"),
            ):
                _assert_arrived_exactly_once(handler, database_file, outbox_id)
    finally:
        stall.close()
