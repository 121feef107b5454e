"""Forged, expired and malformed bearer tokens: every one is refused with a 401 `invalid_token` challenge."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import cache

import httpx
import jwt
import pytest

from impl.app import create_app
from tests.databases import empty_and_close, make_settings
from tests.users import ALICE, PASSWORD, get_token, sign_up

PROBLEM = "application/problem+json"
INVALID_TOKEN = 'Bearer error="invalid_token"'
NEW_ITEM = {"name": "Forged", "price": 1}
OTHER_KEY = "an-attacker-chosen-key-of-more-than-32-bytes"
ALL_SCOPES = "items:read items:write users:admin"
# (method, path, JSON body): a read and a write, both needing a valid bearer token.
PROTECTED = [("GET", "/users/me", None), ("POST", "/items", NEW_ITEM)]


@dataclass(frozen=True, slots=True)
class Victim:
    """What an attacker would aim at: alice's id and a genuine token of hers; `key` lets tests sign correctly."""

    user_id: int
    token: str
    key: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64_json(value: dict[str, object]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _unb64_json(segment: str) -> dict[str, object]:
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return decoded


def _claims(victim: Victim, **overrides: object) -> dict[str, object]:
    """The claims the service itself would issue for alice; an override of None drops the claim."""
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": "contract-api",
        "aud": "contract-api",
        "sub": str(victim.user_id),
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": secrets.token_hex(16),
        "scope": "items:read items:write users:read users:write",
        # The victim's real session: a forged token differs from a genuine one only where an attack says so.
        "sid": jwt.decode(victim.token, options={"verify_signature": False})["sid"],
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def _hs(claims: dict[str, object], key: str | bytes, *, alg: str = "HS256") -> str:
    """A JWS signed with HMAC by hand (PyJWT refuses PEM-looking HMAC keys, which is one attack tried here)."""
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    signing_input = f"{_b64_json({'alg': alg, 'typ': 'JWT'})}.{_b64_json(claims)}"
    raw_key = key.encode() if isinstance(key, str) else key
    return f"{signing_input}.{_b64(hmac.new(raw_key, signing_input.encode(), digest).digest())}"


# --- A small RSA key in pure Python (`cryptography` is not a dependency): enough for a genuine RS256 signature. ---


def _probably_prime(n: int) -> bool:
    if n < 2 or any(n % p == 0 for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29)):
        return n in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29)
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(24):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | 1
        if _probably_prime(candidate):
            return candidate


@cache
def _rsa_key() -> tuple[int, int, int]:
    """(n, e, d) of a fresh 1024-bit RSA key (generated once per session)."""
    e = 65537
    while True:
        p, q = _prime(512), _prime(512)
        phi = (p - 1) * (q - 1)
        if p != q and phi % e != 0:
            return p * q, e, pow(e, -1, phi)


def _rs256(claims: dict[str, object]) -> str:
    """An RS256 JWS with a valid RSASSA-PKCS1-v1_5 signature (RFC 8017 §8.2) under `_rsa_key()`."""
    n, e, d = _rsa_key()
    signing_input = f"{_b64_json({'alg': 'RS256', 'typ': 'JWT'})}.{_b64_json(claims)}".encode()
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(signing_input).digest()
    size = (n.bit_length() + 7) // 8
    encoded = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
    signature = pow(int.from_bytes(encoded, "big"), d, n)
    assert pow(signature, e, n) == int.from_bytes(encoded, "big")  # the signature really verifies
    return f"{signing_input.decode()}.{_b64(signature.to_bytes(size, 'big'))}"


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + content


def _der_int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _public_key_pem() -> str:
    """The SubjectPublicKeyInfo PEM of `_rsa_key()`, as a server using RS256 would publish it."""
    n, e, _ = _rsa_key()
    rsa_encryption = _der(0x30, bytes.fromhex("06092a864886f70d010101") + bytes.fromhex("0500"))
    spki = _der(0x30, rsa_encryption + _der(0x03, b"\x00" + _der(0x30, _der_int(n) + _der_int(e))))
    body = base64.b64encode(spki).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join(["-----BEGIN PUBLIC KEY-----", *lines, "-----END PUBLIC KEY-----", ""])


