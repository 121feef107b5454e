"""A login's absolute lifetime through the HTTP API: refreshing works until the session's expiry and never moves it;
past it the refresh grant is `invalid_grant` and the access tokens and cookie naming it are refused, like a revoked
session's; no token is issued for longer than the session has left; the sweep then deletes it. SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from impl.app import create_app
from impl.housekeeping import Housekeeper
from impl.security.authenticator import SESSION_COOKIE
from impl.tables import refresh_tokens_table as _refresh
from impl.tables import sessions_table as _sessions
from tests.databases import empty_and_close, make_settings
from tests.users import ALICE, PASSWORD, sign_up, token_response

INVALID_TOKEN = 'Bearer error="invalid_token"'
MAX_AGE = 120  # seconds: a deployment that wants logins short


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _refresh_grant(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post("/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token})


async def _me(client: httpx.AsyncClient, access_token: str | None = None) -> httpx.Response:
    headers = {} if access_token is None else {"Authorization": f"Bearer {access_token}"}
    return await client.get("/users/me", headers=headers)


async def _session_expiry(app: FastAPI) -> dt.datetime:
    async with app.state.database.connect() as conn:
        expiry: dt.datetime = (await conn.execute(select(_sessions.c.expires_at))).scalar_one()
    return expiry


async def _expire_sessions(app: FastAPI, at: dt.datetime) -> None:
    """What time does to every session: moved here by moving their expiry, not the clock."""
    async with app.state.database.connect() as conn:
        await conn.execute(update(_sessions).values(expires_at=at))
        await conn.commit()


async def test_past_its_expiry_a_session_can_neither_refresh_nor_authenticate(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await sign_up(client, ALICE)
    login = (await token_response(client, ALICE)).json()
    expiry = await _session_expiry(app)
    # Refreshing works and does not move the session's end.
    rotated = (await _refresh_grant(client, login["refresh_token"])).json()
    assert (await _me(client, rotated["access_token"])).status_code == 200
    assert await _session_expiry(app) == expiry

    await _expire_sessions(app, _now() - dt.timedelta(seconds=1))
    refused = await _refresh_grant(client, rotated["refresh_token"])
    assert refused.status_code == 400 and refused.headers["cache-control"] == "no-store"
    assert refused.json() == {"error": "invalid_grant", "error_description": "the session has expired"}
    # The access token itself has not reached its `exp`: the session's end is what refuses it, as revocation does.
    for access_token in (login["access_token"], rotated["access_token"]):
        me = await _me(client, access_token)
        assert me.status_code == 401 and me.headers["www-authenticate"] == INVALID_TOKEN
        assert me.json()["detail"] == "this session has expired"
    # A new login is a new session.
    fresh = (await token_response(client, ALICE)).json()
    assert (await _me(client, fresh["access_token"])).status_code == 200


async def test_an_expired_cookie_session_counts_as_ended(app: FastAPI, client: httpx.AsyncClient) -> None:
    await sign_up(client, ALICE)
    assert (await client.post("/login", data={"username": ALICE, "password": PASSWORD})).status_code == 204
    assert (await _me(client)).status_code == 200
    await _expire_sessions(app, _now() - dt.timedelta(seconds=1))
    assert (await _me(client)).status_code == 401
    # Where anonymous access is allowed, the stale cookie is no credential (as a revoked session's): logout clears it.
    assert (await client.post("/logout")).status_code == 204
    assert SESSION_COOKIE not in client.cookies


@pytest.fixture
async def short_logins(database_url: str) -> AsyncIterator[FastAPI]:
    """An app whose sessions last MAX_AGE seconds, less than any token's own lifetime."""
    application = create_app(make_settings(database_url, session_max_age_seconds=MAX_AGE))
    yield application
    await empty_and_close(application)


async def test_no_token_outlives_its_session(short_logins: FastAPI) -> None:
    app = short_logins
    settings = app.state.settings
    assert MAX_AGE < min(settings.access_token_ttl_seconds, settings.refresh_token_ttl_seconds)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        await sign_up(client, ALICE)
        before = _now()
        login = (await token_response(client, ALICE)).json()
        rotated = (await _refresh_grant(client, login["refresh_token"])).json()
        expiry = await _session_expiry(app)
        assert before + dt.timedelta(seconds=MAX_AGE) <= expiry <= _now() + dt.timedelta(seconds=MAX_AGE)
        # `expires_in` tells the client the truth: the session's end, not ACCESS_TOKEN_TTL_SECONDS.
        assert 0 < rotated["expires_in"] <= login["expires_in"] <= MAX_AGE
        async with app.state.database.connect() as conn:
            latest = (await conn.execute(select(func.max(_refresh.c.expires_at)))).scalar_one()
        assert latest == expiry
        # The browser session's cookie ends with it too.
        cookie_login = await client.post("/login", data={"username": ALICE, "password": PASSWORD})
        assert cookie_login.status_code == 204
        max_ages = [
            int(part.split("=")[1])
            for header in cookie_login.headers.get_list("set-cookie")
            for part in header.split("; ")
            if part.lower().startswith("max-age=")
        ]
        assert len(max_ages) == 2 and all(0 < max_age <= MAX_AGE for max_age in max_ages)


async def test_the_sweep_deletes_an_expired_family_after_the_grace(app: FastAPI, client: httpx.AsyncClient) -> None:
    await sign_up(client, ALICE)
    login = (await token_response(client, ALICE)).json()
    await _refresh_grant(client, login["refresh_token"])
    grace = app.state.settings.housekeeping_grace_seconds
    sweeper = Housekeeper(app.state.database, app.state.settings)
    await _expire_sessions(app, _now() - dt.timedelta(seconds=grace - 60))
    assert (await sweeper.sweep_once()).deleted["sessions"] == 0
    await _expire_sessions(app, _now() - dt.timedelta(seconds=grace + 1))
    deleted = (await sweeper.sweep_once()).deleted
    assert (deleted["sessions"], deleted["refresh_tokens"]) == (1, 2)
    # Gone, and still refused: a missing session is refused like an ended one.
    assert (await _refresh_grant(client, login["refresh_token"])).json()["error"] == "invalid_grant"
    assert (await _me(client, login["access_token"])).status_code == 401
