"""The attacks of the security review (issue 7), replayed against the real app; each got through before the fix.

Limits are small here so that a burst crosses them; everything else is the app as `create_app` builds it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import httpx
import jwt
import pytest
from fastapi import FastAPI

from impl.app import create_app
from impl.security.authenticator import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from impl.settings import Settings
from tests.databases import empty_and_close, make_settings
from tests.users import ALICE, BOB, PASSWORD, get_token, sign_up, token_response

PER_ACCOUNT_AND_ADDRESS = 5
PER_ACCOUNT = 8
WRONG = "not the password!"
NEW_PASSWORD = "another fine passphrase"
# The key `impl/settings.py` used to publish as its default (tokens signed with it were accepted by `make run`).
PUBLISHED_PLACEHOLDER_KEY = "change-me-this-is-not-a-secret-key"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The suite's settings with login limits small enough for a burst to cross."""
    return make_settings(
        database_url,
        login_failures_per_user=PER_ACCOUNT_AND_ADDRESS,
        login_failures_per_user_total=PER_ACCOUNT,
        login_failures_per_ip=10**6,
    )


def _client(app: FastAPI, address: str = "203.0.113.7") -> httpx.AsyncClient:
    """A client of the in-process app seen from `address` (a documentation range: never a real host)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _token_for(client: httpx.AsyncClient, email: str, scope: str | None = None) -> dict[str, str]:
    extra = {} if scope is None else {"scope": scope}
    response = await token_response(client, email, PASSWORD, **extra)
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


async def _sign_up_request(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post("/users", json={"email": email, "password": PASSWORD})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# 1. Forgeable tokens in the default configuration


async def test_default_configuration_refuses_tokens_signed_with_the_published_placeholder(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Exactly how `make run` starts: no SECRET_KEY, no ENVIRONMENT.
    for name in ("SECRET_KEY", "ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    app = create_app(Settings(database_url=database_url, log_json=False, argon2_time_cost=1))
    try:
        async with _client(app) as client:
            user = await sign_up(client, ALICE)
            genuine = (await _token_for(client, ALICE))["access_token"]
            claims = jwt.decode(genuine, options={"verify_signature": False})
            assert (await client.get("/users/me", headers=_bearer(genuine))).status_code == 200
            forged = jwt.encode(
                {**claims, "sub": str(user["id"]), "scope": "users:admin"}, PUBLISHED_PLACEHOLDER_KEY, algorithm="HS256"
            )
            response = await client.get("/users", headers=_bearer(forged))
            assert response.status_code == 401, response.text
    finally:
        await empty_and_close(app)


# 2. Concurrent guesses must not beat the limit


async def _burst(client: httpx.AsyncClient, email: str, guesses: list[str]) -> Counter[int]:
    responses = await asyncio.gather(*(token_response(client, email, guess) for guess in guesses))
    return Counter(response.status_code for response in responses)


async def test_concurrent_guesses_are_evaluated_at_most_the_limit(app: FastAPI) -> None:
    async with _client(app) as client:
        await sign_up(client, ALICE)
        # 19 wrong and the right one last, all at once: the limit is reserved before each hash, never after.
        statuses = await _burst(client, ALICE, [WRONG] * 19 + [PASSWORD])
    # At most the limit of wrong guesses is ever evaluated; the right password, if it got a slot, costs none.
    assert statuses[400] <= PER_ACCOUNT_AND_ADDRESS, statuses
    assert statuses[200] <= 1 and statuses[429] >= 20 - PER_ACCOUNT_AND_ADDRESS - 1, statuses


async def test_concurrent_guesses_against_many_accounts_respect_the_per_address_limit(database_url: str) -> None:
    app = create_app(make_settings(database_url, login_failures_per_ip=4))
    try:
        async with _client(app) as client:
            emails = [f"user{n}@example.com" for n in range(12)]
            for email in emails:
                await sign_up(client, email)
            responses = await asyncio.gather(*(token_response(client, email, WRONG) for email in emails))
        statuses = Counter(response.status_code for response in responses)
        assert statuses == {400: 4, 429: 8}, statuses
    finally:
        await empty_and_close(app)


# 3 and 5. Account operations need their own scopes and the current password; wrong ones are limited guesses


async def test_a_token_narrowed_to_items_cannot_touch_the_account(app: FastAPI) -> None:
    async with _client(app) as client:
        user = await sign_up(client, ALICE)
        narrowed = _bearer((await _token_for(client, ALICE, "items:read"))["access_token"])
        assert (await client.get("/users/me", headers=narrowed)).status_code == 403
        change = await client.patch("/users/me", json={"email": "mallory@example.com"}, headers=narrowed)
        assert change.status_code == 403
        assert 'scope="users:write"' in change.headers["www-authenticate"]
        deletion = {"current_password": PASSWORD}
        gone = await client.request("DELETE", f"/users/{user['id']}", json=deletion, headers=narrowed)
        assert gone.status_code == 403
        # The account is untouched.
        full = _bearer(await get_token(client, ALICE))
        me = await client.get("/users/me", headers=full)
        assert me.status_code == 200 and me.json()["email"] == ALICE


@pytest.mark.parametrize(
    "method, body",
    [
        ("PATCH", {"email": "new@example.com"}),
        ("PATCH", {"password": NEW_PASSWORD}),
        ("DELETE", None),
        ("DELETE", {}),
    ],
)
async def test_changing_email_or_password_or_deleting_the_account_needs_the_current_password(
    app: FastAPI, method: str, body: dict[str, str] | None
) -> None:
    async with _client(app) as client:
        user = await sign_up(client, ALICE)
        auth = _bearer(await get_token(client, ALICE))
        path = "/users/me" if method == "PATCH" else f"/users/{user['id']}"
        for attempt in (body, {**(body or {}), "current_password": WRONG}):
            response = await client.request(method, path, json=attempt, headers=auth)
            assert response.status_code == 422, response.text
            assert response.json()["errors"][0]["loc"] == ["body", "current_password"]
        right = await client.request(method, path, json={**(body or {}), "current_password": PASSWORD}, headers=auth)
        assert right.status_code == (200 if method == "PATCH" else 204), right.text


async def test_changing_only_the_name_needs_no_password(app: FastAPI) -> None:
    async with _client(app) as client:
        await sign_up(client, ALICE)
        auth = _bearer(await get_token(client, ALICE))
        response = await client.patch("/users/me", json={"full_name": "Alice A."}, headers=auth)
        assert response.status_code == 200 and response.json()["full_name"] == "Alice A."


async def test_current_password_guesses_count_as_failed_logins(app: FastAPI) -> None:
    async with _client(app) as client:
        await sign_up(client, ALICE)
        auth = _bearer(await get_token(client, ALICE))
        guesses = [
            client.patch("/users/me", json={"password": NEW_PASSWORD, "current_password": f"{WRONG}{n}"}, headers=auth)
            for n in range(12)
        ]
        statuses = Counter(response.status_code for response in await asyncio.gather(*guesses))
        assert statuses[422] <= PER_ACCOUNT_AND_ADDRESS and statuses[429] >= 12 - PER_ACCOUNT_AND_ADDRESS, statuses
        # The oracle is shut, even for the right password, and the login limit is the same counter.
        right = await client.patch(
            "/users/me", json={"password": NEW_PASSWORD, "current_password": PASSWORD}, headers=auth
        )
        assert right.status_code == 429 and int(right.headers["retry-after"]) >= 1
        assert (await token_response(client, ALICE, PASSWORD)).status_code == 429


# 4. Sign-ups are limited per address, and password hashing per process


async def test_sign_ups_are_limited_per_address_even_in_a_burst(database_url: str) -> None:
    app = create_app(make_settings(database_url, signups_per_address=3))
    try:
        async with _client(app, "198.51.100.1") as client, _client(app, "198.51.100.2") as other:
            signups = [
                client.post("/users", json={"email": f"u{n}@example.com", "password": PASSWORD}) for n in range(10)
            ]
            responses = await asyncio.gather(*signups)
            statuses = Counter(response.status_code for response in responses)
            assert statuses == {201: 3, 429: 7}, statuses
            refused = next(response for response in responses if response.status_code == 429)
            assert int(refused.headers["retry-after"]) >= 1
            assert refused.headers["content-type"] == "application/problem+json"
            # Another address is not affected.
            assert (
                await other.post("/users", json={"email": "v@example.com", "password": PASSWORD})
            ).status_code == 201
    finally:
        await empty_and_close(app)


async def test_hashing_beyond_the_queue_answers_503_with_retry_after(database_url: str) -> None:
    app = create_app(make_settings(database_url, max_concurrent_hashes=1, max_queued_hashes=2, argon2_time_cost=3))
    try:
        async with _client(app) as client:
            signups = [
                client.post("/users", json={"email": f"u{n}@example.com", "password": PASSWORD}) for n in range(12)
            ]
            responses = await asyncio.gather(*signups)
        statuses = Counter(response.status_code for response in responses)
        assert statuses[201] >= 3 and statuses[503] >= 1 and set(statuses) <= {201, 503}, statuses
        busy = next(response for response in responses if response.status_code == 503)
        assert busy.headers["retry-after"] == "1"
        assert busy.headers["content-type"] == "application/problem+json"
    finally:
        await empty_and_close(app)


# 7. A stranger's guesses lock the owner out only from the stranger's own address


async def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere(app: FastAPI) -> None:
    async with _client(app, "192.0.2.66") as attacker, _client(app, "192.0.2.10") as owner:
        await sign_up(owner, ALICE)
        for _ in range(PER_ACCOUNT_AND_ADDRESS):
            assert (await token_response(attacker, ALICE, WRONG)).status_code == 400
        assert (await token_response(attacker, ALICE, PASSWORD)).status_code == 429
        assert (await token_response(owner, ALICE, PASSWORD)).status_code == 200


async def test_guesses_spread_over_many_addresses_hit_the_per_account_ceiling(app: FastAPI) -> None:
    async with _client(app, "192.0.2.10") as owner:
        await sign_up(owner, ALICE)
    for n in range(PER_ACCOUNT):
        async with _client(app, f"192.0.2.{100 + n}") as guesser:
            assert (await token_response(guesser, ALICE, WRONG)).status_code == 400
    async with _client(app, "192.0.2.200") as another:
        assert (await token_response(another, ALICE, WRONG)).status_code == 429


# 9. Login CSRF


async def _login(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/login", data={"username": ALICE, "password": PASSWORD}, headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://testserver"},  # right host, wrong scheme: another origin
    ],
)
async def test_a_login_form_posted_from_another_site_is_refused(app: FastAPI, headers: dict[str, str]) -> None:
    async with _client(app) as client:
        await sign_up(client, ALICE)
        response = await _login(client, headers)
        assert response.status_code == 403, response.text
        assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        {"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site"},  # a configured CORS origin
        {},  # not a browser (curl, an SDK)
    ],
)
async def test_a_login_from_this_site_or_a_configured_origin_is_accepted(
    database_url: str, headers: dict[str, str]
) -> None:
    app = create_app(make_settings(database_url, cors_origins=["https://app.example.com"]))
    try:
        async with _client(app) as client:
            await sign_up(client, ALICE)
            response = await _login(client, headers)
            assert response.status_code == 204, response.text
            assert SESSION_COOKIE in response.cookies
    finally:
        await empty_and_close(app)


# 13. Deactivation


async def test_deactivation_ends_every_session_for_good(app: FastAPI, admin: httpx.AsyncClient) -> None:
    async with _client(app) as client:
        user = await sign_up(client, ALICE)
        tokens = await _token_for(client, ALICE)
        off = await admin.patch(f"/users/{user['id']}", json={"is_active": False})
        assert off.status_code == 200 and off.json()["is_active"] is False
        assert (await client.get("/users/me", headers=_bearer(tokens["access_token"]))).status_code == 401
        refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        refused = await client.post("/token", data=refresh)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
        assert (await token_response(client, ALICE, PASSWORD)).status_code == 400
        # Re-activated: the old family and the old access token stay dead; a new login works.
        assert (await admin.patch(f"/users/{user['id']}", json={"is_active": True})).status_code == 200
        assert (await client.post("/token", data=refresh)).status_code == 400
        assert (await client.get("/users/me", headers=_bearer(tokens["access_token"]))).status_code == 401
        assert (await client.get("/users/me", headers=_bearer(await get_token(client, ALICE)))).status_code == 200


async def test_a_refresh_grant_carries_only_scopes_the_account_still_has(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    async with _client(app) as client:
        user = await sign_up(client, ALICE)
        tokens = await _token_for(client, ALICE)
        narrowed = await admin.patch(f"/users/{user['id']}", json={"scopes": ["items:read", "users:read"]})
        assert narrowed.status_code == 200 and narrowed.json()["scopes"] == ["items:read", "users:read"]
        refreshed = await client.post(
            "/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 200 and refreshed.json()["scope"] == "items:read users:read"


async def test_account_administration_needs_the_admin_scope_and_spares_the_admins_own_account(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    async with _client(app) as client:
        bob = await sign_up(client, BOB)
        auth = _bearer(await get_token(client, BOB))
        assert (await client.patch(f"/users/{bob['id']}", json={"is_active": True}, headers=auth)).status_code == 403
        me = (await admin.get("/users/me")).json()
        assert (await admin.patch(f"/users/{me['id']}", json={"is_active": False})).status_code == 409
        assert (await admin.patch(f"/users/{bob['id']}", json={})).status_code == 422
        duplicated = await admin.patch(f"/users/{bob['id']}", json={"scopes": ["items:read", "items:read"]})
        assert duplicated.status_code == 422
        assert (await admin.patch("/users/999999", json={"is_active": False})).status_code == 404


async def test_an_administrator_deletes_another_account_without_its_password(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    async with _client(app) as client:
        bob = await sign_up(client, BOB)
    assert (await admin.delete(f"/users/{bob['id']}")).status_code == 204
    assert (await admin.get(f"/users/{bob['id']}")).status_code == 404


# 15. Smaller findings


async def test_logout_with_a_revoked_session_cookie_still_clears_the_cookies(app: FastAPI) -> None:
    async with _client(app) as client:
        await sign_up(client, ALICE)
        assert (await _login(client, {})).status_code == 204
        session, csrf = client.cookies[SESSION_COOKIE], client.cookies[CSRF_COOKIE]
        # The session ends elsewhere (revoked, e.g. from another device); the browser still holds both cookies.
        assert (await client.post("/token/revoke", data={"token": session})).status_code == 200
        assert (await client.get("/users/me")).status_code == 401
        response = await client.post("/logout", headers={CSRF_HEADER: csrf})
        assert response.status_code == 204, response.text
        cleared = response.headers.get_list("set-cookie")
        assert any(c.startswith(f"{SESSION_COOKIE}=") and "Max-Age=0" in c for c in cleared), cleared
        assert any(c.startswith(f"{CSRF_COOKIE}=") and "Max-Age=0" in c for c in cleared), cleared


async def test_a_revoked_bearer_token_is_still_refused_on_logout(app: FastAPI) -> None:
    async with _client(app) as client:
        await sign_up(client, ALICE)
        tokens = await _token_for(client, ALICE)
        assert (await client.post("/token/revoke", data={"token": tokens["refresh_token"]})).status_code == 200
        assert (await client.post("/logout", headers=_bearer(tokens["access_token"]))).status_code == 401


async def test_an_unknown_token_type_hint_is_ignored(app: FastAPI) -> None:
    async with _client(app) as client:
        await sign_up(client, ALICE)
        tokens = await _token_for(client, ALICE)
        revoked = await client.post("/token/revoke", data={"token": tokens["refresh_token"], "token_type_hint": "x"})
        assert revoked.status_code == 200, revoked.text
        refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        assert (await client.post("/token", data=refresh)).status_code == 400


async def test_account_responses_are_not_cacheable(app: FastAPI, admin: httpx.AsyncClient) -> None:
    async with _client(app) as client:
        created = await client.post("/users", json={"email": ALICE, "password": PASSWORD})
        auth = _bearer(await get_token(client, ALICE))
        responses = [
            created,
            await client.get("/users/me", headers=auth),
            await client.get(f"/users/{created.json()['id']}", headers=auth),
            await client.patch("/users/me", json={"full_name": "A"}, headers=auth),
            await admin.get("/users"),
            await admin.patch(f"/users/{created.json()['id']}", json={"is_active": True}),
            await token_response(client, ALICE, PASSWORD),
        ]
    for response in responses:
        assert response.status_code in (200, 201), response.text
        assert response.headers["cache-control"] == "no-store", response.request.url


async def test_sending_a_notification_needs_credentials(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/send-notification/{uuid.uuid4().hex}@example.com")
    assert response.status_code == 401
