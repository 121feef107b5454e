"""Unit tests of scripts/runtime as source (dispatch, routing, problems, authentication) and of its copies."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter
from starlette.requests import Request
from starlette.routing import Match, Route

from scripts.generate import generate
from scripts.runtime import (
    ContractRoutes,
    NotImplementedOperation,
    OperationInfo,
    PathEndpoint,
    Principal,
    ProblemError,
    RequestContext,
    build_router,
    route_order,
)
from tests.generator.helpers import REPO
from tests.generator.runtime_app import (
    THING_PARAMETERS,
    THING_PATH,
    THING_ROUTE,
    Calls,
    make_app,
    make_endpoint,
    make_op,
    problem_of,
    send,
)

RUNTIME = REPO / "scripts" / "runtime"


# Routing: methods, order, errors


async def test_unknown_method_returns_405_with_allow_of_exactly_the_paths_methods() -> None:
    app = make_app(
        make_endpoint(make_op("GET", "/things")),
        make_endpoint(make_op("POST", "/things")),
        make_endpoint(make_op("DELETE", "/things/{id}")),
    )
    response = await send(app, "DELETE", "/things")
    problem = problem_of(response, 405)
    assert response.headers["allow"] == "GET, POST"
    assert (problem["type"], problem["instance"]) == ("/problems/method-not-allowed", "/things")
    assert (await send(app, "PUT", "/things/1")).headers["allow"] == "DELETE"


def test_build_router_has_one_route_per_path_literal_paths_before_templated_ones() -> None:
    endpoints = [
        make_endpoint(make_op("GET", "/things/{id}")),
        make_endpoint(make_op("DELETE", "/things/{id}")),
        make_endpoint(make_op("GET", "/things/{id}/parts/{part}")),
        make_endpoint(make_op("GET", "/things/{id}/parts/main")),
        make_endpoint(make_op("GET", "/things/mine")),
        make_endpoint(make_op("GET", "/things")),
    ]
    routes = build_router(endpoints).routes
    assert all(isinstance(r, Route) and isinstance(r.endpoint, PathEndpoint) for r in routes)
    assert [r.path for r in routes if isinstance(r, Route)] == [
        "/things",
        "/things/mine",
        "/things/{id}",
        "/things/{id}/parts/main",
        "/things/{id}/parts/{part}",
    ]
    by_path = {r.path: r.endpoint for r in routes if isinstance(r, Route)}
    assert [op.method for op in by_path["/things/{id}"].operations] == ["DELETE", "GET"]


async def test_literal_path_is_served_by_its_own_endpoint_not_the_templated_one() -> None:
    mine, one = Calls({"who": "mine"}), Calls({"who": "one"})
    adapter = TypeAdapter(dict[str, str])
    app = make_app(
        make_endpoint(make_op("GET", "/things/{id}", operation_id="one"), one, adapter=adapter),
        make_endpoint(make_op("GET", "/things/mine", operation_id="mine"), mine, adapter=adapter),
    )
    assert (await send(app, "GET", "/things/mine")).json() == {"who": "mine"}
    assert (await send(app, "GET", "/things/7")).json() == {"who": "one"}


def test_route_order_key_sorts_literal_segments_before_templates() -> None:
    paths = ["/a/{x}/c", "/a/{x}", "/a/b/{y}", "/a/b", "/{t}/b"]
    assert sorted(paths, key=route_order) == ["/a/b", "/a/b/{y}", "/a/{x}", "/a/{x}/c", "/{t}/b"]


async def test_not_implemented_operation_returns_501_problem_with_instance() -> None:
    async def unimplemented(ctx: RequestContext, p: None, body: None) -> object:
        raise NotImplementedOperation(ctx.operation.operation_id)

    app = make_app(make_endpoint(make_op(path="/things/{id}", operation_id="getThing"), unimplemented))
    response = await send(app, "GET", "/things/a b")
    assert problem_of(response, 501) == {
        "type": "about:blank",
        "title": "Not Implemented",
        "status": 501,
        "detail": "operation getThing is not implemented",
        "instance": "/things/a%20b",
    }


class _Teapot(ProblemError):
    status, type, title = 418, "/problems/teapot", "I'm a teapot"


async def test_problem_error_raised_by_a_handler_is_rendered_with_extensions_and_headers() -> None:
    async def brew(ctx: RequestContext, p: None, body: None) -> object:
        raise _Teapot("short and stout", headers={"Retry-After": "5"}, spout="left", cups=[1, 2])

    response = await send(make_app(make_endpoint(make_op(), brew)), "GET", "/things")
    assert problem_of(response, 418) == {
        "type": "/problems/teapot",
        "title": "I'm a teapot",
        "status": 418,
        "detail": "short and stout",
        "instance": "/things",
        "spout": "left",
        "cups": [1, 2],
    }
    assert response.headers["retry-after"] == "5"


async def test_other_exceptions_of_a_handler_propagate_to_the_app() -> None:
    async def boom(ctx: RequestContext, p: None, body: None) -> object:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await send(make_app(make_endpoint(make_op(), boom)), "GET", "/things")


# Authentication


class _Authenticator:
    def __init__(self) -> None:
        self.seen: list[OperationInfo] = []

    async def __call__(self, request: Request, operation: OperationInfo) -> Principal | None:
        self.seen.append(operation)
        if "authorization" not in request.headers:
            raise _Unauthorized("no credentials", headers={"WWW-Authenticate": "Bearer"})
        return Principal("u1", frozenset({"things:read"}))


class _Unauthorized(ProblemError):
    status, type, title = 401, "/problems/unauthorized", "Unauthorized"


async def test_authenticator_runs_before_validation_and_gives_the_principal_to_the_context() -> None:
    auth, calls = _Authenticator(), Calls()
    secured = make_op(path=THING_PATH, security=({"bearer": ("things:read",)},))
    app = make_app(
        make_endpoint(secured, calls, parameters=THING_PARAMETERS, authenticator=auth, route_path=THING_ROUTE)
    )
    response = await send(app, "GET", "/things/0")
    assert problem_of(response, 401)["detail"] == "no credentials"  # not 422: nothing is validated for strangers
    assert response.headers["www-authenticate"] == "Bearer"
    assert (await send(app, "GET", "/things/3", headers={"authorization": "Bearer t"})).status_code == 200
    assert calls.seen[0][0].principal == Principal("u1", frozenset({"things:read"}))
    assert auth.seen == [secured, secured]


async def test_operation_without_security_never_calls_the_authenticator() -> None:
    auth, calls = _Authenticator(), Calls()
    app = make_app(make_endpoint(make_op(), calls, authenticator=auth))
    assert (await send(app, "GET", "/things")).status_code == 200
    assert auth.seen == [] and calls.seen[0][0].principal is None


async def test_context_knows_the_client_address_and_scheme() -> None:
    calls = Calls()
    app = make_app(make_endpoint(make_op(), calls))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("10.0.0.7", 1234)), base_url="https://test"
    ) as client:
        assert (await client.get("/things")).status_code == 200
    ctx = calls.seen[0][0]
    assert (ctx.client_host, ctx.secure, ctx.operation.operation_id) == ("10.0.0.7", True, "op")


# The runtime as copied into every generated package


def _python_files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.py"))}


def test_generated_package_runtime_is_a_byte_for_byte_copy_of_scripts_runtime(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n")
    generate(spec, tmp_path / "pkg")
    copied = tmp_path / "pkg" / "runtime"
    assert sorted(p.name for p in copied.iterdir()) == sorted(_python_files(RUNTIME))
    assert _python_files(copied) == _python_files(RUNTIME)


def test_repo_generated_runtime_is_a_byte_for_byte_copy_of_scripts_runtime() -> None:
    copied, source = _python_files(REPO / "generated" / "runtime"), _python_files(RUNTIME)
    differing = sorted(name for name in copied.keys() | source.keys() if copied.get(name) != source.get(name))
    assert not differing, f"generated/runtime/ differs from scripts/runtime/ in {differing}: run `make generate`"


def test_runtime_imports_only_itself_and_libraries_never_the_generator_or_impl() -> None:
    for path in RUNTIME.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            assert not any(n.split(".")[0] in {"scripts", "impl", "generated", "tests"} for n in names), path


async def test_contract_routes_table_routes_like_the_plain_routes() -> None:
    # The impl app mounts the generated routes as one table; it must route exactly as the plain routes do.
    who = TypeAdapter(dict[str, str])
    endpoints = [
        make_endpoint(make_op("GET", "/things/{id}", operation_id="one"), Calls({"who": "one"}), adapter=who),
        make_endpoint(make_op("GET", "/things/mine", operation_id="mine"), Calls({"who": "mine"}), adapter=who),
        make_endpoint(make_op("POST", "/things", operation_id="add"), Calls({"who": "add"}), adapter=who),
        make_endpoint(
            make_op("GET", "/things/{id}/parts/{part}", operation_id="part"), Calls({"who": "p"}), adapter=who
        ),
    ]
    app = FastAPI()
    app.router.routes.append(ContractRoutes(build_router(endpoints).routes))
    assert (await send(app, "GET", "/things/mine")).json() == {"who": "mine"}
    assert (await send(app, "GET", "/things/7")).json() == {"who": "one"}
    assert (await send(app, "GET", "/things/7/parts/x")).json() == {"who": "p"}
    assert (await send(app, "POST", "/things")).json() == {"who": "add"}
    assert (await send(app, "GET", "/things")).headers["allow"] == "POST"
    assert (await send(app, "GET", "/nothing")).status_code == 404
    assert (await send(app, "GET", "/things/7/parts")).status_code == 404


def test_contract_routes_passes_path_parameters_and_ignores_the_root_path() -> None:
    endpoints = [make_endpoint(make_op("GET", "/things/{id}")), make_endpoint(make_op("GET", "/things"))]
    table = ContractRoutes(build_router(endpoints).routes)
    match, child = table.matches({"type": "http", "path": "/api/things/42", "root_path": "/api", "method": "GET"})
    assert match is Match.FULL
    assert child["path_params"] == {"id": "42"}
    assert isinstance(child["endpoint"], PathEndpoint) and child["endpoint"].path == "/things/{id}"
    assert table.matches({"type": "websocket", "path": "/things", "method": "GET"})[0] is Match.NONE
