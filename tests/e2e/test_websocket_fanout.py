"""Two real app processes (uvicorn) on one PostgreSQL database and one Redis: a `/ws/items` client of either worker
sees the writes made through the other; handshakes are refused over the wire; a peer that stops answering
uvicorn's keepalive pings is dropped. (Closing connections at shutdown: tests/e2e/test_graceful_shutdown.py.)

Each run publishes on a channel of its own (EVENTS_CHANNEL), so concurrent runs on one Redis never see each
other's events. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from tests.processes import CHEAP_ACCOUNTS, ServerProcess
from tests.services import REDIS_URL, require_redis
from tests.users import ALICE, BOB, PASSWORD

EVENT_TIMEOUT = 10.0
NEW_ITEM = {"name": "Foo", "price": 35.4}
# uvicorn's keepalive (`make serve` passes WS_PING_INTERVAL / WS_PING_TIMEOUT, 20 s each), shortened for the test.
PING_INTERVAL, PING_TIMEOUT = 1, 3


@pytest.fixture(scope="module")
def worker_env(postgres_database_url: str) -> dict[str, str]:
    """What every worker of this module shares: the database, Redis and a channel of its own."""
    require_redis()
    return {
        **CHEAP_ACCOUNTS,
        "DATABASE_URL": postgres_database_url,
        "REDIS_URL": REDIS_URL,
        "EVENTS_CHANNEL": f"test-item-events:{uuid.uuid4().hex}",
    }


@pytest.fixture(scope="module")
def workers(
    worker_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two workers, A and B, for the whole module."""
    logs = tmp_path_factory.mktemp("workers")
    options = ("--ws-ping-interval", str(PING_INTERVAL), "--ws-ping-timeout", str(PING_TIMEOUT))
    with (
        ServerProcess(worker_env, log=logs / "worker-a.log", options=options) as a,
        ServerProcess(worker_env, log=logs / "worker-b.log", options=options) as b,
    ):
        yield a, b


@pytest.fixture
async def alice(workers: tuple[ServerProcess, ServerProcess]) -> AsyncIterator[str]:
    """An access token of a fresh account, signed up through worker A."""
    email = f"ws-{uuid.uuid4().hex[:12]}-{ALICE}"
    async with httpx.AsyncClient(base_url=workers[0].base_url, timeout=10) as http:
        assert (await http.post("/users", json={"email": email, "password": PASSWORD})).status_code == 201
        response = await http.post("/token", data={"grant_type": "password", "username": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        yield response.json()["access_token"]


def _subscribe(worker: ServerProcess, token: str) -> Any:
    return connect(
        f"{worker.ws_url}/ws/items",
        subprotocols=[Subprotocol("bearer"), Subprotocol(token)],
        open_timeout=10,
        close_timeout=5,
    )


async def _event(ws: ClientConnection) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT))
    return event


async def test_a_client_of_each_worker_sees_the_writes_made_through_the_other(
    workers: tuple[ServerProcess, ServerProcess], alice: str
) -> None:
    a, b = workers
    auth = {"Authorization": f"Bearer {alice}"}
    async with (
        _subscribe(a, alice) as on_a,
        _subscribe(b, alice) as on_b,
        httpx.AsyncClient(base_url=a.base_url, headers=auth, timeout=10) as via_a,
        httpx.AsyncClient(base_url=b.base_url, headers=auth, timeout=10) as via_b,
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


async def test_a_handshake_without_credentials_is_refused_over_the_wire(
    workers: tuple[ServerProcess, ServerProcess],
) -> None:
    # Closed (1008) before accepting: uvicorn turns that into a 403 answer to the upgrade request.
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{workers[1].ws_url}/ws/items", open_timeout=10):
            pass
    assert refused.value.response.status_code == 403


async def test_the_echo_endpoint_over_the_wire(workers: tuple[ServerProcess, ServerProcess]) -> None:
    async with connect(f"{workers[0].ws_url}/ws", open_timeout=10, close_timeout=5) as ws:
        await ws.send("hello")
        assert await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT) == "Message text was: hello"
        await ws.send(b"\x00")
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003


async def test_bob_and_alice_on_different_workers_share_one_stream(
    workers: tuple[ServerProcess, ServerProcess], alice: str
) -> None:
    # Events are not per user: whoever may read items sees every write, whichever worker took it.
    a, b = workers
    email = f"ws-{uuid.uuid4().hex[:12]}-{BOB}"
    async with httpx.AsyncClient(base_url=b.base_url, timeout=10) as via_b:
        assert (await via_b.post("/users", json={"email": email, "password": PASSWORD})).status_code == 201
        token = (
            await via_b.post("/token", data={"grant_type": "password", "username": email, "password": PASSWORD})
        ).json()["access_token"]
        async with _subscribe(a, alice) as alices:
            created = await via_b.post("/items", json=NEW_ITEM, headers={"Authorization": f"Bearer {token}"})
            assert await _event(alices) == {"event": "created", "item": created.json()}


async def test_a_peer_that_stops_answering_pings_is_dropped_and_a_live_one_stays(
    workers: tuple[ServerProcess, ServerProcess], alice: str
) -> None:
    # /ws/items only listens, so it has no idle bound; uvicorn's keepalive finds the peers that are gone.
    a = workers[0]
    async with _subscribe(a, alice) as gone, _subscribe(a, alice) as live:
        # A peer whose host vanished: nothing it is sent is read, no ping is answered (its kernel still ACKs).
        gone.transport.pause_reading()
        await asyncio.sleep(PING_INTERVAL + PING_TIMEOUT + 1.5)
        gone.transport.resume_reading()  # to read what the server said before it hung up
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(gone.recv(), EVENT_TIMEOUT)
        assert closed.value.rcvd is not None, a.output()
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1011, "keepalive ping timeout")
        # The live client answered every ping meanwhile: still subscribed.
        async with httpx.AsyncClient(base_url=a.base_url, timeout=10) as via_a:
            created = await via_a.post("/items", json=NEW_ITEM, headers={"Authorization": f"Bearer {alice}"})
        assert await _event(live) == {"event": "created", "item": created.json()}
