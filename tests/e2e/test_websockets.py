"""The WebSockets in-process (Starlette's TestClient): `/ws` echo, `/ws/items` authentication and item events.

Each test runs its own app inside a TestClient, whose portal thread runs the lifespan, every HTTP request and every
WebSocket in one event loop (the app's database connections belong to that loop). Every wait is bounded: frames
are read with a timeout, and a watchdog ends the process with a traceback if a handshake ever hangs.
"""

from __future__ import annotations

import faulthandler
import json
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import jwt
import pytest
from starlette.exceptions import StarletteDeprecationWarning
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from impl.app import create_app
from impl.events import EventBroker
from impl.problems import DatabaseUnavailable
from impl.security.authenticator import TokenAuthenticator
from impl.security.tokens import TokenCodec
from tests.databases import empty_and_close, make_settings
from tests.users import ALICE, BOB, PASSWORD

with warnings.catch_warnings():
    # Starlette 1.10 asks for `httpx2` under its TestClient; the lock has httpx, which it still supports.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient, WebSocketTestSession

RECEIVE_TIMEOUT = 10.0
QUEUE_SIZE = 4
RECHECK_SECONDS = 0.2
MAX_MESSAGE_BYTES = 1024
CORS_ORIGIN = "https://app.example"
NEW_ITEM = {"name": "Foo", "description": "A very nice Item", "price": 35.4, "tax": 3.2, "tags": ["rock", "metal"]}


@pytest.fixture(autouse=True)
def watchdog() -> Iterator[None]:
    """A hung handshake (TestClient waits for it without a timeout) ends the process with every thread's traceback."""
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


class StallingPeers:
    """Wraps the app: a WebSocket opened with `?stall=1` takes no frame after the handshake, like a client that
    never reads once its TCP window is full — each of the app's sends to it waits forever."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or b"stall=1" not in scope.get("query_string", b""):
            await self.app(scope, receive, send)
            return

        async def stalled(message: Message) -> None:
            if message["type"] == "websocket.send":
                await anyio.sleep_forever()
            await send(message)

        await self.app(scope, receive, stalled)


Server = Callable[..., TestClient]


@pytest.fixture
def server(database_url: str) -> Iterator[Server]:
    """Starts an app (settings overridable) in a TestClient; empties the database and stops the apps afterwards."""
    started: list[tuple[TestClient, Any]] = []

    def start(**overrides: object) -> TestClient:
        values: dict[str, object] = {
            "ws_queue_size": QUEUE_SIZE,
            "ws_auth_recheck_seconds": RECHECK_SECONDS,
            "ws_max_message_bytes": MAX_MESSAGE_BYTES,
            "cors_origins": [CORS_ORIGIN],
            **overrides,
        }
        app = create_app(make_settings(database_url, **values))
        client = TestClient(StallingPeers(app), base_url="http://testserver")
        client.__enter__()
        started.append((client, app))
        return client

    yield start
    for client, app in reversed(started):
        assert client.portal is not None
        client.portal.call(empty_and_close, app)  # in the app's own loop; the lifespan then disposes again
        client.__exit__(None, None, None)


def broker(client: TestClient) -> EventBroker:
    """The event broker of the app under `client` (inside the StallingPeers wrapper)."""
    wrapper = client.app
    assert isinstance(wrapper, StallingPeers)
    events: EventBroker = wrapper.app.state.events  # type: ignore[attr-defined]  # an ASGIApp that is our FastAPI
    return events


def receive(ws: WebSocketTestSession, timeout: float = RECEIVE_TIMEOUT) -> Message:
    """The next ASGI message the app sent to this client, failing after `timeout` seconds."""

    async def bounded() -> Message:
        with anyio.fail_after(timeout):
            # The session's own stream: its public receive() waits without a timeout.
            message: Message = await ws._send_rx.receive()
            return message

    return ws.portal.call(bounded)


def receive_json(ws: WebSocketTestSession) -> dict[str, Any]:
    message = receive(ws)
    assert message["type"] == "websocket.send", message
    event: dict[str, Any] = json.loads(message["text"])
    return event


def assert_closed(ws: WebSocketTestSession, code: int, reason_part: str = "") -> str:
    """The app's next message is a close with `code` (and a reason containing `reason_part`)."""
    message = receive(ws)
    assert message["type"] == "websocket.close", message
    assert message["code"] == code, message
    reason: str = message.get("reason") or ""
    assert reason_part in reason, message
    return reason


