"""HTTP requests enter at the app's own outermost middleware (impl/edge_entry.py): the same answers as through
FastAPI's whole stack, the proxy-header layer kept when configured, and FastAPI's path kept whenever its outer
layers have work (OpenTelemetry on, a `max_body_size`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from impl.app import create_app
from impl.edge_entry import EdgeFirstFastAPI, below_framework_layers
from impl.middleware import EdgeMiddleware
from tests.databases import make_settings, migrate

# Per request, not per path: the values of these differ between any two answers.
_PER_REQUEST = {"x-request-id", "x-process-time", "date"}


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    migrate(url, "head")
    yield url


async def _answers(app: FastAPI, requests: list[tuple[str, str]]) -> list[tuple[int, bytes, list[tuple[str, str]]]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answers = []
        for method, path in requests:
            response = await client.request(method, path)
            headers = sorted((k, v) for k, v in response.headers.items() if k not in _PER_REQUEST)
            answers.append((response.status_code, response.content, headers))
        return answers


def _entry(app: FastAPI) -> ASGIApp | None:
    assert isinstance(app, EdgeFirstFastAPI)
    return app._http_entry


async def test_requests_get_the_same_answers_as_through_fastapis_whole_stack(database_url: str) -> None:
    requests = [
        ("GET", "/healthz"),  # a contract operation
        ("GET", "/items/999999"),  # its 404 problem
        ("PUT", "/healthz"),  # 405 with Allow
        ("GET", "/no-such-path"),  # not the contract's: the router's 404
        ("GET", "/openapi.yaml"),  # a route outside the contract
    ]
    app = create_app(make_settings(database_url))
    first = await _answers(app, requests)  # the first request builds the stack, and the entry
    assert isinstance(_entry(app), EdgeMiddleware)
    app._http_entry = None  # type: ignore[attr-defined]  # FastAPI's own path
    whole_stack = await _answers(app, requests)
    assert first == whole_stack
    assert [status for status, _, _ in first] == [200, 404, 405, 404, 200]


async def test_the_proxy_header_layer_stays_the_entry_when_configured(database_url: str) -> None:
    app = create_app(make_settings(database_url, trusted_proxies=["127.0.0.1"]))
    await _answers(app, [("GET", "/healthz")])
    assert isinstance(_entry(app), ProxyHeadersMiddleware)


async def test_with_opentelemetry_on_every_request_takes_fastapis_path(database_url: str) -> None:
    app = create_app(make_settings(database_url, opentelemetry=True))
    await _answers(app, [("GET", "/healthz")])
    assert _entry(app) is None


async def test_with_a_max_body_size_every_request_takes_fastapis_path() -> None:
    app = EdgeFirstFastAPI(max_body_size=1024)
    await _answers(app, [("GET", "/")])
    assert _entry(app) is None


def test_the_walk_passes_fastapis_outer_layers_only() -> None:
    class Unknown:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await self.app(scope, receive, send)

    stack = EdgeFirstFastAPI().build_middleware_stack()
    # Without middleware of the app's own, the first layer below FastAPI's outer three is its exception layer.
    assert type(below_framework_layers(stack)).__name__ == "ExceptionMiddleware"
    unknown = Unknown(stack)
    assert below_framework_layers(unknown) is unknown  # a layer of another kind stops the walk
