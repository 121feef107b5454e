"""Access tokens (HS256 JWT via PyJWT) and opaque refresh tokens stored only as hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

from impl.settings import Settings

ALGORITHM = "HS256"
# A real access token is well under 1 KiB; refusing huge ones early bounds the decoder's work.
MAX_TOKEN_LENGTH = 4096
_USER_ID = re.compile(r"[1-9][0-9]{0,18}")
MAX_USER_ID = 2**63 - 1
# `sid` too: every access token names its session, so every token can be revoked.
_REQUIRED_CLAIMS = ["exp", "iat", "nbf", "iss", "aud", "sub", "jti", "scope", "sid"]


class InvalidToken(Exception):
    """The token is malformed, forged, expired, or not meant for this service."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What the service trusts from a verified access token."""

    subject: str
    scopes: frozenset[str]
    token_id: str
    session_id: str
    csrf_hash: str | None
    expires_at: float = 0.0  # `exp`, seconds since the epoch


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """An encoded access token and its lifetime in seconds."""

    token: str
    expires_in: int


def hash_secret(value: str) -> str:
    """SHA-256 hex of a high-entropy secret (refresh and CSRF tokens): no slow hash is needed for 256 bits."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


class TokenCodec:
    """Issues and verifies access tokens with a fixed algorithm list, issuer, audience and small leeway.

    Verified tokens are remembered until they expire (at most `VERIFIED_CACHE_SIZE`, oldest evicted first):
    PyJWT's signature and claim checks cost ~145 us a request, and a token that verified once stays valid until
    its `exp` — which is rechecked on every hit. Revocation does not depend on this: the authenticator still
    looks the account and session up on every request.
    """

    VERIFIED_CACHE_SIZE = 4096

    def __init__(self, settings: Settings) -> None:
        self._key = settings.signing_key.get_secret_value()
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._leeway = settings.jwt_leeway_seconds
        self._verified: dict[str, AccessClaims] = {}

    def issue(
        self,
        *,
        subject: str,
        scopes: frozenset[str],
        ttl_seconds: int,
        session_id: str,
        csrf_hash: str | None = None,
        now: dt.datetime | None = None,
    ) -> IssuedToken:
        """A signed access token of session `session_id` for `subject` with `scopes`, valid `ttl_seconds`."""
        issued = now or dt.datetime.now(dt.UTC)
        claims: dict[str, object] = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": subject,
            "iat": issued,
            "nbf": issued,
            "exp": issued + dt.timedelta(seconds=ttl_seconds),
            "jti": uuid.uuid4().hex,
            "scope": " ".join(sorted(scopes)),
            "sid": session_id,
        }
        if csrf_hash is not None:
            claims["csrf"] = csrf_hash
        return IssuedToken(jwt.encode(claims, self._key, algorithm=ALGORITHM), ttl_seconds)

    def verify(self, token: str) -> AccessClaims:
        """The token's claims; raises InvalidToken for anything not issued by this service and still valid."""
        claims = self._verified.get(token)
        if claims is not None:
            if self.unexpired(claims):
                return claims
            del self._verified[token]
        claims = self._decode(token)
        if len(self._verified) >= self.VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]  # dicts keep insertion order: the oldest goes
        self._verified[token] = claims
        return claims

    def unexpired(self, claims: AccessClaims) -> bool:
        """Whether verified `claims` are still within their `exp` (and the leeway)."""
        return time.time() <= claims.expires_at + self._leeway

    def _decode(self, token: str) -> AccessClaims:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("token missing or too long")
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        subject, scope = claims["sub"], claims["scope"]
        session_id, csrf_hash = claims.get("sid"), claims.get("csrf")
        # str.isdigit() accepts "²"; subjects are user ids, positive 64-bit integers written in ASCII.
        if not isinstance(subject, str) or not _USER_ID.fullmatch(subject) or int(subject) > MAX_USER_ID:
            raise InvalidToken("malformed subject")
        if not isinstance(scope, str):
            raise InvalidToken("malformed scope")
        if not isinstance(session_id, str) or not session_id or not isinstance(csrf_hash, str | None):
            raise InvalidToken("malformed session claims")
        return AccessClaims(
            subject=subject,
            scopes=frozenset(scope.split()),
            token_id=str(claims["jti"]),
            session_id=session_id,
            csrf_hash=csrf_hash,
            expires_at=float(claims["exp"]),
        )
