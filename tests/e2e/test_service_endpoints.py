"""Probes, settings, demos, docs and the cross-cutting behaviour every response shares."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace

import httpx
import pytest
import yaml
from fastapi import FastAPI

from generated import OPERATIONS, implemented_operations
from generated.protocols import UnimplementedSystemService
from impl import system
from impl.app import bind_services, create_app
from impl.docs import CONTRACT_PATH
from impl.middleware import request_id_var
from impl.settings import Settings
from impl.system import APP_VERSION, AppSystemService
from tests.databases import empty_and_close

PROBLEM = "application/problem+json"


async def test_root_says_hello(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.json() == {"message": "Hello World"}


async def test_healthz_and_readyz_are_ok_when_the_database_answers(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ok"}


async def test_readyz_is_503_problem_when_the_database_is_gone() -> None:
    broken = create_app(Settings(database_url="sqlite+aiosqlite:////nonexistent-dir/x.db", environment="test"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=broken), base_url="http://t") as other:
        response = await other.get("/readyz")
    await broken.state.database.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    assert int(response.headers["retry-after"]) >= 1


async def test_readyz_is_503_with_retry_after_when_the_database_does_not_answer_in_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:", environment="test"))

    async def hangs(_database: object) -> None:
        await asyncio.sleep(3600)

    monkeypatch.setattr(system, "ping", hangs)
    monkeypatch.setattr(system, "READINESS_TIMEOUT_SECONDS", 0.05)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as other:
        response = await other.get("/readyz")
    await app.state.database.dispose()
    assert response.status_code == 503
    assert response.json()["detail"] == "database is not reachable (TimeoutError)"
    assert int(response.headers["retry-after"]) >= 1


async def test_settings_are_public_and_never_contain_secrets(client: httpx.AsyncClient) -> None:
    response = await client.get("/settings")
    body = response.json()
    assert response.status_code == 200
    assert body["environment"] == "test" and body["max_page_size"] == 100
    assert not {"secret_key", "database_url", "redis_url"} & set(body)


@pytest.mark.parametrize(
    ("name", "message"),
    [("alexnet", "Deep Learning FTW!"), ("lenet", "LeCNN all the images"), ("resnet", "Have some residuals")],
)
async def test_models_describe_each_enum_value(client: httpx.AsyncClient, name: str, message: str) -> None:
    response = await client.get(f"/models/{name}")
    assert response.json() == {"model_name": name, "message": message}


async def test_unknown_model_is_422_listing_the_allowed_values(client: httpx.AsyncClient) -> None:
    response = await client.get("/models/vgg")
    assert response.status_code == 422
    assert "alexnet" in response.json()["errors"][0]["msg"]


async def test_unicorn_yolo_raises_the_custom_418_problem(client: httpx.AsyncClient) -> None:
    assert (await client.get("/unicorns/sparkle")).json() == {"name": "sparkle"}
    response = await client.get("/unicorns/yolo")
    assert response.status_code == 418
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "I'm a teapot"


async def test_unimplemented_operation_answers_501_problem(settings: Settings) -> None:
    # Every operation is implemented; a service deriving from its `Unimplemented...` base answers 501 for the rest.
    app = create_app(
        settings, services=lambda infra: replace(bind_services(infra), system=UnimplementedSystemService())
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        response = await client.get("/metrics")
    await empty_and_close(app, empty=False)
    assert response.status_code == 501
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == "operation getMetrics is not implemented"


async def test_unknown_path_is_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


async def test_wrong_method_is_405_with_every_allowed_method(client: httpx.AsyncClient) -> None:
    response = await client.post("/items/1")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["allow"] == "DELETE, GET, PATCH, PUT"


async def test_every_response_carries_request_id_timing_and_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    again = await client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{16}-[0-9a-f]+", response.headers["x-request-id"])
    assert again.headers["x-request-id"] != response.headers["x-request-id"]
    assert float(response.headers["x-process-time"]) >= 0
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_valid_request_id_is_echoed_and_forged_one_is_replaced(client: httpx.AsyncClient) -> None:
    assert (await client.get("/", headers={"X-Request-ID": "abc-123"})).headers["x-request-id"] == "abc-123"
    forged = await client.get("/", headers={"X-Request-ID": "evil\tid"})
    assert forged.headers["x-request-id"] != "evil\tid"


async def test_large_responses_are_gzipped_when_accepted(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"


async def test_contract_is_served_verbatim_as_yaml_and_json(client: httpx.AsyncClient) -> None:
    as_yaml = await client.get("/openapi.yaml")
    as_json = await client.get("/openapi.json")
    assert as_yaml.content == CONTRACT_PATH.read_bytes()
    assert as_json.json() == yaml.safe_load(CONTRACT_PATH.read_bytes())


@pytest.mark.parametrize(("page", "asset"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")])
async def test_docs_pages_load_their_assets_locally(client: httpx.AsyncClient, page: str, asset: str) -> None:
    html = (await client.get(page)).text
    assert f"/docs-assets/{asset}" in html and "cdn." not in html
    assert (await client.get(f"/docs-assets/{asset}")).status_code == 200


async def test_unexpected_error_is_500_problem_without_traceback(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    async def explode(self: object, ctx: object) -> None:
        raise RuntimeError("secret internal detail")

    class RequestIds(logging.Handler):
        """Which request id was current when each error was logged."""

        def __init__(self) -> None:
            super().__init__(logging.ERROR)
            self.seen: list[str | None] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.seen.append(request_id_var.get())

    monkeypatch.setattr(AppSystemService, "read_root", explode)
    logged = RequestIds()
    logging.getLogger().addHandler(logged)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/", headers={"X-Request-ID": "req-500"})
    finally:
        logging.getLogger().removeHandler(logged)
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["title"] == "Internal Server Error" and body["instance"] == "/"
    assert "secret internal detail" not in response.text and "Traceback" not in response.text
    # A 500 is still a response of this service: request id, timing and security headers, and a log line with the id.
    assert response.headers["x-request-id"] == "req-500"
    assert "x-process-time" in response.headers and response.headers["x-content-type-options"] == "nosniff"
    assert logged.seen == ["req-500"]


def test_the_app_version_is_the_contracts_version() -> None:
    # Breaking contract changes bump the version (make contract-diff enforces it); the app must say the same.
    assert yaml.safe_load(CONTRACT_PATH.read_text())["info"]["version"] == APP_VERSION


def test_every_operation_of_the_contract_is_implemented(app: FastAPI) -> None:
    # No operation answers 501: every method of every generated Protocol is bound to a real implementation.
    implemented = {op.operation_id for op in implemented_operations(app.state.services)}
    assert implemented == {op.operation_id for op in OPERATIONS}
