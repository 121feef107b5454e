"""Swagger UI's Authorize button (OAuth2 password flow) works against the real token endpoint."""

from __future__ import annotations

import httpx

from tests.users import ALICE, PASSWORD, sign_up


async def test_swagger_ui_style_token_request_is_accepted_and_the_token_works(client: httpx.AsyncClient) -> None:
    await sign_up(client, ALICE)
    # What Swagger UI 5 posts for the password flow with no client credentials configured.
    form = {
        "grant_type": "password",
        "username": ALICE,
        "password": PASSWORD,
        "scope": "items:read users:read",
        "client_id": "",
    }
    response = await client.post("/token", data=form)
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["scope"] == "items:read users:read" and token["token_type"] == "bearer"
    me = await client.get("/users/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == ALICE
    # The narrowed token cannot write.
    created = await client.post(
        "/items", json={"name": "x", "price": 1}, headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert created.status_code == 403
    assert 'error="insufficient_scope"' in created.headers["www-authenticate"]


async def test_docs_page_points_swagger_ui_at_the_contract_with_the_oauth2_redirect(client: httpx.AsyncClient) -> None:
    html = (await client.get("/docs")).text
    assert "/openapi.json" in html and "oauth2RedirectUrl" in html
    assert (await client.get("/docs/oauth2-redirect")).status_code == 200
