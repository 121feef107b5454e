"""Object- and function-level authorisation: owners, administrators, and everyone else."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from impl.settings import DEFAULT_SCOPES
from impl.tables import users_table
from tests.users import ADMIN, BOB, PASSWORD, token_response

PROBLEM = "application/problem+json"
NEW_ITEM = {"name": "Alice's guitar", "description": "mine", "price": 100, "tax": 5, "tags": ["rock"]}
WRITES: list[tuple[str, dict[str, object] | None]] = [
    ("PUT", {"name": "Bob's now", "price": 1}),
    ("PATCH", {"price": 1}),
    ("DELETE", None),
]


async def _create(client: httpx.AsyncClient, **overrides: object) -> dict[str, object]:
    response = await client.post("/items", json={**NEW_ITEM, **overrides})
    assert response.status_code == 201, response.text
    item: dict[str, object] = response.json()
    return item


async def _my_id(client: httpx.AsyncClient) -> int:
    user_id: int = (await client.get("/users/me")).json()["id"]
    return user_id


@pytest.mark.parametrize(("method", "body"), WRITES)
async def test_non_owner_cannot_change_an_item_and_it_stays_unchanged(
    alice: httpx.AsyncClient, bob: httpx.AsyncClient, method: str, body: dict[str, object] | None
) -> None:
    item = await _create(alice)
    url = f"/items/{item['id']}"
    before = await alice.get(url)
    response = await bob.request(method, url, json=body)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == PROBLEM
    after = await alice.get(url)
    assert after.status_code == 200 and after.json() == before.json()
    assert after.headers["etag"] == before.headers["etag"]


@pytest.mark.parametrize(("method", "body"), WRITES)
async def test_non_owner_with_if_match_star_still_cannot_change_an_item(
    alice: httpx.AsyncClient, bob: httpx.AsyncClient, method: str, body: dict[str, object] | None
) -> None:
    item = await _create(alice)
    response = await bob.request(method, f"/items/{item['id']}", json=body, headers={"If-Match": "*"})
    assert response.status_code == 403


async def test_anonymous_caller_cannot_change_an_item(alice: httpx.AsyncClient, client: httpx.AsyncClient) -> None:
    item = await _create(alice)
    for method, body in WRITES:
        response = await client.request(method, f"/items/{item['id']}", json=body)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert (await client.get(f"/items/{item['id']}")).json() == item


async def test_anyone_can_read_an_item(
    alice: httpx.AsyncClient, bob: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    item = await _create(alice)
    for reader in (bob, client):
        response = await reader.get(f"/items/{item['id']}")
        assert response.status_code == 200 and response.json() == item


async def test_admin_can_change_and_delete_anyones_item(alice: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    item = await _create(alice)
    url = f"/items/{item['id']}"
    patched = await admin.patch(url, json={"price": 7})
    assert patched.status_code == 200 and patched.json()["price"] == 7.0
    # An administrator's change does not take the item away from its owner.
    assert patched.json()["owner_id"] == item["owner_id"]
    replaced = await admin.put(url, json={"name": "Moderated", "price": 8})
    assert replaced.status_code == 200 and replaced.json()["owner_id"] == item["owner_id"]
    assert (await admin.delete(url)).status_code == 204
    assert (await alice.get(url)).status_code == 404


async def test_list_mine_returns_only_the_callers_items(alice: httpx.AsyncClient, bob: httpx.AsyncClient) -> None:
    alices = {(await _create(alice, name=f"a{i}"))["id"] for i in range(2)}
    bobs = {(await _create(bob, name="b"))["id"]}
    assert {i["id"] for i in (await alice.get("/items", params={"mine": "true"})).json()} == alices
    assert {i["id"] for i in (await bob.get("/items", params={"mine": "true"})).json()} == bobs
    assert {i["id"] for i in (await bob.get("/items")).json()} == alices | bobs


async def test_owner_cannot_be_chosen_by_the_client(alice: httpx.AsyncClient, bob: httpx.AsyncClient) -> None:
    # Mass assignment: owner_id is not writable, neither at creation nor afterwards.
    bob_id = await _my_id(bob)
    assert (await alice.post("/items", json={**NEW_ITEM, "owner_id": bob_id})).status_code == 422
    item = await _create(alice)
    assert (await alice.patch(f"/items/{item['id']}", json={"owner_id": bob_id})).status_code == 422
    assert (await bob.get("/items", params={"mine": "true"})).json() == []


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_other_users_account_looks_exactly_like_a_missing_one(
    alice: httpx.AsyncClient, bob: httpx.AsyncClient, method: str
) -> None:
    alice_id, bob_id = await _my_id(alice), await _my_id(bob)
    never_used = max(alice_id, bob_id) + 1000
    existing = await bob.request(method, f"/users/{alice_id}")
    missing = await bob.request(method, f"/users/{never_used}")
    assert existing.status_code == missing.status_code == 404
    assert existing.headers["content-type"] == missing.headers["content-type"] == PROBLEM
    seen, absent = existing.json(), missing.json()
    # Identical up to the id itself, which appears in the path and the detail.
    assert seen == {
        **absent,
        "detail": absent["detail"].replace(str(never_used), str(alice_id)),
        "instance": f"/users/{alice_id}",
    }
    assert "www-authenticate" not in existing.headers and "www-authenticate" not in missing.headers
    assert (await alice.get("/users/me")).status_code == 200


async def test_user_can_read_their_own_account_by_id(alice: httpx.AsyncClient) -> None:
    alice_id = await _my_id(alice)
    response = await alice.get(f"/users/{alice_id}")
    assert response.status_code == 200 and response.json()["id"] == alice_id


async def test_admin_can_read_and_delete_other_accounts(admin: httpx.AsyncClient, bob: httpx.AsyncClient) -> None:
    bob_id = await _my_id(bob)
    assert (await admin.get(f"/users/{bob_id}")).json()["email"] == BOB
    assert (await admin.delete(f"/users/{bob_id}")).status_code == 204
    assert (await bob.get("/users/me")).status_code == 401


async def test_regular_user_cannot_list_users(bob: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    response = await bob.get("/users")
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"] == 'Bearer error="insufficient_scope", scope="users:admin"'
    # The control: the same request with the scope succeeds.
    listed = await admin.get("/users")
    assert listed.status_code == 200 and {u["email"] for u in listed.json()} == {BOB, ADMIN}


@pytest.mark.parametrize("scope", ["users:admin", "items:read users:admin", "items:read items:write users:admin"])
async def test_scope_escalation_at_the_token_endpoint_fails_with_invalid_scope(
    bob: httpx.AsyncClient, client: httpx.AsyncClient, scope: str
) -> None:
    response = await token_response(client, BOB, scope=scope)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert "access_token" not in response.json()


async def test_revoked_admin_scope_stops_working_for_existing_tokens(app: FastAPI, admin: httpx.AsyncClient) -> None:
    assert (await admin.get("/users")).status_code == 200
    async with app.state.database.connect() as conn:
        await conn.execute(
            update(users_table).where(users_table.c.email_key == ADMIN).values(scopes=["items:read", "items:write"])
        )
        await conn.commit()
    # The token still says users:admin, but the account's current grants win.
    assert (await admin.get("/users")).status_code == 403


async def test_scopes_cannot_be_set_through_the_users_api(client: httpx.AsyncClient, bob: httpx.AsyncClient) -> None:
    signup = {"email": "mallory@example.com", "password": "correct horse battery staple", "scopes": ["users:admin"]}
    assert (await client.post("/users", json=signup)).status_code == 422
    assert (await bob.patch("/users/me", json={"scopes": ["users:admin"]})).status_code == 422
    assert (await bob.patch("/users/me", json={"is_active": True, "id": 1})).status_code == 422
    assert (await bob.get("/users/me")).json()["scopes"] == sorted(DEFAULT_SCOPES)


async def test_self_delete_revokes_the_token_and_removes_the_users_items(
    alice: httpx.AsyncClient, bob: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    item = await _create(alice)
    bobs = await _create(bob)
    deletion = {"current_password": PASSWORD}
    assert (await alice.request("DELETE", f"/users/{await _my_id(alice)}", json=deletion)).status_code == 204
    response = await alice.get("/users/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert (await alice.post("/items", json=NEW_ITEM)).status_code == 401
    assert (await client.get(f"/items/{item['id']}")).status_code == 404
    assert [i["id"] for i in (await client.get("/items")).json()] == [bobs["id"]]