@contextmanager
def refused(code: int = 1008) -> Iterator[list[str]]:
    """The handshake inside is closed with `code` before being accepted; yields [reason] afterwards."""
    reasons: list[str] = []
    with pytest.raises(WebSocketDisconnect) as closed:
        yield reasons
    assert closed.value.code == code
    reasons.append(closed.value.reason)


def sign_up(client: TestClient, email: str) -> None:
    response = client.post("/users", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text


def tokens(client: TestClient, email: str, **extra: str) -> dict[str, str]:
    response = client.post("/token", data={"grant_type": "password", "username": email, "password": PASSWORD, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def access_token(client: TestClient, email: str = ALICE, **extra: str) -> str:
    sign_up(client, email)
    return tokens(client, email, **extra)["access_token"]


def bearer(token: str) -> list[str]:
    return ["bearer", token]


def create_item(client: TestClient, token: str, **fields: object) -> dict[str, Any]:
    response = client.post("/items", json={**NEW_ITEM, **fields}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    return item


# --- /ws: echo -------------------------------------------------------------------------------------------------


def test_echo_answers_each_text_frame(server: Server) -> None:
    client = server()
    with client.websocket_connect("/ws") as ws:
        for text in ["hello", "", "ünïcødé ✓"]:
            ws.send_text(text)
            message = receive(ws)
            assert message == {"type": "websocket.send", "text": f"Message text was: {text}"}


def test_echo_closes_a_binary_frame_with_1003_and_a_reason(server: Server) -> None:
    client = server()
    with client.websocket_connect("/ws") as ws:
        ws.send_bytes(b"\x00\x01")
        assert_closed(ws, 1003, "binary frames are not supported")


def test_echo_closes_a_frame_over_the_limit_with_1009(server: Server) -> None:
    client = server()
    with client.websocket_connect("/ws") as ws:
        ws.send_text("x" * MAX_MESSAGE_BYTES)  # at the limit: fine
        assert receive(ws)["text"].endswith("x" * MAX_MESSAGE_BYTES)
        ws.send_text("é" * (MAX_MESSAGE_BYTES // 2 + 1))  # the limit counts UTF-8 bytes, not characters
        assert_closed(ws, 1009, f"{MAX_MESSAGE_BYTES} bytes")


def test_echo_closes_an_idle_connection(server: Server) -> None:
    client = server(ws_idle_timeout_seconds=0.3)
    with client.websocket_connect("/ws") as ws:
        started = time.monotonic()
        assert_closed(ws, 1000, "idle")
        assert time.monotonic() - started < 5


def test_echo_activity_resets_the_idle_bound_which_then_holds_not_before(server: Server) -> None:
    idle = 1.0
    client = server(ws_idle_timeout_seconds=idle)
    with client.websocket_connect("/ws") as ws:
        started = time.monotonic()
        while True:
            sent = time.monotonic()  # the server's idle clock restarts after it answers this one
            ws.send_text("still here")
            # A close would arrive here instead: twice the bound in all, never silent for a fifth of it.
            assert receive(ws) == {"type": "websocket.send", "text": "Message text was: still here"}
            if time.monotonic() - started > 2 * idle:
                break
            time.sleep(idle / 5)
        assert_closed(ws, 1000, "idle")
        assert idle <= time.monotonic() - sent < idle + 5


def test_a_client_that_disconnects_leaves_no_error_and_the_server_serves_on(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    client = server()
    token = access_token(client)
    with caplog.at_level(logging.WARNING):
        with client.websocket_connect("/ws") as ws:
            ws.send_text("bye")
            ws.close(1001)
        with client.websocket_connect("/ws/items", subprotocols=bearer(token)) as ws:
            pass  # leaves at once: the subscription must go with it
        deadline = time.monotonic() + RECEIVE_TIMEOUT
        while broker(client).subscriber_count() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert broker(client).subscriber_count() == 0
        create_item(client, token)  # publishing to nobody is fine
        with client.websocket_connect("/ws") as ws:
            ws.send_text("again")
            assert receive(ws)["text"] == "Message text was: again"
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []


# --- /ws/items: authentication before accepting ------------------------------------------------------------------


def test_items_accepts_a_bearer_token_offered_as_subprotocol_and_answers_bearer(server: Server) -> None:
    client = server()
    token = access_token(client)
    with client.websocket_connect("/ws/items", subprotocols=bearer(token)) as ws:
        assert ws.accepted_subprotocol == "bearer"


def test_items_without_credentials_is_closed_with_1008_before_accepting(server: Server) -> None:
    client = server()
    with refused() as reason, client.websocket_connect("/ws/items"):
        pass
    assert "bearer" in reason[0]


@pytest.mark.parametrize(
    "subprotocols",
    [["bearer", "not.a.jwt"], ["bearer"], ["bearer", ""]],
    ids=["garbage", "no-token", "empty-token"],
)
def test_items_with_a_bad_token_is_closed_with_1008(server: Server, subprotocols: list[str]) -> None:
    client = server()
    with refused(), client.websocket_connect("/ws/items", subprotocols=subprotocols):
        pass


def test_items_with_a_token_of_a_revoked_session_is_closed_with_1008(server: Server) -> None:
    client = server()
    sign_up(client, ALICE)
    issued = tokens(client, ALICE)
    assert client.post("/token/revoke", data={"token": issued["refresh_token"]}).status_code == 200
    with refused() as reason, client.websocket_connect("/ws/items", subprotocols=bearer(issued["access_token"])):
        pass
    assert "session" in reason[0]


def test_items_with_a_write_only_token_lacking_items_read_is_closed_with_1008(server: Server) -> None:
    client = server()
    token = access_token(client, scope="items:write")
    create_item(client, token)  # the token works, for what it may do
    with refused() as reason, client.websocket_connect("/ws/items", subprotocols=bearer(token)):
        pass
    assert "items:read" in reason[0]


def test_items_accepts_an_authorization_header_from_non_browser_clients(server: Server) -> None:
    client = server()
    token = access_token(client)
    with client.websocket_connect("/ws/items", headers={"Authorization": f"Bearer {token}"}) as ws:
        assert ws.accepted_subprotocol is None


def _log_in(client: TestClient) -> None:
    sign_up(client, ALICE)
    response = client.post("/login", data={"username": ALICE, "password": PASSWORD})
    assert response.status_code in (200, 204), response.text
    assert client.cookies.get("access_token")


@pytest.mark.parametrize("origin", [None, "http://testserver", CORS_ORIGIN], ids=["no-origin", "own", "cors"])
def test_items_accepts_the_session_cookie_from_an_allowed_origin(server: Server, origin: str | None) -> None:
    client = server()
    _log_in(client)
    headers = {"Origin": origin} if origin else {}
    with client.websocket_connect("/ws/items", headers=headers) as ws:
        assert ws.accepted_subprotocol is None
        item = create_item(client, tokens(client, ALICE)["access_token"])
        assert receive_json(ws) == {"event": "created", "item": item}


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://testserver.evil.example"])
def test_items_refuses_the_session_cookie_from_a_cross_site_origin(server: Server, origin: str) -> None:
    # Cross-site WebSocket hijacking: the browser would attach the victim's cookie to this handshake.
    client = server()
    _log_in(client)
    with refused() as reason, client.websocket_connect("/ws/items", headers={"Origin": origin}):
        pass
    assert "own pages" in reason[0]


def test_a_bearer_token_is_accepted_whatever_the_origin(server: Server) -> None:
    # A token is no ambient credential: a page that has it may use it from anywhere.
    client = server()
    token = access_token(client)
    with client.websocket_connect("/ws/items", subprotocols=bearer(token), headers={"Origin": "https://x.example"}):
        pass


# --- /ws/items: credentials ending while connected ---------------------------------------------------------------


def test_revoking_the_session_closes_the_connection_with_1008(server: Server) -> None:
    client = server()
    sign_up(client, ALICE)
    issued = tokens(client, ALICE)
    with client.websocket_connect("/ws/items", subprotocols=bearer(issued["access_token"])) as ws:
        assert client.post("/token/revoke", data={"token": issued["refresh_token"]}).status_code == 200
        assert_closed(ws, 1008, "session")


def test_logging_out_closes_the_cookie_connection_with_1008(server: Server) -> None:
    client = server()
    _log_in(client)
    with client.websocket_connect("/ws/items") as ws:
        csrf = client.cookies.get("csrf_token") or ""
        assert client.post("/logout", headers={"X-CSRF-Token": csrf}).status_code in (200, 204)
        assert_closed(ws, 1008)


def test_credentials_that_cannot_be_checked_again_close_with_1013_try_again_later(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = server()
    token = access_token(client)
    with client.websocket_connect("/ws/items", subprotocols=bearer(token)) as ws:

        async def database_down(*_args: object) -> None:
            raise DatabaseUnavailable("the database is not reachable; retry later", retry_after=2)

        # The next recheck finds the database down: neither "still allowed" nor "revoked" can be known.
        monkeypatch.setattr(TokenAuthenticator, "authorize", database_down)
        assert_closed(ws, 1013, "database")


def test_an_expiring_token_closes_the_connection_at_its_expiry(server: Server, database_url: str) -> None:
    client = server()
    real = jwt.decode(access_token(client), options={"verify_signature": False})
    # The same key as the app's (tests share one), a real session, two seconds to live.
    codec = TokenCodec(make_settings(database_url))
    short = codec.issue(
        subject=real["sub"], scopes=frozenset(real["scope"].split()), ttl_seconds=2, session_id=real["sid"]
    ).token
    with client.websocket_connect("/ws/items", subprotocols=bearer(short)) as ws:
        started = time.monotonic()
        assert_closed(ws, 1008, "expired")
        assert 0.5 < time.monotonic() - started < 5


# --- /ws/items: events --------------------------------------------------------------------------------------------


def test_create_update_and_delete_are_pushed_with_the_item(server: Server) -> None:
    client = server()
    token = access_token(client)
    writer = {"Authorization": f"Bearer {access_token(client, BOB)}"}
    with client.websocket_connect("/ws/items", subprotocols=bearer(token)) as ws:
        created = client.post("/items", json=NEW_ITEM, headers=writer).json()
        assert receive_json(ws) == {"event": "created", "item": created}
        item_id = created["id"]
        replaced = client.put(f"/items/{item_id}", json={"name": "Bar", "price": 2}, headers=writer).json()
        assert receive_json(ws) == {"event": "updated", "item": replaced}
        patched = client.patch(f"/items/{item_id}", json={"tax": 1.5}, headers=writer).json()
        assert receive_json(ws) == {"event": "updated", "item": patched}
        assert client.delete(f"/items/{item_id}", headers=writer).status_code == 204
        assert receive_json(ws) == {"event": "deleted", "id": item_id}


def test_failed_writes_and_idempotent_replays_publish_nothing(server: Server) -> None:
    client = server()
    token = access_token(client)
    auth = {"Authorization": f"Bearer {token}"}
    with client.websocket_connect("/ws/items", subprotocols=bearer(token)) as ws:
        keyed = {**auth, "Idempotency-Key": "once"}
        first = client.post("/items", json=NEW_ITEM, headers=keyed)
        assert client.post("/items", json=NEW_ITEM, headers=keyed).json() == first.json()  # replayed
        stale = {**auth, "If-Match": '"0.0"'}
        assert client.patch(f"/items/{first.json()['id']}", json={"tax": 1}, headers=stale).status_code == 412
        marker = create_item(client, token, name="marker")
        assert receive_json(ws) == {"event": "created", "item": first.json()}
        assert receive_json(ws) == {"event": "created", "item": marker}  # nothing in between


def test_a_consumer_that_never_reads_is_closed_with_1013_and_never_slows_the_others(server: Server) -> None:
    client = server()
    token = access_token(client)
    with (
        client.websocket_connect("/ws/items?stall=1", subprotocols=bearer(token)) as stalled,
        client.websocket_connect("/ws/items", subprotocols=bearer(token)) as reader,
    ):
        # One event blocks in the stalled send, QUEUE_SIZE more fill its queue, the next overflows it.
        items = [create_item(client, token, name=f"item {n}") for n in range(QUEUE_SIZE + 3)]
        for item in items:
            assert receive_json(reader) == {"event": "created", "item": item}
        assert_closed(stalled, 1013, "too slow")
        # The reader keeps receiving after the stalled one is gone.
        later = create_item(client, token, name="later")
        assert receive_json(reader) == {"event": "created", "item": later}


def test_shutting_the_broker_down_closes_connections_with_1001(server: Server) -> None:
    client = server()
    token = access_token(client)
    with client.websocket_connect("/ws/items", subprotocols=bearer(token)) as ws:
        # What the lifespan does at shutdown, before the database goes away.
        assert client.portal is not None
        client.portal.call(broker(client).aclose)
        assert_closed(ws, 1001, "shutting down")
