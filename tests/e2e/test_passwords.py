"""Passwords and logins: argon2id storage, rehash, policy, no user enumeration, brute-force limits, cookie CSRF."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http.cookies import SimpleCookie

import httpx
import pytest
from fastapi import FastAPI

from impl.app import create_app
from tests.databases import empty_and_close, make_settings
from tests.users import ALICE, BOB, PASSWORD, get_token, sign_up, stored_hash, token_response

PROBLEM = "application/problem+json"
WRONG = "not the right password"
UNKNOWN = "nobody@example.com"
# Headers that differ between any two responses, whatever the outcome.
PER_RESPONSE_HEADERS = {"x-request-id", "x-process-time", "date"}


@asynccontextmanager
async def _app_with(database_url: str, *, owns_rows: bool = True, **overrides: object) -> AsyncIterator[FastAPI]:
    """An app on the test database with other settings; empties the tables afterwards when it `owns_rows`."""
    app = create_app(make_settings(database_url, **overrides))
    try:
        yield app
    finally:
        await empty_and_close(app, empty=owns_rows)


@asynccontextmanager
async def _client(app: FastAPI, ip: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _login_form(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/login", data={"username": email, "password": password})


def _comparable(response: httpx.Response) -> tuple[int, bytes, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k not in PER_RESPONSE_HEADERS}
    return response.status_code, response.content, headers


def _assert_too_many(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 429
    retry_after = int(response.headers["retry-after"])
    assert retry_after >= 1
    return retry_after


# --- Storage -------------------------------------------------------------------------------------------------------


async def test_password_is_stored_as_an_argon2id_hash(app: FastAPI, client: httpx.AsyncClient) -> None:
    await sign_up(client, ALICE)
    stored = await stored_hash(app, ALICE)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


async def test_sign_up_response_never_contains_the_password_or_its_hash(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.post("/users", json={"email": ALICE, "password": PASSWORD, "full_name": "Alice"})
    assert response.status_code == 201
    assert set(response.json()) == {"id", "email", "full_name", "is_active", "scopes", "created_at"}
    async with _client(app) as other:
        me = await other.get("/users/me", headers={"Authorization": f"Bearer {await get_token(other, ALICE)}"})
    for text in (response.text, me.text):
        assert PASSWORD not in text and "argon2" not in text and "password" not in text


async def test_hash_is_upgraded_on_login_when_argon2_parameters_change(
    app: FastAPI, client: httpx.AsyncClient, database_url: str
) -> None:
    await sign_up(client, ALICE)
    old = await stored_hash(app, ALICE)
    assert ",t=1," in old
    async with _app_with(database_url, owns_rows=False, argon2_time_cost=2) as stronger, _client(stronger) as http:
        assert (await token_response(http, ALICE, WRONG)).status_code == 400
        assert await stored_hash(app, ALICE) == old  # a failed login never rewrites the hash
        assert (await token_response(http, ALICE)).status_code == 200
        upgraded = await stored_hash(app, ALICE)
        assert upgraded.startswith("$argon2id$") and ",t=2," in upgraded and upgraded != old
        # Same parameters now: the next login leaves the hash alone, and the password still works.
        assert (await token_response(http, ALICE)).status_code == 200
        assert await stored_hash(app, ALICE) == upgraded
    assert (await token_response(client, ALICE)).status_code == 200


# --- Policy --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("carol@example.com", "short7!"),
        ("carol@example.com", ""),
        ("carol@example.com", "x" * 129),
        ("carol@example.com", " " * 12),
        ("carol@example.com", "\t\n \u00a0\u2003  \r\n"),
        ("carol@example.com", "carol@example.com"),
        ("carol@example.com", "CAROL@Example.com"),
        ("strasse@example.com", "STRAßE@example.com"),
    ],
)
async def test_password_breaking_the_policy_is_rejected_with_422_naming_it(
    client: httpx.AsyncClient, email: str, password: str
) -> None:
    response = await client.post("/users", json={"email": email, "password": password})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert any(error["loc"] == ["body", "password"] for error in response.json()["errors"]), response.json()
    if password.strip():
        assert password not in response.text
    # Nothing was created: the address is still free.
    assert (await client.post("/users", json={"email": email, "password": PASSWORD})).status_code == 201


async def test_duplicate_email_in_another_case_is_rejected_with_409(client: httpx.AsyncClient) -> None:
    await sign_up(client, ALICE)
    response = await client.post("/users", json={"email": "ALICE@Example.COM", "password": "another password 1"})
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    # And the original owner's password is the only one that logs in under any spelling.
    assert (await token_response(client, "Alice@example.com")).status_code == 200
    assert (await token_response(client, ALICE, "another password 1")).status_code == 400


async def test_password_change_needs_the_current_password_and_ends_other_sessions(
    alice: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    other_session = await get_token(client, ALICE)
    wrong = await alice.patch("/users/me", json={"password": "a brand new secret", "current_password": WRONG})
    assert wrong.status_code == 422
    assert [e["loc"] for e in wrong.json()["errors"]] == [["body", "current_password"]]
    missing = await alice.patch("/users/me", json={"password": "a brand new secret"})
    assert missing.status_code == 422
    weak = await alice.patch("/users/me", json={"password": " " * 10, "current_password": PASSWORD})
    assert weak.status_code == 422 and ["body", "password"] in [e["loc"] for e in weak.json()["errors"]]

    changed = await alice.patch("/users/me", json={"password": "a brand new secret", "current_password": PASSWORD})
    assert changed.status_code == 200
    assert (await alice.get("/users/me")).status_code == 200  # the session that changed it lives on
    ended = await client.get("/users/me", headers={"Authorization": f"Bearer {other_session}"})
    assert ended.status_code == 401
    assert (await token_response(client, ALICE)).status_code == 400
    assert (await token_response(client, ALICE, "a brand new secret")).status_code == 200


# --- No user enumeration -------------------------------------------------------------------------------------------


async def test_wrong_password_and_unknown_user_get_identical_answers(client: httpx.AsyncClient) -> None:
    await sign_up(client, ALICE)
    wrong_token, unknown_token = await token_response(client, ALICE, WRONG), await token_response(client, UNKNOWN)
    assert wrong_token.status_code == 400 and wrong_token.json()["error"] == "invalid_grant"
    assert _comparable(wrong_token) == _comparable(unknown_token)
    wrong_login, unknown_login = await _login_form(client, ALICE, WRONG), await _login_form(client, UNKNOWN)
    assert wrong_login.status_code == 401 and wrong_login.headers["content-type"] == PROBLEM
    assert "set-cookie" not in wrong_login.headers
    assert _comparable(wrong_login) == _comparable(unknown_login)


async def test_wrong_password_and_unknown_user_take_similar_time(database_url: str) -> None:
    # Real argon2 cost for this one (the suite's default is the cheapest allowed), so hashing dominates the timing.
    async with (
        _app_with(database_url, login_failures_per_user=1000, argon2_memory_cost_kib=32 * 1024) as app,
        _client(app) as client,
    ):
        await sign_up(client, ALICE)
        timings: dict[str, list[float]] = {ALICE: [], UNKNOWN: []}
        for attempt in range(6):
            for username in (ALICE, UNKNOWN) if attempt % 2 else (UNKNOWN, ALICE):  # interleaved: drift hits both
                started = time.perf_counter()
                response = await token_response(client, username, WRONG)
                elapsed = time.perf_counter() - started
                assert response.status_code == 400
                if attempt:  # the first round warms caches and connections
                    timings[username].append(elapsed)
    wrong_password, unknown_user = statistics.median(timings[ALICE]), statistics.median(timings[UNKNOWN])
    ratio = max(wrong_password, unknown_user) / min(wrong_password, unknown_user)
    assert ratio < 3, f"wrong password {wrong_password:.4f}s vs unknown user {unknown_user:.4f}s"


# --- Brute-force limits --------------------------------------------------------------------------------------------


async def test_username_is_blocked_with_429_after_too_many_failures(database_url: str) -> None:
    async with _app_with(database_url, login_failures_per_user=3) as app, _client(app) as client:
        await sign_up(client, ALICE)
        await sign_up(client, BOB)
        for _ in range(2):
            assert (await token_response(client, ALICE, WRONG)).status_code == 400
        assert (await _login_form(client, ALICE, WRONG)).status_code == 401  # both endpoints feed one counter
        # Blocked now: even the right password is refused, at both endpoints and under any spelling of the name.
        assert 1 <= _assert_too_many(await token_response(client, ALICE)) <= 900
        _assert_too_many(await _login_form(client, ALICE))
        _assert_too_many(await token_response(client, "  Alice@Example.com "))
        # Only alice: bob, from the same address, is unaffected.
        assert (await token_response(client, BOB)).status_code == 200


async def test_username_block_ends_when_the_window_ends(database_url: str) -> None:
    async with (
        _app_with(database_url, login_failures_per_user=2, login_failure_window_seconds=1) as app,
        _client(app) as client,
    ):
        await sign_up(client, ALICE)
        for _ in range(2):
            assert (await token_response(client, ALICE, WRONG)).status_code == 400
        assert _assert_too_many(await token_response(client, ALICE)) == 1
        await asyncio.sleep(1.2)
        assert (await token_response(client, ALICE)).status_code == 200


async def test_successful_logins_cost_nothing_and_forgive_nothing(database_url: str) -> None:
    async with _app_with(database_url, login_failures_per_user=3) as app, _client(app) as client:
        await sign_up(client, ALICE)
        for _ in range(5):
            assert (await token_response(client, ALICE)).status_code == 200
        for _ in range(2):
            assert (await token_response(client, ALICE, WRONG)).status_code == 400
        assert (await token_response(client, ALICE)).status_code == 200
        assert (await token_response(client, ALICE, WRONG)).status_code == 400
        # Three failures in the window: a success in between did not wipe them.
        assert _assert_too_many(await token_response(client, ALICE)) >= 1


async def test_address_is_blocked_after_failures_across_usernames(database_url: str) -> None:
    async with (
        _app_with(database_url, login_failures_per_user=100, login_failures_per_ip=3) as app,
        _client(app, ip="198.51.100.7") as attacker,
        _client(app, ip="203.0.113.9") as elsewhere,
    ):
        await sign_up(attacker, ALICE)
        for username in ("a@example.com", "b@example.com", ALICE):
            assert (await token_response(attacker, username, WRONG)).status_code == 400
        _assert_too_many(await token_response(attacker, ALICE))
        _assert_too_many(await _login_form(attacker, "c@example.com"))
        # The limit is per address: alice herself, elsewhere, still gets in.
        assert (await token_response(elsewhere, ALICE)).status_code == 200


# --- Cookie sessions and CSRF --------------------------------------------------------------------------------------


async def _cookie_login(client: httpx.AsyncClient) -> httpx.Response:
    response = await _login_form(client, ALICE)
    assert response.status_code == 204, response.text
    return response


async def test_cookie_login_sets_httponly_lax_session_and_script_readable_csrf_cookie(
    client: httpx.AsyncClient,
) -> None:
    await sign_up(client, ALICE)
    response = await _cookie_login(client)
    cookies: dict[str, SimpleCookie] = {}
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        cookies.update({name: cookie for name in cookie})
    session, csrf = cookies["access_token"]["access_token"], cookies["csrf_token"]["csrf_token"]
    assert session["httponly"] is True and session["samesite"].lower() == "lax"
    assert not csrf["httponly"] and csrf["samesite"].lower() == "lax"
    assert int(session["max-age"]) > 0 and session["path"] == "/"
    # Plain http in these tests: cookies are Secure only over https (Settings.cookie_secure=None).
    assert not session["secure"]
    assert len(csrf.value) >= 32 and csrf.value not in session.value


async def test_cookie_session_reads_without_a_csrf_header(client: httpx.AsyncClient) -> None:
    await sign_up(client, ALICE)
    await _cookie_login(client)
    assert "authorization" not in client.headers
    me = await client.get("/users/me")
    assert me.status_code == 200 and me.json()["email"] == ALICE
    assert (await client.get("/items", params={"mine": "true"})).status_code == 200


@pytest.mark.parametrize("csrf_header", [None, "", "wrong", "csrf_token"], ids=["absent", "empty", "wrong", "name"])
async def test_cookie_session_write_without_the_right_csrf_header_is_403(
    client: httpx.AsyncClient, csrf_header: str | None
) -> None:
    await sign_up(client, ALICE)
    await _cookie_login(client)
    headers = {} if csrf_header is None else {"X-CSRF-Token": csrf_header}
    response = await client.post("/items", json={"name": "x", "price": 1}, headers=headers)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == PROBLEM
    me = await client.get("/users/me")
    assert (await client.patch("/users/me", json={"full_name": "Mallory"}, headers=headers)).status_code == 403
    assert (await client.get("/users/me")).json() == me.json()
    assert (await client.get("/items")).json() == []


async def test_cookie_session_write_with_the_right_csrf_header_succeeds(client: httpx.AsyncClient) -> None:
    await sign_up(client, ALICE)
    await _cookie_login(client)
    headers = {"X-CSRF-Token": client.cookies["csrf_token"]}
    created = await client.post("/items", json={"name": "x", "price": 1}, headers=headers)
    assert created.status_code == 201, created.text
    assert (await client.delete(f"/items/{created.json()['id']}", headers=headers)).status_code == 204


async def test_csrf_token_of_another_session_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    await sign_up(client, ALICE)
    await _cookie_login(client)
    async with _client(app) as other:
        await _cookie_login(other)
        foreign = other.cookies["csrf_token"]
    response = await client.post("/items", json={"name": "x", "price": 1}, headers={"X-CSRF-Token": foreign})
    assert response.status_code == 403
