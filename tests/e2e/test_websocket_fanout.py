"""Two real app processes (uvicorn) on one PostgreSQL database and one Redis: a `/ws/items` client of either worker
sees the writes made through the other; handshakes are refused over the wire; shutdown closes connections cleanly.

Each run publishes on a channel of its own (EVENTS_CHANNEL), so concurrent runs on one Redis never see each
other's events. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from tests.contract.live_server import free_port
from tests.databases import REPO_ROOT, TEST_SECRET_KEY, fresh_postgres_database, migrate, require_postgres
from tests.services import REDIS_URL, require_redis
from tests.users import ALICE, BOB, PASSWORD

START_TIMEOUT = 30.0
EVENT_TIMEOUT = 10.0
NEW_ITEM = {"name": "Foo", "price": 35.4}


@dataclass
class Worker:
    """One uvicorn process serving the app."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop the process (SIGKILL after 10 s); its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


def _start_worker(env: dict[str, str], log: Path) -> Worker:
    """A uvicorn process on a free port, once /healthz answers (a port taken meanwhile: tried again)."""
    for _ in range(3):
        port = free_port()
        with log.open("wb") as out:
            command = [sys.executable, "-m", "uvicorn", "impl.app:app", "--host", "127.0.0.1", "--port", str(port)]
            process = subprocess.Popen(
                [*command, "--no-proxy-headers", "--log-level", "warning"],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(process, port, log)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{worker.http}/healthz", timeout=1).status_code == 200:
                    return worker
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        worker.stop(signal.SIGKILL)
    pytest.fail(f"the app did not start: {log.read_text(errors='replace')[-4000:]}")


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A PostgreSQL database of this module's own, migrated."""
    require_postgres()
    with fresh_postgres_database() as url:
        migrate(url, "head")
        yield url


@pytest.fixture(scope="module")
def worker_env(database: str) -> dict[str, str]:
    """What every worker of this module shares: the database, the signing key, Redis and a channel of its own."""
    require_redis()
    return {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": REDIS_URL,
        "EVENTS_CHANNEL": f"test-item-events:{uuid.uuid4().hex}",
        "SECRET_KEY": TEST_SECRET_KEY,
        "ENVIRONMENT": "test",
        "LOG_JSON": "false",
        "SIGNUPS_PER_ADDRESS": "1000000",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST_KIB": "8192",
        # Each test signs up and logs in from 127.0.0.1; the limits are another file's subject.
        "LOGIN_FAILURES_PER_IP": "1000000",
    }


@pytest.fixture(scope="module")
def workers(worker_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Worker, Worker]]:
    """Two workers, A and B, for the whole module."""
    logs = tmp_path_factory.mktemp("workers")
    started: list[Worker] = []
    try:
        for name in ("a", "b"):
            started.append(_start_worker(worker_env, logs / f"worker-{name}.log"))
        yield started[0], started[1]
    finally:
        for worker in started:
            worker.stop()


@pytest.fixture
async def alice(workers: tuple[Worker, Worker]) -> AsyncIterator[str]:
    """An access token of a fresh account, signed up through worker A."""
    email = f"ws-{uuid.uuid4().hex[:12]}-{ALICE}"
    async with httpx.AsyncClient(base_url=workers[0].http, timeout=10) as http:
        assert (await http.post("/users", json={"email": email, "password": PASSWORD})).status_code == 201
        response = await http.post("/token", data={"grant_type": "password", "username": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        yield response.json()["access_token"]


def _subscribe(worker: Worker, token: str) -> Any:
    return connect(
        f"{worker.ws}/ws/items",
        subprotocols=[Subprotocol("bearer"), Subprotocol(token)],
        open_timeout=10,
        close_timeout=5,
    )


async def _event(ws: ClientConnection) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT))
    return event


