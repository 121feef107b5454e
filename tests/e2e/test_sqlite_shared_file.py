"""Two app instances on one SQLite file (two workers of `make run`, say): whatever one of them changes about an
account or a session is enforced by the other at its very next request, as within one instance.

Before each change the token or cookie is accepted twice by the instance that checks it afterwards, so anything
that instance kept from its earlier reads (a verified token, an account read) would answer 200 instead of 401/403.
PostgreSQL's counterpart, two instances behind HAProxy: tests/e2e/test_scale_out.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from generated.security import SCOPE_ITEMS_WRITE
from impl.app import create_app
from impl.security.authenticator import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from impl.settings import DEFAULT_SCOPES
from tests.databases import empty_and_close, make_settings, migrate
from tests.users import ADMIN, ALICE, PASSWORD, get_token, grant_admin, sign_up, token_response

ITEM = {"name": "lamp", "price": 10.0}


@pytest.fixture(scope="module")
def shared_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('shared')) / 'shared.db'}"
    migrate(url, "head")
    return url


@pytest.fixture(params=["same instance", "other instance"])
async def instances(request: pytest.FixtureRequest, shared_file: str) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    """(where changes are made, where they are checked): one app twice, or two apps on the same file."""
    first = create_app(make_settings(shared_file))
    second = first if request.param == "same instance" else create_app(make_settings(shared_file))
    yield first, second
    if second is not first:
        await empty_and_close(second, empty=False)
    await empty_and_close(first)


@pytest.fixture
async def clients(instances: tuple[FastAPI, FastAPI]) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """A client of each: (the instance changes are made on, the one they are checked on)."""
    async with AsyncExitStack() as stack:
        a, b = [
            await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
            )
            for app in instances
        ]
        yield a, b


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _accepted_twice(check: Callable[[], Awaitable[httpx.Response]], status: int = 200) -> None:
    for _ in range(2):
        response = await check()
        assert response.status_code == status, response.text


async def _admin_token(app: FastAPI, client: httpx.AsyncClient) -> str:
    await sign_up(client, ADMIN)
    await grant_admin(app, ADMIN)
    return await get_token(client, ADMIN)


async def test_revocation_logout_and_deletion_are_enforced_at_the_next_request(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = clients
    user_id = (await sign_up(a, ALICE))["id"]

    # Refresh-token revocation (RFC 7009) ends the session its access token belongs to.
    tokens = (await token_response(a, ALICE)).json()
    await _accepted_twice(lambda: b.get("/users/me", headers=_bearer(tokens["access_token"])))
    assert (await a.post("/token/revoke", data={"token": tokens["refresh_token"]})).status_code == 200
    assert (await b.get("/users/me", headers=_bearer(tokens["access_token"]))).status_code == 401

    # Browser logout.
    login = await a.post("/login", data={"username": ALICE, "password": PASSWORD})
    assert login.status_code == 204, login.text
    session, csrf = login.cookies[SESSION_COOKIE], login.cookies[CSRF_COOKIE]
    a.cookies.clear()
    cookies = {"Cookie": f"{SESSION_COOKIE}={session}; {CSRF_COOKIE}={csrf}"}
    await _accepted_twice(lambda: b.get("/users/me", headers=cookies))
    assert (await a.post("/logout", headers={**cookies, CSRF_HEADER: csrf})).status_code == 204
    a.cookies.clear()
    assert (await b.get("/users/me", headers=cookies)).status_code == 401

    # Account deletion.
    token = await get_token(a, ALICE)
    await _accepted_twice(lambda: b.get("/users/me", headers=_bearer(token)))
    deletion = await a.request(
        "DELETE", f"/users/{user_id}", json={"current_password": PASSWORD}, headers=_bearer(token)
    )
    assert deletion.status_code == 204, deletion.text
    assert (await b.get("/users/me", headers=_bearer(token))).status_code == 401


async def test_an_administrators_changes_to_an_account_are_enforced_at_the_next_request(
    instances: tuple[FastAPI, FastAPI], clients: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    a, b = clients
    admin = _bearer(await _admin_token(instances[0], a))
    user_id = (await sign_up(a, ALICE))["id"]
    token = _bearer(await get_token(a, ALICE))

    # A scope taken away: the token still names it, the account no longer grants it.
    await _accepted_twice(lambda: b.post("/items", json=ITEM, headers=token), 201)
    scopes = await a.patch(
        f"/users/{user_id}", json={"scopes": sorted(set(DEFAULT_SCOPES) - {SCOPE_ITEMS_WRITE})}, headers=admin
    )
    assert scopes.status_code == 200, scopes.text
    assert (await b.post("/items", json=ITEM, headers=token)).status_code == 403

    # The account deactivated.
    await _accepted_twice(lambda: b.get("/users/me", headers=token))
    deactivated = await a.patch(f"/users/{user_id}", json={"is_active": False}, headers=admin)
    assert deactivated.status_code == 200, deactivated.text
    assert (await b.get("/users/me", headers=token)).status_code == 401
