"""The app's one pure-ASGI edge layer: request id, timing, security headers, body size limit, gzip, last-resort 500.

One layer instead of four: every ASGI wrapper costs microseconds on every request, so this one reads the
request headers once and wraps `receive`/`send` only when a request needs it (a body to count, a client that
accepts gzip).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import re
import time
from collections.abc import Iterable
from contextvars import ContextVar

from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from generated.runtime import OPERATION_ID_KEY
from impl.metrics import AppMetrics
from impl.problems import InternalError, PayloadTooLarge, ServiceUnavailable
from impl.request_timeout import Request, RequestDeadlines

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


class _RequestIds:
    """Unique request ids: a random per-process prefix and a counter (uuid4 cost 4.6 us of the layer's 12 us).

    The prefix is drawn again in every forked child, so workers forked from one parent never share ids.
    """

    def __init__(self) -> None:
        self._reseed()
        os.register_at_fork(after_in_child=self._reseed)

    def _reseed(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count(1)

    def next(self) -> bytes:
        return f"{self._prefix}-{next(self._counter):x}".encode()


_request_ids = _RequestIds()
logger = logging.getLogger(__name__)
_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._\-]{1,128}$")
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
# API responses are data, never a page to run: nothing may load, nothing may frame them. Responses that are pages
# (the docs) set a policy of their own, which is kept.
_CSP = b"content-security-policy"
_API_CSP = (_CSP, b"default-src 'none'; frame-ancestors 'none'")
# Only over https (after trusted-proxy handling): browsers ignore it over http, and it must not pin a plain-http
# development host.
_HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
GZIP_MINIMUM_SIZE = 1024
# A request cut by REQUEST_TIMEOUT_SECONDS was slow for a reason (a lock, a stalled dependency): not at once.
TIMEOUT_RETRY_AFTER_SECONDS = 5
# A request cut by the server's graceful shutdown: another instance (or this one, restarted) can take it at once.
SHUTDOWN_RETRY_AFTER_SECONDS = 1


class EdgeMiddleware:
    """Stamp every response with `X-Request-ID`, `X-Process-Time` and the security headers; 413 over the limit.

    The request id is a well-formed client `X-Request-ID` (echoed) or a fresh one, and is exposed to logs. The
    body limit is checked on Content-Length and again while streaming; the operations in `uploads` (method, path
    template) get the larger limit, whatever Content-Type the client claims. Every response gets a CSP (unless it
    set its own) and, over https, HSTS; `metrics` counts requests by operation and status. An exception nothing
    else handled becomes a logged 500 problem that still carries the headers. A request that makes no progress (no
    body chunk received, nothing sent) for `request_timeout_seconds` is cancelled: 503 + Retry-After if its response
    had not started, else its connection is closed; once the response is complete (background tasks) it is not.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_upload_bytes: int,
        uploads: Iterable[tuple[str, str]] = (),
        metrics: AppMetrics | None = None,
        request_timeout_seconds: float = 30.0,
    ) -> None:
        self.app = app
        self.request_timeout = request_timeout_seconds
        self.deadlines = RequestDeadlines(request_timeout_seconds)
        self.metrics = metrics
        # File downloads (octet-stream; images are excluded already) keep their Content-Length, ETag and ranges.
        self.gzip = GZipMiddleware(
            app,
            minimum_size=GZIP_MINIMUM_SIZE,
            exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/octet-stream"),
        )
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.uploads = tuple((method, compile_path(path)[0]) for method, path in uploads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = declared = None
        gzip = streamed = False
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                request_id = value
            elif key == b"content-length":
                declared = value
            elif key == b"accept-encoding":
                gzip = b"gzip" in value
            elif key == b"transfer-encoding":
                streamed = True
        # Untrusted ids that could forge log lines are replaced, not echoed.
        if request_id is None or not _VALID_REQUEST_ID.match(request_id):
            request_id = _request_ids.next()
        token = request_id_var.set(request_id.decode())
        https = scope.get("scheme") == "https"
        response_started = False
        metrics = self.metrics
        if metrics is not None:
            metrics.requests_in_flight += 1
        deadlines = self.deadlines
        task = deadlines.start()
        progress = deadlines.progress  # per send: a dict update, not a method call (this runs on every request)

        async def stamped_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                elapsed = time.perf_counter() - started
                if metrics is not None:
                    metrics.observe(scope.get(OPERATION_ID_KEY), message["status"], elapsed)
                headers = message.setdefault("headers", [])
                headers.append((b"x-request-id", request_id))
                headers.append((b"x-process-time", f"{elapsed:.6f}".encode()))
                for key, _ in headers:
                    if key == _CSP:
                        break
                else:
                    headers.append(_API_CSP)
                headers.extend(_SECURITY_HEADERS)
                if https:
                    headers.append(_HSTS)
            await send(message)
            if message.get("more_body") or message["type"] == "http.response.start":
                progress[task] += 1
            else:
                progress.pop(task, None)  # complete: background tasks after the response have their own bounds

        size = int(declared) if declared is not None and declared.isdigit() else None
        limit = self.max_body_bytes
        # Only a body that may pass the normal limit needs the look-up of its operation (a regex per upload route).
        if (streamed or (size is not None and size > limit)) and self._upload(scope):
            limit = self.max_upload_bytes
        app = self.gzip if gzip else self.app
        try:
            if size is not None and size > limit:
                await _too_large(scope, receive, stamped_send, limit)
            elif (declared is None and not streamed) or declared == b"0":
                await app(scope, receive, stamped_send)  # no body: nothing to count
            elif size is not None and not streamed:
                # The server delivers exactly the declared length, within the limit here: only progress to count
                # (the byte counting and 413 wrappers cost ~5 us of every POST, profiled).
                await app(scope, _progressing(receive, progress, task), stamped_send)
            else:
                await _limited(app, scope, receive, stamped_send, limit, progress, task)
        except asyncio.CancelledError:
            if not deadlines.claim(task):
                # Not ours: the server cancels what is left when its graceful shutdown times out. Say so (instead
                # of its plain-text 500), best effort since the client may be gone too, and let the cancellation go on.
                if not response_started:
                    cut = ServiceUnavailable(
                        "the server is shutting down and cut this request short; try again",
                        retry_after=SHUTDOWN_RETRY_AFTER_SECONDS,
                    )
                    with contextlib.suppress(Exception):
                        await cut.response(scope.get("root_path", "") + scope["path"])(scope, receive, stamped_send)
                raise
            await self._timed_out(scope, receive, stamped_send, response_started)
        except Exception:
            if deadlines.claim(task):  # the code the timeout cut turned its CancelledError into an error
                await self._timed_out(scope, receive, stamped_send, response_started)
                return
            logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not response_started:
                problem = InternalError("an unexpected error occurred; it has been logged")
                await problem.response(scope.get("root_path", "") + scope["path"])(scope, receive, stamped_send)
        finally:
            progress.pop(task, None)
            request_id_var.reset(token)
            if metrics is not None:
                metrics.requests_in_flight -= 1

    async def _timed_out(self, scope: Scope, receive: Receive, send: Send, response_started: bool) -> None:
        """Answer a request the timeout cancelled: 503 + Retry-After, or nothing once its response had started (the
        server then closes the connection, so the client sees a cut body, never a complete-looking one)."""
        logger.warning(
            "%s %s made no progress for %g s: cancelled", scope["method"], scope["path"], self.request_timeout
        )
        if not response_started:
            problem = ServiceUnavailable(
                f"the request made no progress for {self.request_timeout:g} s and was cancelled; try again later",
                retry_after=TIMEOUT_RETRY_AFTER_SECONDS,
            )
            await problem.response(scope.get("root_path", "") + scope["path"])(scope, receive, send)

    def _upload(self, scope: Scope) -> bool:
        """Whether the request is for an operation whose contract takes an upload."""
        method, path, root = scope["method"], scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]  # as Starlette routes: on the path below the root path
        return any(method == upload_method and pattern.match(path) for upload_method, pattern in self.uploads)