def _unsigned(claims: dict[str, object], alg: str) -> str:
    return f"{_b64_json({'alg': alg, 'typ': 'JWT'})}.{_b64_json(claims)}."


def _tampered(victim: Victim, **changes: object) -> str:
    """The genuine token with its payload rewritten and its signature kept."""
    header, payload, signature = victim.token.split(".")
    claims = {**_unb64_json(payload), **changes}
    return f"{header}.{_b64_json(claims)}.{signature}"


def _bearer(token: str) -> bytes:
    return f"Bearer {token}".encode()


def _long_ago(victim: Victim) -> dict[str, object]:
    now = int(time.time())
    # 60 s past expiry: well beyond the 10 s leeway.
    return _claims(victim, iat=now - 960, nbf=now - 960, exp=now - 60)


TOKEN_ATTACKS: dict[str, Callable[[Victim], bytes]] = {
    "expired_beyond_leeway": lambda v: _bearer(_hs(_long_ago(v), v.key)),
    "not_yet_valid": lambda v: _bearer(_hs(_claims(v, nbf=int(time.time()) + 300), v.key)),
    "signed_with_another_key": lambda v: _bearer(_hs(_claims(v), OTHER_KEY)),
    "signed_with_empty_key": lambda v: _bearer(_hs(_claims(v), b"")),
    "alg_none": lambda v: _bearer(_unsigned(_claims(v, scope=ALL_SCOPES), "none")),
    "alg_None_capitalised": lambda v: _bearer(_unsigned(_claims(v, scope=ALL_SCOPES), "None")),
    "alg_none_with_genuine_signature": lambda v: _bearer(_unsigned(_claims(v), "none") + v.token.rsplit(".", 1)[1]),
    "rs256_signed_with_attacker_key": lambda v: _bearer(_rs256(_claims(v))),
    "hs256_keyed_with_public_key_pem": lambda v: _bearer(_hs(_claims(v), _public_key_pem())),
    "hs512_with_the_real_key": lambda v: _bearer(_hs(_claims(v), v.key, alg="HS512")),
    "wrong_audience": lambda v: _bearer(_hs(_claims(v, aud="another-api"), v.key)),
    "audience_list_without_ours": lambda v: _bearer(_hs(_claims(v, aud=["another-api"]), v.key)),
    "wrong_issuer": lambda v: _bearer(_hs(_claims(v, iss="https://evil.example"), v.key)),
    "tampered_scope": lambda v: _bearer(_tampered(v, scope=ALL_SCOPES)),
    "tampered_subject": lambda v: _bearer(_tampered(v, sub=str(v.user_id + 1))),
    "tampered_expiry": lambda v: _bearer(_tampered(v, exp=int(time.time()) + 10**8)),
    "missing_jti": lambda v: _bearer(_hs(_claims(v, jti=None), v.key)),
    # Without `sid` a token could never be revoked: every access token must name its session.
    "missing_session": lambda v: _bearer(_hs(_claims(v, sid=None), v.key)),
    "missing_exp": lambda v: _bearer(_hs(_claims(v, exp=None), v.key)),
    "missing_scope": lambda v: _bearer(_hs(_claims(v, scope=None), v.key)),
    "missing_aud": lambda v: _bearer(_hs(_claims(v, aud=None), v.key)),
    "non_numeric_subject": lambda v: _bearer(_hs(_claims(v, sub="alice"), v.key)),
    "negative_subject": lambda v: _bearer(_hs(_claims(v, sub="-1"), v.key)),
    "integer_subject": lambda v: _bearer(_hs(_claims(v, sub=v.user_id), v.key)),
    "superscript_digit_subject": lambda v: _bearer(_hs(_claims(v, sub="\u00b2"), v.key)),
    "subject_beyond_64_bits": lambda v: _bearer(_hs(_claims(v, sub="9" * 30), v.key)),
    "subject_of_no_account": lambda v: _bearer(_hs(_claims(v, sub=str(v.user_id + 10_000)), v.key)),
    "unknown_session": lambda v: _bearer(_hs(_claims(v, sid="00000000-0000-0000-0000-000000000000"), v.key)),
    "non_string_session": lambda v: _bearer(_hs(_claims(v, sid=42), v.key)),
    "bare_bearer": lambda v: b"Bearer",
    "bearer_and_space": lambda v: b"Bearer ",
    "two_segments": lambda v: b"Bearer a.b",
    "basic_scheme": lambda v: b"Basic xyz",
    "basic_scheme_with_genuine_token": lambda v: f"Basic {v.token}".encode(),
    "latin1_non_ascii_token": lambda v: "Bearer é".encode("latin-1"),
    "utf8_non_ascii_token": lambda v: "Bearer é.é.é".encode(),
    "ten_kilobyte_token": lambda v: _bearer(_hs(_claims(v, pad="x" * 10_000), v.key)),
    "token_with_trailing_garbage": lambda v: _bearer(v.token + ".x"),
}


