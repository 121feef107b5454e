"""HTTP requests enter at the app's own outermost middleware, past FastAPI's outer layers when those have nothing to do.

FastAPI wraps every app's middleware in three layers of its own: Starlette's `ServerErrorMiddleware` (a 500 for an
exception nothing else handled), `ExceptionTelemetryMiddleware` (records exceptions for its OpenTelemetry support)
and `AppBodyLimitMiddleware` (its `max_body_size`). Here the edge layer (impl/middleware.py) answers every HTTP
request's exception itself with the 500 problem, OpenTelemetry is off unless `OPENTELEMETRY=true`, and no
`max_body_size` is set (the edge layer enforces the limits): for HTTP the three only cost a call each, ~2 us a
request in-process (measured). With telemetry on or a `max_body_size`, every request takes FastAPI's whole stack;
lifespan and WebSocket scopes always do. Layers are skipped by type: one this module does not know stops the walk.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send
from typing_extensions import override

# FastAPI's outer layers, by class name and module (their modules are private to FastAPI).
_SKIPPABLE = frozenset(
    {
        ("starlette.middleware.errors", "ServerErrorMiddleware"),
        ("fastapi.telemetry._asgi", "ExceptionTelemetryMiddleware"),
        ("fastapi._body_limit", "AppBodyLimitMiddleware"),
    }
)


def below_framework_layers(stack: ASGIApp) -> ASGIApp:
    """The first layer of `stack` that is not one of FastAPI's outer layers (the app's outermost middleware)."""
    layer: Any = stack
    while (type(layer).__module__, type(layer).__name__) in _SKIPPABLE and hasattr(layer, "app"):
        layer = layer.app
    return layer  # type: ignore[no-any-return]


class EdgeFirstFastAPI(FastAPI):
    """FastAPI whose HTTP requests start at the app's own middleware when FastAPI's outer layers would do nothing.

    `edge_first=False` (telemetry on), a `max_body_size` or an app-level `root_path` keep FastAPI's own path for every
    request."""

    def __init__(self, *args: Any, edge_first: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # FastAPI's deprecated app-level `root_path` is set by its own __call__: that path keeps it.
        self._edge_first = edge_first and self.max_body_size is None and not self.root_path
        self._http_entry: ASGIApp | None = None

    @override
    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        self._http_entry = below_framework_layers(stack) if self._edge_first else None
        return stack

    @override
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        entry = self._http_entry
        if entry is not None and scope["type"] == "http":
            scope["app"] = self  # what Starlette's __call__ does for a request, before its outer layers
            await entry(scope, receive, send)
            return
        await super().__call__(scope, receive, send)  # the first request builds the stack (and the entry)
