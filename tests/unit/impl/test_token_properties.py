"""Properties of the access-token codec and the password policy, checked over generated inputs (no HTTP)."""

from __future__ import annotations

import string
import time

import jwt
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from impl.problems import InvalidRequest
from impl.security.passwords import check_password_policy
from impl.security.tokens import MAX_TOKEN_LENGTH, AccessClaims, InvalidToken, TokenCodec, hash_secret
from tests.databases import make_settings

SECRET = "unit-test-secret-key-of-at-least-32-bytes"
SCOPES = ["items:read", "items:write", "users:admin"]
BASE64URL = string.ascii_letters + string.digits + "-_"
# Outside base64url: standard base64, padding, separators, non-ASCII. All must be refused, never skipped over.
FOREIGN = "+/=. !\u00e9\u0000"

CODEC = TokenCodec(make_settings("sqlite+aiosqlite:///:memory:", secret_key=SECRET))

subjects = st.integers(min_value=1, max_value=2**63 - 1).map(str)  # user ids
scope_sets = st.frozensets(st.sampled_from(SCOPES))
session_ids = st.uuids().map(str)
csrf_hashes = st.none() | st.text(max_size=40).map(hash_secret)


@settings(max_examples=60, deadline=None)
@given(subject=subjects, scopes=scope_sets, session_id=session_ids, csrf_hash=csrf_hashes)
def test_issued_token_verifies_to_the_same_claims(
    subject: str, scopes: frozenset[str], session_id: str, csrf_hash: str | None
) -> None:
    issued = CODEC.issue(subject=subject, scopes=scopes, ttl_seconds=300, session_id=session_id, csrf_hash=csrf_hash)
    claims = CODEC.verify(issued.token)
    raw = jwt.decode(issued.token, options={"verify_signature": False})
    assert claims == AccessClaims(
        subject=subject,
        scopes=scopes,
        token_id=raw["jti"],
        session_id=session_id,
        csrf_hash=csrf_hash,
        expires_at=float(raw["exp"]),
    )
    assert raw["iss"] == raw["aud"] == "contract-api"
    assert raw["exp"] - raw["iat"] == issued.expires_in == 300
    assert jwt.get_unverified_header(issued.token)["alg"] == "HS256"
    assert len(issued.token) < MAX_TOKEN_LENGTH


@settings(max_examples=60, deadline=None)
@given(subject=subjects, scopes=scope_sets, session_id=session_ids, csrf_hash=csrf_hashes)
def test_token_ids_are_unique(subject: str, scopes: frozenset[str], session_id: str, csrf_hash: str | None) -> None:
    first = CODEC.issue(subject=subject, scopes=scopes, ttl_seconds=300, session_id=session_id, csrf_hash=csrf_hash)
    second = CODEC.issue(subject=subject, scopes=scopes, ttl_seconds=300, session_id=session_id, csrf_hash=csrf_hash)
    assert CODEC.verify(first.token).token_id != CODEC.verify(second.token).token_id


@settings(max_examples=200, deadline=None)
@given(
    subject=subjects,
    scopes=scope_sets,
    session_id=session_ids,
    segment=st.sampled_from([1, 2]),
    data=st.data(),
)
def test_any_single_character_change_of_payload_or_signature_is_rejected(
    subject: str, scopes: frozenset[str], session_id: str, segment: int, data: st.DataObject
) -> None:
    token = CODEC.issue(subject=subject, scopes=scopes, ttl_seconds=300, session_id=session_id).token
    parts = token.split(".")
    position = data.draw(st.integers(min_value=0, max_value=len(parts[segment]) - 1), label="position")
    replacement = data.draw(st.sampled_from(BASE64URL + FOREIGN), label="replacement")
    assume(replacement != parts[segment][position])
    chars = list(parts[segment])
    chars[position] = replacement
    parts[segment] = "".join(chars)
    with pytest.raises(InvalidToken):
        CODEC.verify(".".join(parts))