@dataclass(frozen=True, slots=True)
class Target:
    """One app per backend for the whole module: the attacks only read, so they can share alice's account."""

    client: httpx.AsyncClient
    victim: Victim


@pytest.fixture(scope="module")
async def target(database_url: str) -> AsyncIterator[Target]:
    settings = make_settings(database_url)
    app = create_app(settings)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            user = await sign_up(client, ALICE)
            assert isinstance(user["id"], int)
            token = await get_token(client, ALICE)
            yield Target(client, Victim(user["id"], token, settings.signing_key.get_secret_value()))
    finally:
        await empty_and_close(app)


async def _send(
    client: httpx.AsyncClient, method: str, path: str, body: object, authorization: bytes
) -> httpx.Response:
    # Raw bytes in a header list: httpx would otherwise refuse or re-encode the non-ASCII values.
    return await client.request(method, path, json=body, headers=[(b"authorization", authorization)])


def _assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == INVALID_TOKEN
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 401 and problem["type"] == "/problems/unauthorized"


async def test_genuine_and_correctly_forged_tokens_are_accepted(target: Target) -> None:
    # The control: the token builders above make tokens the service accepts, so each attack differs in one way only.
    client, victim = target.client, target.victim
    for authorization in (_bearer(victim.token), _bearer(_hs(_claims(victim), victim.key))):
        me = await _send(client, "GET", "/users/me", None, authorization)
        assert me.status_code == 200 and me.json()["email"] == ALICE
        created = await _send(client, "POST", "/items", NEW_ITEM, authorization)
        assert created.status_code == 201 and created.json()["owner_id"] == victim.user_id
        assert (await _send(client, "DELETE", f"/items/{created.json()['id']}", None, authorization)).status_code == 204


@pytest.mark.parametrize("attack", list(TOKEN_ATTACKS))
async def test_attack_token_is_rejected_with_401_invalid_token(target: Target, attack: str) -> None:
    client = target.client
    authorization = TOKEN_ATTACKS[attack](target.victim)
    items_before = (await client.get("/items")).json()
    for method, path, body in PROTECTED:
        _assert_invalid_token(await _send(client, method, path, body, authorization))
    # Nothing was written on the attacker's behalf.
    assert (await client.get("/items")).json() == items_before


async def test_attack_token_is_rejected_even_where_anonymous_access_is_allowed(target: Target) -> None:
    # GET /items is public, but bad credentials must not silently fall back to anonymous.
    forged = _bearer(_hs(_claims(target.victim), OTHER_KEY))
    _assert_invalid_token(await _send(target.client, "GET", "/items", None, forged))


async def test_missing_credentials_get_a_bare_bearer_challenge(target: Target) -> None:
    for method, path, body in PROTECTED:
        response = await target.client.request(method, path, json=body)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"] == PROBLEM


async def test_expired_token_within_leeway_is_still_accepted(target: Target) -> None:
    now = int(time.time())
    token = _hs(_claims(target.victim, iat=now - 600, nbf=now - 600, exp=now - 3), target.victim.key)
    assert (await _send(target.client, "GET", "/users/me", None, _bearer(token))).status_code == 200


async def test_token_of_deleted_user_is_rejected_with_401(target: Target) -> None:
    client = target.client
    user = await sign_up(client, "carol@example.com")
    token = _bearer(await get_token(client, "carol@example.com", PASSWORD))
    deletion = {"current_password": PASSWORD}
    assert (await _send(client, "DELETE", f"/users/{user['id']}", deletion, token)).status_code == 204
    for method, path, body in PROTECTED:
        _assert_invalid_token(await _send(client, method, path, body, token))
