"""Refresh-token rotation and revocation: single use, theft detection, RFC 6749 errors, RFC 7009 revocation."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from impl.settings import DEFAULT_SCOPES
from impl.tables import refresh_tokens_table
from tests.users import ALICE, sign_up, token_response

INVALID_TOKEN = 'Bearer error="invalid_token"'


async def _login(client: httpx.AsyncClient, **extra: str) -> dict[str, str]:
    await sign_up(client, ALICE)
    response = await token_response(client, ALICE, **extra)
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


async def _refresh(client: httpx.AsyncClient, refresh_token: str, **extra: str) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    response = await client.post("/token", data=data)
    # RFC 6749 §5.1: token responses, good or bad, must never be cached.
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    return response


async def _me(client: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await client.get("/users/me", headers={"Authorization": f"Bearer {access_token}"})


def _assert_oauth_error(response: httpx.Response, error: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == error and isinstance(body["error_description"], str)
    assert "access_token" not in body and "refresh_token" not in body


async def _assert_session_ended(client: httpx.AsyncClient, access_token: str) -> None:
    response = await _me(client, access_token)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == INVALID_TOKEN


async def test_password_grant_response_is_not_cacheable(client: httpx.AsyncClient) -> None:
    await sign_up(client, ALICE)
    response = await token_response(client, ALICE)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store" and response.headers["pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    assert body["scope"] == " ".join(sorted(DEFAULT_SCOPES)) and body["refresh_token"]


async def test_refresh_token_rotates_and_the_new_tokens_work(client: httpx.AsyncClient) -> None:
    tokens = await _login(client)
    response = await _refresh(client, tokens["refresh_token"])
    assert response.status_code == 200, response.text
    rotated = response.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert rotated["access_token"] != tokens["access_token"]
    assert rotated["scope"] == tokens["scope"]
    assert (await _me(client, rotated["access_token"])).status_code == 200
    # The rotated token is itself good for exactly one more refresh.
    assert (await _refresh(client, rotated["refresh_token"])).status_code == 200


async def test_reused_refresh_token_fails_and_revokes_the_whole_session(client: httpx.AsyncClient) -> None:
    tokens = await _login(client)
    other_session = (await token_response(client, ALICE)).json()
    rotated = (await _refresh(client, tokens["refresh_token"])).json()

    _assert_oauth_error(await _refresh(client, tokens["refresh_token"]), "invalid_grant")

    # The replay reveals a theft: every token of that login dies, the thief's and the owner's alike.
    _assert_oauth_error(await _refresh(client, rotated["refresh_token"]), "invalid_grant")
    await _assert_session_ended(client, rotated["access_token"])
    await _assert_session_ended(client, tokens["access_token"])
    # Other logins of the same user are untouched.
    assert (await _me(client, other_session["access_token"])).status_code == 200
    assert (await _refresh(client, other_session["refresh_token"])).status_code == 200


async def test_refresh_token_revoked_per_rfc7009_fails(client: httpx.AsyncClient) -> None:
    tokens = await _login(client)
    revoked = await client.post("/token/revoke", data={"token": tokens["refresh_token"]})
    assert revoked.status_code == 200
    _assert_oauth_error(await _refresh(client, tokens["refresh_token"]), "invalid_grant")
    await _assert_session_ended(client, tokens["access_token"])


async def test_revoking_an_access_token_ends_its_session(client: httpx.AsyncClient) -> None:
    tokens = await _login(client)
    data = {"token": tokens["access_token"], "token_type_hint": "access_token"}
    assert (await client.post("/token/revoke", data=data)).status_code == 200
    await _assert_session_ended(client, tokens["access_token"])
    _assert_oauth_error(await _refresh(client, tokens["refresh_token"]), "invalid_grant")


@pytest.mark.parametrize("token", ["never-issued", "a.b.c", "x" * 512])
async def test_revoking_an_unknown_token_answers_200(client: httpx.AsyncClient, token: str) -> None:
    # RFC 7009 §2.2: the answer must not reveal whether the token existed.
    response = await client.post("/token/revoke", data={"token": token})
    assert response.status_code == 200


async def test_refresh_after_logout_fails(client: httpx.AsyncClient) -> None:
    tokens = await _login(client)
    logout = await client.post("/logout", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert logout.status_code == 204
    _assert_oauth_error(await _refresh(client, tokens["refresh_token"]), "invalid_grant")
    await _assert_session_ended(client, tokens["access_token"])


async def test_expired_refresh_token_fails(app: FastAPI, client: httpx.AsyncClient) -> None:
    tokens = await _login(client)
    async with app.state.database.connect() as conn:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        await conn.execute(update(refresh_tokens_table).values(expires_at=past))
        await conn.commit()
    _assert_oauth_error(await _refresh(client, tokens["refresh_token"]), "invalid_grant")


async def test_concurrent_redemptions_of_one_refresh_token_yield_at_most_one_success(
    client: httpx.AsyncClient,
) -> None:
    tokens = await _login(client)
    responses = await asyncio.gather(*(_refresh(client, tokens["refresh_token"]) for _ in range(4)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(200) <= 1 and set(statuses) <= {200, 400}, statuses
    for response in responses:
        if response.status_code == 400:
            assert response.json()["error"] == "invalid_grant"


async def test_access_token_is_not_accepted_as_a_refresh_token(client: httpx.AsyncClient) -> None:
    tokens = await _login(client)
    _assert_oauth_error(await _refresh(client, tokens["access_token"]), "invalid_grant")


async def test_refresh_with_narrower_scope_issues_a_narrower_token(client: httpx.AsyncClient) -> None:
    tokens = await _login(client)
    response = await _refresh(client, tokens["refresh_token"], scope="items:read")
    assert response.status_code == 200, response.text
    narrowed = response.json()
    assert narrowed["scope"] == "items:read"
    headers = {"Authorization": f"Bearer {narrowed['access_token']}"}
    assert (await client.get("/items", headers=headers)).status_code == 200
    write = await client.post("/items", json={"name": "x", "price": 1}, headers=headers)
    assert write.status_code == 403
    # Account operations have scopes of their own: an items-only token cannot read or change the account.
    assert (await client.get("/users/me", headers=headers)).status_code == 403
    assert write.headers["www-authenticate"] == 'Bearer error="insufficient_scope", scope="items:write"'


@pytest.mark.parametrize("scope", ["users:admin", "items:read users:admin", "items:delete"])
async def test_refresh_with_wider_scope_fails_with_invalid_scope(client: httpx.AsyncClient, scope: str) -> None:
    tokens = await _login(client, scope="items:read")
    _assert_oauth_error(await _refresh(client, tokens["refresh_token"], scope=scope), "invalid_scope")
    # Nor can a narrowed login win back a scope it gave up at sign-in.
    _assert_oauth_error(await _refresh(client, tokens["refresh_token"], scope="items:write"), "invalid_scope")


@pytest.mark.parametrize("grant_type", ["client_credentials", "authorization_code", "PASSWORD", "implicit"])
async def test_unknown_grant_type_fails_with_unsupported_grant_type(client: httpx.AsyncClient, grant_type: str) -> None:
    response = await token_response(client, ALICE, grant_type=grant_type)
    _assert_oauth_error(response, "unsupported_grant_type")


@pytest.mark.parametrize(
    "data",
    [
        {"grant_type": "password", "username": ALICE},
        {"grant_type": "password", "password": "correct horse battery staple"},
        {"grant_type": "password", "username": "", "password": ""},
        {"grant_type": "refresh_token"},
        {"grant_type": "refresh_token", "refresh_token": ""},
    ],
)
async def test_missing_fields_fail_with_invalid_request(client: httpx.AsyncClient, data: dict[str, str]) -> None:
    _assert_oauth_error(await client.post("/token", data=data), "invalid_request")
