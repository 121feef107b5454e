"""The WebSocket endpoints (outside the OpenAPI contract; described in openapi/asyncapi.yaml): `/ws` and `/ws/items`.

Close codes (RFC 6455 §7.4): 1000 idle, 1001 shutdown, 1003 binary frame on `/ws`, 1008 authentication failed
(before accepting) or ended while connected, 1009 frame too big, 1011 internal error, 1013 too slow or the
credentials could not be checked again (the database is unavailable). A Redis
outage closes nothing: item events degrade to in-process delivery (impl/events.py).

uvicorn adds two of its own: 1012 (service restart) to every connection when SIGTERM starts its graceful shutdown
(before the app's 1001, which a shutdown without it still sends), and 1011 "keepalive ping timeout" to a peer that
leaves a ping unanswered (`make serve`: WS_PING_INTERVAL, WS_PING_TIMEOUT). That is the bound for `/ws/items`,
whose clients only listen and so have no idle timeout: a dead peer is dropped, a quiet live one is not.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial

import anyio
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

from generated.security import SCOPE_ITEMS_READ
from impl.events import CLOSE_TRY_AGAIN_LATER, EventBroker, Subscription
from impl.problems import ProblemError, ServiceUnavailable
from impl.security.authenticator import Credentials, TokenAuthenticator, websocket_credentials
from impl.settings import Settings

logger = logging.getLogger(__name__)

CLOSE_NORMAL = 1000
CLOSE_UNSUPPORTED_DATA = 1003
CLOSE_POLICY_VIOLATION = 1008
CLOSE_MESSAGE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011
# A close frame's reason is at most 123 bytes of UTF-8.
_MAX_REASON_BYTES = 123
# A close to a peer that stopped reading cannot wait for it: the connection is dropped after this.
_CLOSE_TIMEOUT_SECONDS = 5.0
# The peer went away while we were sending or closing.
_PEER_GONE = (WebSocketDisconnect, WebSocketDisconnected, OSError)


@dataclass(frozen=True, slots=True)
class _Close:
    code: int
    reason: str


def _reason(text: str) -> str:
    return text.encode()[:_MAX_REASON_BYTES].decode(errors="ignore")


async def _close(websocket: WebSocket, close: _Close) -> None:
    """Close with `close`, unless the peer is already gone; bounded, since a stalled peer never answers."""
    with contextlib.suppress(*_PEER_GONE), anyio.move_on_after(_CLOSE_TIMEOUT_SECONDS):
        await websocket.close(close.code, _reason(close.reason))


def _oversized(message: Mapping[str, object], limit: int) -> _Close | None:
    data = message.get("text")
    size = len(data.encode()) if isinstance(data, str) else len(data) if isinstance(data, bytes) else 0
    if size > limit:
        return _Close(CLOSE_MESSAGE_TOO_BIG, f"frames are limited to {limit} bytes")
    return None


class WebSocketEndpoints:
    """`/ws` (echo) and `/ws/items` (item events for callers with `items:read`)."""

    def __init__(self, settings: Settings, authenticator: TokenAuthenticator, broker: EventBroker) -> None:
        self._authenticator = authenticator
        self._broker = broker
        self._origins = settings.cors_origins
        self._max_bytes = settings.ws_max_message_bytes
        self._idle_timeout = settings.ws_idle_timeout_seconds
        self._recheck = settings.ws_auth_recheck_seconds

    def routes(self) -> list[BaseRoute]:
        """The two WebSocket routes."""
        return [WebSocketRoute("/ws", self.echo), WebSocketRoute("/ws/items", self.item_events)]

    async def echo(self, websocket: WebSocket) -> None:
        """Answer each text frame with `Message text was: <text>`; a binary frame closes with 1003."""
        await websocket.accept()
        while True:
            message = None
            with anyio.move_on_after(self._idle_timeout):
                message = await websocket.receive()
            if message is None:
                await _close(websocket, _Close(CLOSE_NORMAL, f"idle for {self._idle_timeout:g} s"))
                return
            if message["type"] == "websocket.disconnect":
                return
            if (too_big := _oversized(message, self._max_bytes)) is not None:
                await _close(websocket, too_big)
                return
            text = message.get("text")
            if text is None:
                # An echo of text has no meaning for bytes; saying so beats a guessed decoding.
                await _close(websocket, _Close(CLOSE_UNSUPPORTED_DATA, "binary frames are not supported; send text"))
                return
            try:
                await websocket.send_text(f"Message text was: {text}")
            except _PEER_GONE:
                return

    async def item_events(self, websocket: WebSocket) -> None:
        """Authenticate the handshake (1008 before accepting), then push every item event until the client leaves,
        its credentials stop being valid (1008), it falls behind (1013) or the server shuts down (1001)."""
        try:
            handshake = websocket_credentials(websocket, self._origins)
            principal = await self._authenticator.authorize(handshake.credentials, SCOPE_ITEMS_READ)
        except ProblemError as refused:
            # Before `accept`: the handshake fails (uvicorn answers it 403), nothing is ever sent to the caller.
            await _close(websocket, _Close(CLOSE_POLICY_VIOLATION, refused.detail))
            return
        async with self._broker.subscribe() as subscription:
            await websocket.accept(subprotocol=handshake.subprotocol)
            expires_at = principal.claims.get("exp")
            deadline = float(expires_at) if isinstance(expires_at, int | float) else time.time()
            close = await self._serve(websocket, subscription, handshake.credentials, deadline)
        if close is not None:
            await _close(websocket, close)

    async def _serve(
        self, websocket: WebSocket, subscription: Subscription, credentials: Credentials, expires_at: float
    ) -> _Close | None:
        """Run the connection's watchers until one of them ends it: its close, or None when the peer left."""
        outcomes: list[_Close | None] = []

        async with anyio.create_task_group() as group:

            async def watch(watcher: Callable[[], Awaitable[_Close | None]]) -> None:
                try:
                    outcome = await watcher()
                except _PEER_GONE:
                    outcome = None
                except Exception:
                    logger.exception("/ws/items connection failed")
                    outcome = _Close(CLOSE_INTERNAL_ERROR, "internal error; reconnect and re-read")
                outcomes.append(outcome)
                group.cancel_scope.cancel()  # the first watcher to finish ends the others

            group.start_soon(watch, partial(self._forward, websocket, subscription))
            group.start_soon(watch, partial(self._read, websocket))
            group.start_soon(watch, partial(self._watch_credentials, credentials, expires_at))
            group.start_soon(watch, partial(_ended, subscription))
        return outcomes[0]

    async def _forward(self, websocket: WebSocket, subscription: Subscription) -> _Close | None:
        # A send to a peer that stopped reading waits here; the queue fills meanwhile and ends the subscription.
        while True:
            await websocket.send_text(await subscription.next())

    async def _read(self, websocket: WebSocket) -> _Close | None:
        """Frames from the client mean nothing here: drop them, until it leaves (None) or sends too much."""
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return None
            if (too_big := _oversized(message, self._max_bytes)) is not None:
                return too_big

    async def _watch_credentials(self, credentials: Credentials, expires_at: float) -> _Close:
        """Check the account and session again every WS_AUTH_RECHECK_SECONDS; end at the token's expiry."""
        while True:
            await anyio.sleep(max(0.0, min(self._recheck, expires_at - time.time())))
            if time.time() >= expires_at:
                # No leeway here: the client knows `exp` and reconnects with a fresh token before it.
                return _Close(CLOSE_POLICY_VIOLATION, "the access token expired; reconnect with a fresh one")
            try:
                principal = await self._authenticator.authorize(credentials, SCOPE_ITEMS_READ)
            except ServiceUnavailable as unavailable:
                # The account could not be checked (the database is down): fail closed, but as "come back later",
                # which the credentials may well survive.
                return _Close(CLOSE_TRY_AGAIN_LATER, unavailable.detail)
            except ProblemError as ended:
                return _Close(CLOSE_POLICY_VIOLATION, ended.detail)
            exp = principal.claims.get("exp")
            expires_at = float(exp) if isinstance(exp, int | float) else time.time()


async def _ended(subscription: Subscription) -> _Close:
    await subscription.ended.wait()
    return _Close(subscription.close_code, subscription.close_reason)
