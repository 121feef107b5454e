"""A tiny FastAPI app of hand-made runtime Endpoints, for the runtime's unit tests (no generator involved)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from scripts.runtime import (
    PROBLEM_MEDIA_TYPE,
    Endpoint,
    LocationLink,
    NoBody,
    NoParameters,
    OperationInfo,
    Param,
    Parameters,
    RequestContext,
    Responder,
    build_router,
)

Handler = Callable[[RequestContext, Any, Any], Awaitable[object]]


def make_op(
    method: str = "GET",
    path: str = "/things",
    *,
    operation_id: str = "op",
    security: tuple[dict[str, tuple[str, ...]], ...] = (),
    success_status: int = 200,
    statuses: tuple[int, ...] | None = (200,),
) -> OperationInfo:
    """An operation of tag "things"; its defaults are a plain GET /things answering 200."""
    return OperationInfo(operation_id, method, path, "things", security, success_status, statuses)


class Calls:
    """A handler recording what it was called with and returning `result` (or what `make` builds)."""

    def __init__(self, result: object = None, make: Callable[[RequestContext, Any, Any], object] | None = None) -> None:
        self.seen: list[tuple[RequestContext, Any, Any]] = []
        self._result = result
        self._make = make

    async def __call__(self, ctx: RequestContext, p: Any, body: Any) -> object:
        self.seen.append((ctx, p, body))
        return self._make(ctx, p, body) if self._make is not None else self._result


def make_endpoint(
    op: OperationInfo,
    handler: Handler | None = None,
    *,
    parameters: Any = None,
    body: Any = None,
    adapter: TypeAdapter[Any] | None = None,
    location: LocationLink | None = None,
    authenticator: Any = None,
    route_path: str | None = None,
) -> Endpoint[Any, Any]:
    """An Endpoint of `op`: no parameters, no body and a recording handler unless given."""
    return Endpoint(
        op,
        handler or Calls(),
        parameters=parameters or NoParameters(),
        body=body or NoBody(),
        responder=Responder(op, adapter, location=location),
        authenticator=authenticator,
        route_path=route_path,
    )


def make_app(*endpoints: Endpoint[Any, Any]) -> FastAPI:
    """A FastAPI app serving `endpoints` through the runtime's one router."""
    app = FastAPI()
    app.include_router(build_router(endpoints))
    return app


async def send(app: FastAPI, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """The app's response to one request."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.request(method, url, **kwargs)


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem document of `response`, asserted to be `application/problem+json` with `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


class ThingParameters(BaseModel):
    """The parameters model of an operation with one parameter in each location, as the generator writes them."""

    model_config = ConfigDict(frozen=True)

    thing_id: Annotated[int, Field(ge=1)]
    limit: Annotated[int, Field(le=100)] = 10
    tags: list[str] | None = None
    x_trace: list[int] | None = None
    session: str | None = None


# The contract's `{thing-id}` is routed as `{thing_id}` (Starlette matches identifiers only), as generated.
THING_PATH, THING_ROUTE = "/things/{thing-id}", "/things/{thing_id}"
THING_PARAMETERS = Parameters(
    ThingParameters,
    (
        Param("thing_id", "path", "thing-id", "thing_id"),
        Param("limit", "query", "limit", "limit"),
        Param("tags", "query", "tag", "tag", many=True),
        Param("x_trace", "header", "X-Trace", "X-Trace", many=True),
        Param("session", "cookie", "session", "session"),
    ),
)
