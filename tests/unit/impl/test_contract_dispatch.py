"""Contract requests are answered by the generated routes straight from ContractDispatch; the rest of the app's
stack (Starlette's exception layer, the router) sees only what the contract does not serve."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from impl.contract_dispatch import ContractDispatch


class _Recording:
    """Passes every request on to `app`, remembering its path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.paths.append(scope["path"])
        await self.app(scope, receive, send)


@pytest.fixture
async def behind_dispatch(app: FastAPI, client: httpx.AsyncClient) -> _Recording:
    """What ContractDispatch hands on (the app's usual stack), recorded."""
    await client.get("/healthz")  # builds the middleware stack
    layer: Any = app.middleware_stack
    while not isinstance(layer, ContractDispatch):
        layer = layer.app  # every layer of this app's stack wraps an `app`
    recording = _Recording(layer.app)
    layer.app = recording
    return recording


async def test_contract_paths_never_reach_the_usual_stack(
    behind_dispatch: _Recording, client: httpx.AsyncClient
) -> None:
    assert (await client.get("/items?limit=1")).status_code == 200
    missing = await client.get("/items/999999")  # the contract's own 404 problem, not the router's
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    wrong_method = await client.put("/users/me")  # the contract's 405, with the path's own Allow
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "GET, PATCH"
    assert behind_dispatch.paths == []


async def test_everything_else_takes_the_usual_stack(behind_dispatch: _Recording, client: httpx.AsyncClient) -> None:
    assert (await client.get("/openapi.json")).status_code == 200
    outside = await client.get("/no-such-path")
    assert outside.status_code == 404 and outside.headers["content-type"] == "application/problem+json"
    assert behind_dispatch.paths == ["/openapi.json", "/no-such-path"]
