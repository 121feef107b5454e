"""Identity hardening: common passwords, look-alike e-mail addresses and unencodable passwords are refused (422)."""

from __future__ import annotations

import httpx
import pytest

from tests.users import ALICE, PASSWORD, sign_up, token_response

PROBLEM = "application/problem+json"
LONE_SURROGATE = "\ud800"
# Full-width letters: NFKC folds these onto plain ASCII, so this is alice's own address.
FULL_WIDTH_ALICE = "\uff41\uff4c\uff49\uff43\uff45@example.com"


def _error_locs(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    return [error["loc"] for error in response.json()["errors"]]


def _json_body_with_lone_surrogate(**fields: str) -> bytes:
    """A JSON object whose string values keep a `\\ud800` escape verbatim (httpx would refuse to encode one)."""
    members = ", ".join(f'"{name}": "{value}"' for name, value in fields.items())
    return ("{" + members + "}").encode()


# --- Common passwords (review item 10) ------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["password", "12345678", "Password1", "p@ssw0rd!", "qwertyuiop", "iloveyou123"])
async def test_common_password_is_rejected_with_422_naming_it(client: httpx.AsyncClient, password: str) -> None:
    response = await client.post("/users", json={"email": "carol@example.com", "password": password})
    assert ["body", "password"] in _error_locs(response)
    assert password == "password" or password not in response.text  # never echoed (the field is named "password")
    # Nothing was created: the address is still free.
    assert (await client.post("/users", json={"email": "carol@example.com", "password": PASSWORD})).status_code == 201


async def test_password_built_from_the_email_address_is_rejected(client: httpx.AsyncClient) -> None:
    response = await client.post("/users", json={"email": "carol.smith@example.com", "password": "carolsmith1"})
    assert ["body", "password"] in _error_locs(response)


@pytest.mark.parametrize("password", [PASSWORD, "Xk9#mQ2!", "a brand new secret", "日本語のパスワード"])
async def test_uncommon_password_is_accepted(client: httpx.AsyncClient, password: str) -> None:
    response = await client.post("/users", json={"email": "carol@example.com", "password": password})
    assert response.status_code == 201, response.text


async def test_common_password_is_rejected_as_a_new_password(alice: httpx.AsyncClient) -> None:
    response = await alice.patch("/users/me", json={"password": "Password1", "current_password": PASSWORD})
    assert ["body", "password"] in _error_locs(response)


# --- Look-alike e-mail addresses (review item 14) -------------------------------------------------------------------


async def test_cyrillic_look_alike_email_is_rejected_naming_it(client: httpx.AsyncClient) -> None:
    await sign_up(client, ALICE)
    response = await client.post("/users", json={"email": "\u0430lice@example.com", "password": PASSWORD})
    assert _error_locs(response) == [["body", "email"]]


async def test_mixed_script_domain_is_rejected_naming_it(client: httpx.AsyncClient) -> None:
    response = await client.post("/users", json={"email": "alice@ex\u0430mple.com", "password": PASSWORD})
    assert _error_locs(response) == [["body", "email"]]


async def test_full_width_spelling_is_the_same_account(client: httpx.AsyncClient) -> None:
    await sign_up(client, ALICE)
    duplicate = await client.post("/users", json={"email": FULL_WIDTH_ALICE, "password": "another password 1"})
    assert duplicate.status_code == 409, duplicate.text
    # Login folds the username the same way, so the full-width spelling reaches alice's account.
    assert (await token_response(client, FULL_WIDTH_ALICE)).status_code == 200


async def test_full_width_email_is_stored_in_plain_form(client: httpx.AsyncClient) -> None:
    user = await sign_up(client, FULL_WIDTH_ALICE)
    assert user["email"] == ALICE
    assert (await token_response(client, ALICE)).status_code == 200


@pytest.mark.parametrize("email", ["\u0430\u043b\u0438\u0441\u0430@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444"])
async def test_single_script_non_latin_email_is_accepted(client: httpx.AsyncClient, email: str) -> None:
    user = await sign_up(client, email)
    assert user["email"] == email
    assert (await token_response(client, email.upper())).status_code == 200


async def test_an_address_whose_case_folded_key_outgrows_it_signs_up_and_logs_in(client: httpx.AsyncClient) -> None:
    # 252 bytes of UTF-8, 132 characters: valid. Case folding writes each "ΐ" as three code points, so the key that
    # uniqueness and login use is 372 characters long, past the 254 the address itself may have.
    email = "a@" + ".".join(["\u0390" * 15] * 8) + ".gr"
    user = await sign_up(client, email)
    assert user["email"] == email
    assert (await token_response(client, email)).status_code == 200
    duplicate = await client.post("/users", json={"email": email, "password": PASSWORD})
    assert duplicate.status_code == 409, duplicate.text


async def test_idn_domain_in_ascii_form_is_the_same_account(client: httpx.AsyncClient) -> None:
    await sign_up(client, "alice@b\u00fccher.de")
    duplicate = await client.post("/users", json={"email": "alice@xn--bcher-kva.de", "password": PASSWORD})
    assert duplicate.status_code == 409, duplicate.text


async def test_look_alike_email_is_rejected_on_change(alice: httpx.AsyncClient) -> None:
    response = await alice.patch("/users/me", json={"email": "b\u043eb@example.com", "current_password": PASSWORD})
    assert _error_locs(response) == [["body", "email"]]
    renamed = await alice.patch("/users/me", json={"email": "\uff21LICE2@example.com", "current_password": PASSWORD})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["email"] == "ALICE2@example.com"


# --- Lone surrogates (review item 8) --------------------------------------------------------------------------------


async def test_password_with_a_lone_surrogate_is_rejected_with_422_naming_it(client: httpx.AsyncClient) -> None:
    body = _json_body_with_lone_surrogate(email="carol@example.com", password="abcdefgh\\ud800")
    response = await client.post("/users", content=body, headers={"Content-Type": "application/json"})
    assert ["body", "password"] in _error_locs(response)
    assert "x-request-id" in response.headers


async def test_new_and_current_password_with_a_lone_surrogate_are_rejected(alice: httpx.AsyncClient) -> None:
    headers = {"Content-Type": "application/json"}
    new = _json_body_with_lone_surrogate(password="abcdefgh\\ud800", current_password=PASSWORD)
    assert ["body", "password"] in _error_locs(await alice.patch("/users/me", content=new, headers=headers))
    current = _json_body_with_lone_surrogate(password="a brand new secret", current_password="abcdefgh\\ud800")
    response = await alice.patch("/users/me", content=current, headers=headers)
    assert response.status_code == 422, response.text
    assert ["body", "current_password"] in _error_locs(response)


@pytest.mark.parametrize("path", ["/token", "/login"])
async def test_form_password_that_is_not_utf8_never_causes_a_500(client: httpx.AsyncClient, path: str) -> None:
    await sign_up(client, ALICE)
    form = "grant_type=password&username=alice%40example.com&password=abcdefgh%ED%A0%80"
    response = await client.post(path, content=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code in {400, 401, 422}, response.text
    assert "x-request-id" in response.headers
