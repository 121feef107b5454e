"""Redis stopped and started again under two app instances sharing it (two workers): `/ws/items` clients stay
connected and get their own instance's writes in-process, exactly once; the outage is logged once per instance; once
Redis is back, writes through either instance reach the clients of both again, exactly once.

The test runs its own `redis-server` on a spare port (stopping it touches nobody else's Redis), and each app in its
own TestClient: its own thread and event loop, its own Redis connections, like a worker of its own.
"""

from __future__ import annotations

import faulthandler
import json
import logging
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning
from starlette.types import Message

from impl.app import create_app
from impl.events import RedisBroker
from tests.databases import empty_and_close, make_settings
from tests.redis_server import RedisProcess
from tests.users import ALICE, PASSWORD

with warnings.catch_warnings():
    # Starlette 1.10 asks for `httpx2` under its TestClient; the lock has httpx, which it still supports.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient, WebSocketTestSession

RECEIVE_TIMEOUT = 5.0
QUIET = 0.5  # how long "nothing more arrives" is watched
RECOVERY_TIMEOUT = 10.0
WRITE_BOUND = 2.0  # a write's response, Redis down or not
DEGRADED = "item events degraded to in-process delivery"
RESUMED = "item events fan out across workers again"


@pytest.fixture(autouse=True)
def watchdog() -> Iterator[None]:
    """A hung handshake (TestClient waits for it without a timeout) ends the process with every thread's traceback."""
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def instances(database_url: str, private_redis: RedisProcess) -> Iterator[Callable[[], TestClient]]:
    """Starts app instances on the test database and the private Redis (one channel); stops them afterwards."""
    started: list[tuple[TestClient, FastAPI]] = []
    settings = make_settings(database_url, redis_url=private_redis.url, events_channel=f"test-events:{time.time_ns()}")

    def start() -> TestClient:
        app = create_app(settings)
        client = TestClient(app, base_url="http://testserver")
        client.__enter__()
        started.append((client, app))
        return client

    yield start
    for client, app in reversed(started):
        assert client.portal is not None
        client.portal.call(empty_and_close, app)
        client.__exit__(None, None, None)


def broker(client: TestClient) -> RedisBroker:
    events = client.app.state.events  # type: ignore[attr-defined]  # the ASGI app is our FastAPI
    assert isinstance(events, RedisBroker)
    return events


def receive(ws: WebSocketTestSession, timeout: float) -> Message:
    """The next ASGI message the app sent to this client, failing (TimeoutError) after `timeout` seconds."""

    async def bounded() -> Message:
        with anyio.fail_after(timeout):
            message: Message = await ws._send_rx.receive()  # its public receive() waits without a timeout
            return message

    return ws.portal.call(bounded)


def receive_event(ws: WebSocketTestSession) -> dict[str, Any]:
    message = receive(ws, RECEIVE_TIMEOUT)
    assert message["type"] == "websocket.send", message  # not closed (the old 1011 on a Redis outage)
    event: dict[str, Any] = json.loads(message["text"])
    return event


def assert_nothing_more(*sockets: WebSocketTestSession) -> None:
    for ws in sockets:
        with pytest.raises(TimeoutError):
            receive(ws, QUIET)


def create_item(client: TestClient, token: str, name: str) -> dict[str, Any]:
    """POST /items, answered 201 within WRITE_BOUND seconds; the created item."""
    started = time.monotonic()
    response = client.post("/items", json={"name": name, "price": 1.5}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    assert time.monotonic() - started < WRITE_BOUND
    item: dict[str, Any] = response.json()
    return item


def access_token(client: TestClient) -> str:
    assert client.post("/users", json={"email": ALICE, "password": PASSWORD}).status_code == 201
    response = client.post("/token", data={"grant_type": "password", "username": ALICE, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def logged_per_instance(caplog: pytest.LogCaptureFixture, level: int, text: str) -> list[int]:
    """How many records of `level` containing `text` each instance logged (each runs in its TestClient's thread)."""
    counts = Counter(r.thread for r in caplog.records if r.levelno == level and text in r.getMessage())
    return sorted(counts.values())


def wait_until_back(*clients: TestClient) -> None:
    deadline = time.monotonic() + RECOVERY_TIMEOUT
    while any(broker(client).degraded for client in clients):
        assert time.monotonic() < deadline, f"Redis not back for the brokers within {RECOVERY_TIMEOUT} s"
        time.sleep(0.05)


def test_events_degrade_to_in_process_while_redis_is_down_and_fan_out_again_after(
    instances: Callable[[], TestClient], private_redis: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="impl.events")
    a, b = instances(), instances()
    token = access_token(a)
    with (
        a.websocket_connect("/ws/items", subprotocols=["bearer", token]) as on_a,
        b.websocket_connect("/ws/items", subprotocols=["bearer", token]) as on_b,
    ):
        before = create_item(b, token, "before")
        assert receive_event(on_a) == receive_event(on_b) == {"event": "created", "item": before}
        assert_nothing_more(on_a, on_b)

        private_redis.stop()
        first = create_item(a, token, "during the outage")
        assert receive_event(on_a) == {"event": "created", "item": first}  # in-process, at once
        assert broker(a).degraded
        second = create_item(a, token, "still during the outage")
        assert receive_event(on_a) == {"event": "created", "item": second}
        assert_nothing_more(on_a, on_b)  # exactly once; b's clients never had a's writes (Redis is down)
        # One warning per instance for the whole outage: a's publisher failed first, then both listeners.
        assert logged_per_instance(caplog, logging.WARNING, DEGRADED) == [1, 1], caplog.text

        private_redis.start()
        wait_until_back(a, b)
        after = create_item(b, token, "after, through b")
        assert receive_event(on_a) == receive_event(on_b) == {"event": "created", "item": after}
        deleted = a.delete(f"/items/{first['id']}", headers={"Authorization": f"Bearer {token}"})
        assert deleted.status_code == 204
        assert receive_event(on_a) == receive_event(on_b) == {"event": "deleted", "id": first["id"]}
        # Nothing twice around the switch, nothing of the outage replayed late.
        assert_nothing_more(on_a, on_b)
        assert logged_per_instance(caplog, logging.INFO, RESUMED) == [1, 1], caplog.text
        assert logged_per_instance(caplog, logging.WARNING, DEGRADED) == [1, 1], caplog.text
