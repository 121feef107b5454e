"""Every operation whose contract requires credentials refuses requests without them, and bad ones, with 401.

Schemathesis' ignored_auth covers the session cookie; this covers the bearer scheme for every operation,
implemented or not (authentication runs before the service is even looked up).
"""

from __future__ import annotations

import httpx
import pytest

from generated import OPERATIONS
from generated.runtime import OperationInfo

SECURED = [op for op in OPERATIONS if op.security and all(alternative for alternative in op.security)]
PATH_VALUES = {"item_id": "1", "user_id": "1", "file_id": "6f1d3f8e-3a7a-4b8e-9a5e-3e1f1f1f1f1f"}


def _url(op: OperationInfo) -> str:
    url = op.path
    for name, value in PATH_VALUES.items():
        url = url.replace("{" + name + "}", value)
    return url


def test_the_contract_has_secured_operations_to_check() -> None:
    assert {"createItem", "listUsers", "readCurrentUser", "deleteUser"} <= {op.operation_id for op in SECURED}


@pytest.mark.parametrize("op", SECURED, ids=[op.operation_id for op in SECURED])
async def test_secured_operation_without_credentials_is_401(client: httpx.AsyncClient, op: OperationInfo) -> None:
    response = await client.request(op.method, _url(op), json={})
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("op", SECURED, ids=[op.operation_id for op in SECURED])
async def test_secured_operation_with_a_forged_token_is_401(client: httpx.AsyncClient, op: OperationInfo) -> None:
    headers = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.forged"}
    response = await client.request(op.method, _url(op), json={}, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_optional_auth_operation_serves_anonymous_callers(client: httpx.AsyncClient) -> None:
    assert (await client.get("/items")).status_code == 200
