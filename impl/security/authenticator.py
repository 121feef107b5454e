"""Authenticates requests against the security requirements the contract declares for each operation."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import and_, bindparam, select
from starlette.requests import Request

from generated.runtime import OperationInfo, Principal
from generated.security import SCHEME_COOKIE_SESSION, SCHEMES, SecurityScheme
from impl.compiled import Query
from impl.db import Database
from impl.problems import Forbidden, Unauthorized
from impl.security.tokens import AccessClaims, InvalidToken, TokenCodec, hash_secret
from impl.tables import SessionRow, UserRow, table_of

Via = Literal["bearer", "cookie"]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _via(scheme: SecurityScheme) -> Via | None:
    """How a scheme's credentials travel; None for kinds this service does not accept (they never match)."""
    if scheme.type == "oauth2" or (scheme.type == "http" and (scheme.http_scheme or "").lower() == "bearer"):
        return "bearer"
    if scheme.type == "apiKey" and scheme.location == "cookie" and scheme.parameter == SESSION_COOKIE:
        return "cookie"
    return None


def _declared(value: str | None, what: str) -> str:
    if not value:
        raise RuntimeError(f"the contract's CookieSession scheme no longer declares {what}")
    return value


# Names the browser and the contract agree on, all from the contract's CookieSession scheme.
SESSION_COOKIE = _declared(SCHEME_COOKIE_SESSION.parameter, "the session cookie's name")
CSRF_COOKIE = _declared(SCHEME_COOKIE_SESSION.extensions.get("x-csrf-cookie"), "x-csrf-cookie")
CSRF_HEADER = _declared(SCHEME_COOKIE_SESSION.extensions.get("x-csrf-header"), "x-csrf-header")
# How each security scheme of the contract presents its credentials; unknown kinds never match (fail closed).
SCHEME_VIA: dict[str, Via] = {name: via for name, scheme in SCHEMES.items() if (via := _via(scheme)) is not None}

_users = table_of(UserRow)
_sessions = table_of(SessionRow)
# Every authenticated request runs this: a compiled-once Query (impl/compiled.py).
_ACCOUNT = Query(
    select(_users.c.is_active, _users.c.scopes, _sessions.c.id.label("session_id"), _sessions.c.revoked_at)
    .select_from(
        _users.outerjoin(_sessions, and_(_sessions.c.id == bindparam("sid"), _sessions.c.user_id == _users.c.id))
    )
    .where(_users.c.id == bindparam("uid"))
)


@dataclass(frozen=True, slots=True)
class _Credentials:
    token: str
    via: Via


def _credentials(request: Request) -> _Credentials | None:
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("the Authorization header must be `Bearer <token>`", invalid_token=True)
        return _Credentials(token.strip(), "bearer")
    cookie = request.cookies.get(SESSION_COOKIE)
    return _Credentials(cookie, "cookie") if cookie else None


def _satisfies(alternative: Mapping[str, tuple[str, ...]], via: Via, scopes: frozenset[str]) -> bool:
    return all(SCHEME_VIA.get(scheme) == via and set(required) <= scopes for scheme, required in alternative.items())


class TokenAuthenticator:
    """The app's Authenticator: Bearer header or session cookie, checked against the account on every request.

    Missing credentials on a protected operation: 401. Bad ones: 401, even where anonymous access is allowed —
    except an expired or revoked session cookie there, which counts as no credentials.
    Valid but lacking a scope: 403 `insufficient_scope`. Cookie sessions must pass the CSRF check on unsafe methods.
    """

    def __init__(self, database: Database, codec: TokenCodec) -> None:
        self._database = database
        self._codec = codec

    async def __call__(self, request: Request, operation: OperationInfo) -> Principal | None:
        requirements = operation.security
        if not requirements:
            return None
        anonymous_allowed = any(not alternative for alternative in requirements)
        credentials = _credentials(request)
        if credentials is None:
            if anonymous_allowed:
                return None
            raise Unauthorized("this operation needs a bearer token or a session cookie")
        try:
            claims = self._verified(credentials.token)
            scopes = await self._current_scopes(claims)
        except Unauthorized:
            if anonymous_allowed and credentials.via == "cookie":
                # A stale session cookie is no credential: the browser keeps sending it until told otherwise,
                # and the operation (logout) can then clear it.
                return None
            raise
        if credentials.via == "cookie" and request.method not in SAFE_METHODS:
            _check_csrf(request, claims)
        principal = Principal(
            subject=claims.subject,
            scopes=scopes,
            claims={"via": credentials.via, "sid": claims.session_id, "jti": claims.token_id},
        )
        if any(_satisfies(alternative, credentials.via, scopes) for alternative in requirements if alternative):
            return principal
        if anonymous_allowed:
            return principal
        needed = sorted({scope for alternative in requirements for needed in alternative.values() for scope in needed})
        raise Forbidden(
            f"this operation needs the scope {' or '.join(needed) or 'of another credential type'}",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(needed)}"'},
        )

    def _verified(self, token: str) -> AccessClaims:
        try:
            return self._codec.verify(token)
        except InvalidToken as exc:
            raise Unauthorized("the access token is invalid or expired", invalid_token=True) from exc

    async def _current_scopes(self, claims: AccessClaims) -> frozenset[str]:
        """The token's scopes still granted to an active account whose session is not revoked."""
        async with self._database.connect() as conn:
            rows = await conn.fetch(_ACCOUNT, {"uid": int(claims.subject), "sid": claims.session_id})
        if not rows or not rows[0][0]:
            raise Unauthorized("the account of this token no longer exists", invalid_token=True)
        _, scopes, session_id, revoked_at = rows[0]
        if session_id is None or revoked_at is not None:
            raise Unauthorized("this session has ended", invalid_token=True)
        return claims.scopes & frozenset(scopes)


def _check_csrf(request: Request, claims: AccessClaims) -> None:
    """Double-submit token bound to the session: the header must hash to the value sealed in the token."""
    sent = request.headers.get(CSRF_HEADER, "")
    if claims.csrf_hash is None or not hmac.compare_digest(hash_secret(sent), claims.csrf_hash):
        raise Forbidden(f"cookie-authenticated requests that change state need the {CSRF_HEADER} header")
