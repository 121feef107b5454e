"""`make mock` serves the contract with Prism: the contract's examples as responses, requests that break the
contract refused with 422, and credentials demanded where the contract declares security."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.contract.contract import contract
from tests.contract.live_server import free_port
from tests.contract.node_tools import make_command, node_tool
from tests.databases import REPO_ROOT

STARTUP_SECONDS = 60.0


def _stop(process: subprocess.Popen[str]) -> str:
    """End the mock's process group (make, its shell, node) and return what it printed."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    output, _ = process.communicate()
    return output


@pytest.fixture(scope="module")
def mock() -> Iterator[httpx.Client]:
    """A client of `make mock` on a free port; the server is stopped when the module's tests are done."""
    node_tool("prism")
    port = free_port()
    # A session of its own: the whole process group (make -> sh -> node) is ended at the end, and only it.
    process = subprocess.Popen(
        make_command("mock", MOCK_PORT=str(port)),
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"make mock exited with {process.returncode}:\n{_stop(process)}")
            try:
                httpx.get(f"{base_url}/healthz", timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail(f"make mock did not listen within {STARTUP_SECONDS} s:\n{_stop(process)}")
                time.sleep(0.2)
        with httpx.Client(base_url=base_url, timeout=10.0) as client:
            yield client
    finally:
        _stop(process)


def _schema_example(name: str) -> Any:
    return contract()["components"]["schemas"][name]["examples"][0]


def test_get_item_returns_the_contracts_item_example(mock: httpx.Client) -> None:
    response = mock.get("/items/42")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == _schema_example("Item")


def test_list_returns_the_media_types_example(mock: httpx.Client) -> None:
    response = mock.get("/items", params={"limit": 5})
    example = contract()["paths"]["/items"]["get"]["responses"]["200"]["content"]["application/json"]["example"]
    assert response.status_code == 200, response.text
    assert response.json() == example


def test_create_item_with_an_invalid_body_is_rejected_with_422(mock: httpx.Client) -> None:
    response = mock.post("/items", json={"price": -1}, headers={"Authorization": "Bearer any-token"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    # Prism says what it refused in `sl-violations`; the body is the contract's 422 example.
    violations = response.headers["sl-violations"]
    assert "name" in violations and "price" in violations, violations
    assert response.json()["status"] == 422


def test_an_undeclared_query_value_out_of_bounds_is_rejected(mock: httpx.Client) -> None:
    response = mock.get("/items", params={"limit": 1000})
    assert response.status_code == 422, response.text


def test_secured_operation_demands_credentials(mock: httpx.Client) -> None:
    item = _schema_example("ItemCreate")
    refused = mock.post("/items", json=item)
    assert refused.status_code == 401, refused.text
    assert (
        refused.json()
        == contract()["components"]["responses"]["Unauthorized"]["content"]["application/problem+json"]["example"]
    )
    # Prism checks that credentials of a declared scheme are present, not that they are valid.
    bearer = mock.post("/items", json=item, headers={"Authorization": "Bearer any-token"})
    assert bearer.status_code == 201, bearer.text
    assert bearer.json() == _schema_example("Item")
    cookie = mock.post("/items", json=item, headers={"Cookie": "access_token=any-session"})
    assert cookie.status_code == 201, cookie.text
    assert mock.get("/users/me").status_code == 401
    assert mock.get("/users/me", headers={"Authorization": "Basic dTpw"}).status_code == 401


def test_public_and_optional_security_need_no_credentials(mock: httpx.Client) -> None:
    # `security: []` (public) and a `{}` alternative (credentials optional) both answer without credentials.
    health = mock.get("/healthz")
    assert health.status_code == 200 and health.json() == _schema_example("Health")
    assert mock.get("/items/42").status_code == 200


def test_token_endpoint_serves_its_example_over_a_form(mock: httpx.Client) -> None:
    response = mock.post("/token", data={"grant_type": "password", "username": "alice@example.com", "password": "x"})
    assert response.status_code == 200, response.text
    assert response.json() == _schema_example("TokenResponse")
