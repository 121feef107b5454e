"""Two app instances on one SQLite file (two workers of `make run`, say): whatever one of them changes about an
account or a session is enforced by the other within the bound impl/security/account_cache.py promises, and within
one instance at the very next request.

Before each change the token or cookie is accepted twice by the instance that checks it afterwards, so what that
instance kept from its earlier reads (a verified token, the account and session it checked) would answer 200
instead of 401/403. Where the cache is on, its clock stands still unless the test moves it: an entry never expires
by itself, so only what each mode relies on can make the instance see the change:
- one instance: its own commit drops its entries (the next request is refused);
- two instances with Redis: the other instance's message drops them (refused within a few milliseconds);
- two instances without Redis: nothing tells the checking instance, and refusing takes ACCOUNT_CACHE_SECONDS
  (its clock is moved on by that much, not one microsecond more);
- two instances with ACCOUNT_CACHE_SECONDS=0: nothing is kept (the next request is refused).
PostgreSQL's counterpart, two instances behind HAProxy and Redis: tests/e2e/test_scale_out.py.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from generated.security import SCOPE_ITEMS_WRITE
from impl.app import create_app
from impl.security.authenticator import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from impl.settings import DEFAULT_SCOPES
from tests.clocks import ManualClock
from tests.databases import empty_tables, make_settings, migrate
from tests.redis_server import RedisProcess
from tests.users import ADMIN, ALICE, PASSWORD, get_token, grant_admin, sign_up, token_response

ITEM = {"name": "lamp", "price": 10.0}
NEW_PASSWORD = "another long passphrase 42"


@pytest.fixture(scope="module")
def shared_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('shared')) / 'shared.db'}"
    migrate(url, "head")
    return url


# How long a change may take to travel through Redis to the other instance before the test fails.
RELAY_BOUND_SECONDS = 5.0
MODES = ("one instance", "other instance, Redis", "other instance, no Redis", "other instance, no cache")


@dataclass
class Instances:
    """Where changes are made (`a`) and where they are checked (`b`), and how `b` learns of them."""

    apps: tuple[FastAPI, FastAPI]
    a: httpx.AsyncClient
    b: httpx.AsyncClient
    mode: str
    clock: ManualClock

    async def refuses(self, check: Callable[[], Awaitable[httpx.Response]], status: int = 401) -> None:
        """`check` (a request to `b`) is refused with `status` as soon as this mode promises."""
        if self.mode == "other instance, no Redis":
            self.clock.now += self.apps[1].state.settings.account_cache_seconds
        deadline = time.monotonic() + (RELAY_BOUND_SECONDS if self.mode == "other instance, Redis" else 0)
        while (response := await check()).status_code != status and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        assert response.status_code == status, f"{self.mode}: {response.status_code} {response.text}"


@pytest.fixture(params=MODES)
async def instances(request: pytest.FixtureRequest, shared_file: str) -> AsyncIterator[Instances]:
    """One app twice, or two apps on the same file, in one of the MODES; lifespans run (Redis listeners start)."""
    mode: str = request.param
    overrides: dict[str, object] = {}
    if mode == "other instance, Redis":
        redis: RedisProcess = request.getfixturevalue("private_redis")
        overrides = {"redis_url": redis.url, "account_changes_channel": f"test-accounts:{uuid.uuid4().hex}"}
    elif mode == "other instance, no cache":
        overrides = {"account_cache_seconds": 0}
    first = create_app(make_settings(shared_file, **overrides))
    second = first if mode == "one instance" else create_app(make_settings(shared_file, **overrides))
    clock = ManualClock()
    async with AsyncExitStack() as stack:
        clients = []
        for app in dict.fromkeys((first, second)):
            app.state.account_states.clock = clock
            await stack.enter_async_context(app.router.lifespan_context(app))
        for app in (first, second):
            transport = httpx.ASGITransport(app=app)
            clients.append(
                await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
            )
        yield Instances((first, second), clients[0], clients[1], mode, clock)
        await empty_tables(first)


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


async def test_revocation_logout_and_deletion_are_enforced(instances: Instances) -> None:
    a, b = instances.a, instances.b
    user_id = (await sign_up(a, ALICE))["id"]

    # Refresh-token revocation (RFC 7009) ends the session its access token belongs to.
    tokens = (await token_response(a, ALICE)).json()
    await _accepted_twice(lambda: b.get("/users/me", headers=_bearer(tokens["access_token"])))
    assert (await a.post("/token/revoke", data={"token": tokens["refresh_token"]})).status_code == 200
    await instances.refuses(lambda: b.get("/users/me", headers=_bearer(tokens["access_token"])))

    # Browser logout.
    login = await a.post("/login", data={"username": ALICE, "password": PASSWORD})
    assert login.status_code == 204, login.text
    session, csrf = login.cookies[SESSION_COOKIE], login.cookies[CSRF_COOKIE]
    a.cookies.clear()
    cookies = {"Cookie": f"{SESSION_COOKIE}={session}; {CSRF_COOKIE}={csrf}"}
    await _accepted_twice(lambda: b.get("/users/me", headers=cookies))
    assert (await a.post("/logout", headers={**cookies, CSRF_HEADER: csrf})).status_code == 204
    a.cookies.clear()
    await instances.refuses(lambda: b.get("/users/me", headers=cookies))

    # A new password ends every other session of the account.
    other, changer = await get_token(a, ALICE), await get_token(a, ALICE)
    await _accepted_twice(lambda: b.get("/users/me", headers=_bearer(other)))
    changed = await a.patch(
        "/users/me", json={"password": NEW_PASSWORD, "current_password": PASSWORD}, headers=_bearer(changer)
    )
    assert changed.status_code == 200, changed.text
    await instances.refuses(lambda: b.get("/users/me", headers=_bearer(other)))
    assert (await b.get("/users/me", headers=_bearer(changer))).status_code == 200

    # Account deletion.
    token = await get_token(a, ALICE, password=NEW_PASSWORD)
    await _accepted_twice(lambda: b.get("/users/me", headers=_bearer(token)))
    deletion = await a.request(
        "DELETE", f"/users/{user_id}", json={"current_password": NEW_PASSWORD}, headers=_bearer(token)
    )
    assert deletion.status_code == 204, deletion.text
    await instances.refuses(lambda: b.get("/users/me", headers=_bearer(token)))


async def test_an_administrators_changes_to_an_account_are_enforced(instances: Instances) -> None:
    a, b = instances.a, instances.b
    admin = _bearer(await _admin_token(instances.apps[0], a))
    user_id = (await sign_up(a, ALICE))["id"]
    token = _bearer(await get_token(a, ALICE))

    # A scope taken away: the token still names it, the account no longer grants it.
    await _accepted_twice(lambda: b.post("/items", json=ITEM, headers=token), 201)
    scopes = await a.patch(
        f"/users/{user_id}", json={"scopes": sorted(set(DEFAULT_SCOPES) - {SCOPE_ITEMS_WRITE})}, headers=admin
    )
    assert scopes.status_code == 200, scopes.text
    await instances.refuses(lambda: b.post("/items", json=ITEM, headers=token), 403)

    # The account deactivated.
    await _accepted_twice(lambda: b.get("/users/me", headers=token))
    deactivated = await a.patch(f"/users/{user_id}", json={"is_active": False}, headers=admin)
    assert deactivated.status_code == 200, deactivated.text
    await instances.refuses(lambda: b.get("/users/me", headers=token))
