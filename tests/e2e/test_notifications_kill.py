"""THE KILL TEST: a notification accepted (202) survives SIGKILL of the process delivering it, and arrives once.

Real processes on 127.0.0.1 sharing one SQLite file: the app (uvicorn) and, in the worker mode, `taskiq worker`
with the Redis stream broker. The first delivery attempt is made to stall (the SMTP server accepts the connection
and never greets), the delivering process is SIGKILLed mid-attempt, then restarted pointing at a real aiosmtpd
server: the sweep finds the row once its lease ends, and the mail arrives exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from impl.notifications.queue import CONSUMER_GROUP
from impl.notifications.service import SUBJECT
from impl.tables import NotificationOutboxRow
from tests.databases import REPO_ROOT, TEST_SECRET_KEY, migrate
from tests.mail import StallingServer, free_port, smtp_server
from tests.services import REDIS_URL, require_redis
from tests.users import ALICE, PASSWORD

BIN = Path(sys.executable).parent
RECIPIENT = "kill-test@example.org"
LEASE_SECONDS = 2
STARTUP_TIMEOUT = 30
DELIVERY_TIMEOUT = 30
_OUR_VARIABLES = ("SMTP_", "NOTIFICATION", "MAIL_FROM", "REDIS_URL", "DATABASE_URL", "SECRET_KEY", "WEB_CONCURRENCY")


def _environment(database_url: str, smtp_port: int, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(_OUR_VARIABLES)}
    env.update(
        DATABASE_URL=database_url,
        ENVIRONMENT="test",
        SECRET_KEY=TEST_SECRET_KEY,
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_COST_KIB=str(8 * 1024),
        SIGNUPS_PER_ADDRESS=str(10**6),
        NOTIFICATIONS_PER_USER=str(10**6),
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        SMTP_STARTTLS="false",
        # Far longer than the test: the stalled attempt only ends by the kill.
        SMTP_TIMEOUT_SECONDS="120",
        NOTIFICATION_LEASE_SECONDS=str(LEASE_SECONDS),
        NOTIFICATION_SWEEP_SECONDS="0.3",
        NOTIFICATION_RETRY_BASE_SECONDS="0.5",
        **extra,
    )
    return env


@contextmanager
def _process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` in a process group of its own; SIGKILL the group when the block ends (if still alive)."""
    with log.open("ab") as out:
        proc = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=out, start_new_session=True)
    try:
        yield proc
    finally:
        _kill(proc)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and its children (taskiq's worker runs in a child), by the group we started."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _app(env: dict[str, str], port: int, log: Path) -> ExitStack:
    stack = ExitStack()
    command = [str(BIN / "uvicorn"), "impl.app:app", "--host", "127.0.0.1", "--port", str(port), "--no-proxy-headers"]
    proc = stack.enter_context(_process(command, env, log))
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        assert proc.poll() is None, f"the app exited: {log.read_text()[-3000:]}"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"the app did not start: {log.read_text()[-3000:]}"
        time.sleep(0.1)
    return stack


def _worker(env: dict[str, str], log: Path) -> ExitStack:
    stack = ExitStack()
    command = [str(BIN / "taskiq"), "worker", "impl.notifications.worker:broker", "--workers", "1"]
    stack.enter_context(_process([*command, "--ack-type", "when_executed", "--no-configure-logging"], env, log))
    return stack


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
                outbox = NotificationOutboxRow.__table__
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


def test_embedded_mode_survives_sigkill_between_accept_and_delivery(database_file: str, tmp_path: Path) -> None:
    port = free_port()
    stall = StallingServer()
    try:
        with _app(_environment(database_file, stall.port), port, tmp_path / "app.log"):
            outbox_id = _accept_notification(f"http://127.0.0.1:{port}")
            stall.wait_for_connection(timeout=DELIVERY_TIMEOUT)
            # Accepted, delivery under way and stuck: the process dies here (the exit kills it).
        (row,) = _rows(database_file)
        assert row[:2] == (outbox_id, "pending")
    finally:
        stall.close()

    with (
        smtp_server() as (smtp_port, handler),
        _app(_environment(database_file, smtp_port), port, tmp_path / "app.log"),
    ):
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
    port = free_port()
    queue = {"NOTIFICATIONS_QUEUE": "redis", "NOTIFICATIONS_QUEUE_NAME": stream, "REDIS_URL": REDIS_URL}
    stall = StallingServer()
    try:
        with _app(_environment(database_file, stall.port, **queue), port, tmp_path / "app.log"):
            base_url = f"http://127.0.0.1:{port}"
            with _worker(_environment(database_file, stall.port, **queue), tmp_path / "worker.log"):
                outbox_id = _accept_notification(base_url)
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