@settings(max_examples=60, deadline=None)
@given(subject=subjects, scopes=scope_sets)
def test_token_verified_under_another_key_is_rejected(subject: str, scopes: frozenset[str]) -> None:
    token = CODEC.issue(subject=subject, scopes=scopes, ttl_seconds=300, session_id="s").token
    other = TokenCodec(make_settings("sqlite+aiosqlite:///:memory:", secret_key=SECRET + "!"))
    with pytest.raises(InvalidToken):
        other.verify(token)


def _acceptable(password: str, email: str) -> bool:
    """The policy, stated independently: 8..128 characters, some non-whitespace, not the e-mail in any case."""
    return (
        8 <= len(password) <= 128
        and not all(ch.isspace() for ch in password)
        and password.casefold() != email.casefold()
    )


emails = st.emails(domains=st.sampled_from(["example.com", "EXAMPLE.org"]))
whitespace = st.text(alphabet=" \t\n\r\x0b\x0c\u00a0\u2003\u3000\u2028", min_size=1, max_size=140)


@st.composite
def _passwords_for(draw: st.DrawFn, email: str) -> str:
    """Mostly near the policy's edges: any text, whitespace runs, and the e-mail in other letter cases."""
    return draw(
        st.one_of(
            st.text(max_size=140),
            st.text(min_size=6, max_size=10),
            st.text(min_size=126, max_size=130),
            whitespace,
            st.just(email),
            st.just(email.upper()),
            st.just(email.swapcase()),
            st.just(email.casefold()),
            st.just(" " + email),
        )
    )


@settings(max_examples=300, deadline=None)
@given(data=st.data(), email=emails)
def test_password_policy_accepts_exactly_the_acceptable_passwords(data: st.DataObject, email: str) -> None:
    password = data.draw(_passwords_for(email), label="password")
    if _acceptable(password, email):
        # Beyond these rules only guessability (zxcvbn, tests/unit/impl/test_password_policy.py) may refuse it.
        try:
            check_password_policy(password, email=email)
        except InvalidRequest as exc:
            errors = exc.extensions["errors"]
            assert isinstance(errors, list)
            assert all(str(error["msg"]).startswith("password is too easy to guess") for error in errors)
        return
    with pytest.raises(InvalidRequest) as raised:
        check_password_policy(password, email=email, field="new_password")
    errors = raised.value.extensions["errors"]
    assert isinstance(errors, list) and errors
    assert all(error["loc"] == ["body", "new_password"] for error in errors)


def test_a_cached_token_is_refused_once_it_expires() -> None:
    # Verified tokens are cached; the cache must not outlive `exp` (leeway 0 here).
    codec = TokenCodec(make_settings("sqlite+aiosqlite://", jwt_leeway_seconds=0))
    token = codec.issue(subject="1", scopes=frozenset(), ttl_seconds=1, session_id="s").token
    assert codec.verify(token).subject == "1"
    assert codec.verify(token).subject == "1"  # a cache hit
    time.sleep(2.1)
    with pytest.raises(InvalidToken):
        codec.verify(token)


def test_the_verified_token_cache_stays_bounded() -> None:
    codec = TokenCodec(make_settings("sqlite+aiosqlite://"))
    tokens = [
        codec.issue(subject="1", scopes=frozenset(), ttl_seconds=60, session_id="s").token
        for _ in range(TokenCodec.VERIFIED_CACHE_SIZE + 10)
    ]
    for token in tokens:
        codec.verify(token)
    assert len(codec._verified) == TokenCodec.VERIFIED_CACHE_SIZE


def test_a_token_without_a_session_is_refused() -> None:
    # Every access token must name its session, or it could never be revoked.
    raw = jwt.decode(
        CODEC.issue(subject="1", scopes=frozenset(), ttl_seconds=60, session_id="s").token,
        options={"verify_signature": False},
    )
    del raw["sid"]
    with pytest.raises(InvalidToken, match="sid"):
        CODEC.verify(jwt.encode(raw, SECRET, algorithm="HS256"))
    raw["sid"] = ""
    with pytest.raises(InvalidToken):
        CODEC.verify(jwt.encode(raw, SECRET, algorithm="HS256"))