async def test_a_client_of_each_worker_sees_the_writes_made_through_the_other(
    workers: tuple[Worker, Worker], alice: str
) -> None:
    a, b = workers
    auth = {"Authorization": f"Bearer {alice}"}
    async with (
        _subscribe(a, alice) as on_a,
        _subscribe(b, alice) as on_b,
        httpx.AsyncClient(base_url=a.http, headers=auth, timeout=10) as via_a,
        httpx.AsyncClient(base_url=b.http, headers=auth, timeout=10) as via_b,
    ):
        assert on_a.subprotocol == on_b.subprotocol == "bearer"
        created = await via_a.post("/items", json=NEW_ITEM)
        assert created.status_code == 201, created.text
        item = created.json()
        assert await _event(on_b) == {"event": "created", "item": item}, b.output()
        assert await _event(on_a) == {"event": "created", "item": item}, a.output()

        patched = await via_b.patch(f"/items/{item['id']}", json={"tax": 1.5})
        assert patched.status_code == 200, patched.text
        assert await _event(on_a) == {"event": "updated", "item": patched.json()}
        assert await _event(on_b) == {"event": "updated", "item": patched.json()}

        assert (await via_b.delete(f"/items/{item['id']}")).status_code == 204
        assert await _event(on_a) == {"event": "deleted", "id": item["id"]}
        assert await _event(on_b) == {"event": "deleted", "id": item["id"]}


async def test_a_handshake_without_credentials_is_refused_over_the_wire(workers: tuple[Worker, Worker]) -> None:
    # Closed (1008) before accepting: uvicorn turns that into a 403 answer to the upgrade request.
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{workers[1].ws}/ws/items", open_timeout=10):
            pass
    assert refused.value.response.status_code == 403


async def test_the_echo_endpoint_over_the_wire(workers: tuple[Worker, Worker]) -> None:
    async with connect(f"{workers[0].ws}/ws", open_timeout=10, close_timeout=5) as ws:
        await ws.send("hello")
        assert await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT) == "Message text was: hello"
        await ws.send(b"\x00")
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003


async def test_stopping_a_worker_closes_its_connections_with_a_close_frame(
    workers: tuple[Worker, Worker], alice: str, worker_env: dict[str, str], tmp_path: Path
) -> None:
    a = workers[0]
    b = await asyncio.to_thread(_start_worker, worker_env, tmp_path / "worker-c.log")  # a third one, to stop
    async with _subscribe(b, alice) as on_b, _subscribe(a, alice) as on_a:
        # SIGTERM: uvicorn's graceful shutdown; the client must get a close frame (1012 service restart, or the
        # app's 1001), not a dropped TCP connection (1006).
        await asyncio.to_thread(b.stop)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(on_b.recv(), EVENT_TIMEOUT)
        assert closed.value.rcvd is not None, b.output()
        assert closed.value.rcvd.code in (1001, 1012), closed.value
        # uvicorn re-raises the SIGTERM it handled once shut down; a traceback would mean an unclean shutdown.
        assert b.process.returncode in (0, -signal.SIGTERM), b.output()
        assert "Traceback" not in b.output(), b.output()
        # The other worker's clients carry on.
        async with httpx.AsyncClient(base_url=a.http, timeout=10) as via_a:
            created = await via_a.post("/items", json=NEW_ITEM, headers={"Authorization": f"Bearer {alice}"})
        assert await _event(on_a) == {"event": "created", "item": created.json()}


async def test_bob_and_alice_on_different_workers_share_one_stream(workers: tuple[Worker, Worker], alice: str) -> None:
    # Events are not per user: whoever may read items sees every write, whichever worker took it.
    a, b = workers
    email = f"ws-{uuid.uuid4().hex[:12]}-{BOB}"
    async with httpx.AsyncClient(base_url=b.http, timeout=10) as via_b:
        assert (await via_b.post("/users", json={"email": email, "password": PASSWORD})).status_code == 201
        token = (
            await via_b.post("/token", data={"grant_type": "password", "username": email, "password": PASSWORD})
        ).json()["access_token"]
        async with _subscribe(a, alice) as alices:
            created = await via_b.post("/items", json=NEW_ITEM, headers={"Authorization": f"Bearer {token}"})
            assert await _event(alices) == {"event": "created", "item": created.json()}
