"""Pure ASGI middleware: standard response headers (request id, timing, security) and the body size limit."""

from __future__ import annotations

import re
import time
import uuid
from contextvars import ContextVar

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from impl.problems import instance_uri

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._\-]{1,128}$")
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class ResponseHeadersMiddleware:
    """Stamp every response with `X-Request-ID`, `X-Process-Time` and the security headers.

    One layer instead of three: each ASGI wrapper costs a few microseconds on every request.
    The request id is a well-formed client `X-Request-ID` (echoed) or a fresh one, and is exposed to logs.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = _header(scope, b"x-request-id")
        # Untrusted ids that could forge log lines are replaced, not echoed.
        request_id = incoming if incoming and _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex.encode()
        token = request_id_var.set(request_id.decode())

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers.append((b"x-request-id", request_id))
                headers.append((b"x-process-time", f"{time.perf_counter() - started:.6f}".encode()))
                headers.extend(_SECURITY_HEADERS)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            request_id_var.reset(token)


class BodySizeLimitMiddleware:
    """413 problem for bodies over the limit, checked on Content-Length and again while streaming."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    def _limit(self, scope: Scope) -> int:
        content_type = _header(scope, b"content-type") or b""
        # Multipart is how files arrive: it gets the (larger) upload limit.
        return self.max_upload_bytes if content_type.startswith(b"multipart/") else self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_too_large(scope, send, limit)
            return
        received = 0
        started = False
        rejected = False

        async def counting_receive() -> Message:
            nonlocal received, started, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer 413 ourselves, then tell the app the client is gone so it stops reading.
                    rejected = True
                    if not started:
                        started = True
                        await _send_too_large(scope, send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, guarded_send)


async def _send_too_large(scope: Scope, send: Send, limit: int) -> None:
    body = orjson.dumps(
        {
            "type": "/problems/payload-too-large",
            "title": "Payload too large",
            "status": 413,
            "detail": f"the request body is larger than {limit} bytes",
            "instance": instance_uri(scope.get("root_path", "") + scope["path"]),
        }
    )
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