def _progressing(receive: Receive, progress: dict[Request, int], task: Request) -> Receive:
    """`receive`, with each body chunk counted as `task`'s progress (a slow body is not cut while it moves)."""

    async def counting_receive() -> Message:
        message = await receive()
        if message["type"] == "http.request" and task in progress:  # not once the response is complete
            progress[task] += 1
        return message

    return counting_receive


async def _limited(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    limit: int,
    progress: dict[Request, int],
    task: Request,
) -> None:
    """Run `app`, answering 413 (and telling the app the client left) once the body passes `limit` bytes; each
    chunk received counts as `task`'s progress (a slow upload is not cut while it moves)."""
    received = 0
    started = False
    rejected = False
    progressing = _progressing(receive, progress, task)

    async def counting_receive() -> Message:
        nonlocal received, started, rejected
        if rejected:
            return {"type": "http.disconnect"}
        message = await progressing()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                rejected = True
                if not started:
                    started = True
                    await _too_large(scope, receive, send, limit)
                return {"type": "http.disconnect"}
        return message

    async def guarded_send(message: Message) -> None:
        nonlocal started
        if rejected:
            return
        started = started or message["type"] == "http.response.start"
        await send(message)

    await app(scope, counting_receive, guarded_send)


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    problem = PayloadTooLarge(f"the request body is larger than {limit} bytes")
    await problem.response(scope.get("root_path", "") + scope["path"])(scope, receive, send)
