"""Authenticates requests against the security requirements the contract declares for each operation."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from sqlalchemy import and_, bindparam, select
from starlette.requests import HTTPConnection, Request
from starlette.websockets import WebSocket

from generated.runtime import OperationInfo, Principal
from generated.security import SCHEME_COOKIE_SESSION, SCHEMES, SecurityScheme
from impl.compiled import Query
from impl.concurrent_deletes import account_gone
from impl.db import Database
from impl.problems import Forbidden, Unauthorized
from impl.security.account_cache import AccountStates
from impl.security.tokens import AccessClaims, InvalidToken, TokenCodec, hash_secret
from impl.tables import sessions_table as _sessions
from impl.tables import users_table as _users

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

# Every authenticated request runs this: a compiled-once Query (impl/compiled.py).
_ACCOUNT = Query(
    select(
        _users.c.is_active,
        _users.c.scopes,
        _sessions.c.id.label("session_id"),
        _sessions.c.revoked_at,
        _sessions.c.expires_at,
    )
    .select_from(
        _users.outerjoin(_sessions, and_(_sessions.c.id == bindparam("sid"), _sessions.c.user_id == _users.c.id))
    )
    .where(_users.c.id == bindparam("uid"))
)


# The WebSocket subprotocol that carries a bearer token (browsers cannot set Authorization on a WebSocket):
# the client offers `bearer, <token>` and the server selects `bearer`.
BEARER_SUBPROTOCOL = "bearer"


@dataclass(frozen=True, slots=True)
class Credentials:
    """An access token and how it travelled."""

    token: str
    via: Via


@dataclass(frozen=True, slots=True)
class WebSocketCredentials:
    """The credentials of a WebSocket handshake, and the subprotocol to accept it with."""

    credentials: Credentials
    subprotocol: str | None


def _credentials(connection: HTTPConnection) -> Credentials | None:
    # One pass over the raw headers (the first of each, as Starlette's `Headers.get`): anonymous requests, most
    # reads, then cost no header lookups and no cookie parsing (~1.5 us of a ~55 us GET, profiled).
    authorization = cookies = None
    for key, value in connection.scope["headers"]:
        if key == b"authorization":
            if authorization is None:
                authorization = value
        elif key == b"cookie":
            cookies = value
    if authorization is not None:
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("the Authorization header must be `Bearer <token>`", invalid_token=True)
        return Credentials(token.strip(), "bearer")
    if cookies is None:
        return None
    cookie = connection.cookies.get(SESSION_COOKIE)
    return Credentials(cookie, "cookie") if cookie else None


def websocket_credentials(websocket: WebSocket, allowed_origins: list[str]) -> WebSocketCredentials:
    """A handshake's token: the subprotocols `bearer, <token>`, else `Authorization: Bearer`, else the session
    cookie, whose `Origin` must then be this service's or one of `allowed_origins` (cross-site WebSocket hijacking:
    browsers send cookies with cross-site handshakes, and WebSockets have no CORS). Unauthorized or Forbidden."""
    offered: list[str] = websocket.scope.get("subprotocols", [])
    if BEARER_SUBPROTOCOL in offered:
        at = offered.index(BEARER_SUBPROTOCOL)
        if at + 1 >= len(offered) or not offered[at + 1]:
            raise Unauthorized("offer the subprotocols `bearer, <token>`", invalid_token=True)
        return WebSocketCredentials(Credentials(offered[at + 1], "bearer"), BEARER_SUBPROTOCOL)
    credentials = _credentials(websocket)
    if credentials is None:
        raise Unauthorized("this WebSocket needs a bearer token (subprotocols `bearer, <token>`) or a session cookie")
    origin = websocket.headers.get("origin")
    # No Origin: not a browser, so not a page riding on someone's cookie (as for POST /login).
    if credentials.via == "cookie" and origin is not None:
        own = f"{'https' if websocket.url.scheme == 'wss' else 'http'}://{websocket.headers.get('host', '')}"
        if origin != own and origin not in allowed_origins:
            raise Forbidden(f"cookie sessions connect from this site's own pages, not from {origin[:60]}")
    return WebSocketCredentials(credentials, None)


@dataclass(frozen=True, slots=True)
class _Rule:
    """An operation's security requirements, compiled once: each alternative as the one way its credentials must
    travel (None: its schemes disagree or are of kinds this service does not accept, so it never matches) and the
    scopes it needs."""

    operation: OperationInfo
    anonymous_allowed: bool
    alternatives: tuple[tuple[Via | None, frozenset[str]], ...]

    @classmethod
    def of(cls, operation: OperationInfo) -> _Rule:
        alternatives = []
        for alternative in operation.security:
            if alternative:
                vias = {SCHEME_VIA.get(scheme) for scheme in alternative}
                needed = frozenset(scope for scopes in alternative.values() for scope in scopes)
                alternatives.append((vias.pop() if len(vias) == 1 else None, needed))
        anonymous_allowed = any(not alternative for alternative in operation.security)
        return cls(operation, anonymous_allowed, tuple(alternatives))

    def admits(self, via: Via, scopes: frozenset[str]) -> bool:
        """Whether credentials that travelled `via` and hold `scopes` satisfy one alternative."""
        for needed_via, needed in self.alternatives:
            if needed_via == via and needed <= scopes:
                return True
        return False


# Tokens accepted since the account states last changed: more than this, and the cache starts over.
MAX_ACCEPTED: Final = 4096


@dataclass(frozen=True, slots=True)
class _Accepted:
    """A token that passed every check, how it travelled, and until when (on the account states' clock) that holds."""

    via: Via
    claims: AccessClaims
    principal: Principal
    until: float


class TokenAuthenticator:
    """The app's Authenticator: Bearer header or session cookie, checked against the account on every request.

    Missing credentials on a protected operation: 401. Bad ones: 401, even where anonymous access is allowed —
    except an expired or revoked session cookie there, which counts as no credentials.
    Valid but lacking a scope: 403 `insufficient_scope`. Cookie sessions must pass the CSRF check on unsafe methods.
    """

    def __init__(self, database: Database, codec: TokenCodec, states: AccountStates) -> None:
        self._database = database
        self._codec = codec
        self._states = states
        # By id(): an OperationInfo hashes in Python, on every request; the rule keeps its operation alive.
        self._rules: dict[int, _Rule] = {}
        # What a token was accepted as, in the states' current generation (a change anywhere empties it).
        self._accepted: dict[str, _Accepted] = {}
        self._generation = states.generation

    async def __call__(self, request: Request, operation: OperationInfo) -> Principal | None:
        if not operation.security:
            return None
        rule = self._rules.get(id(operation))
        if rule is None or rule.operation is not operation:
            rule = self._rules[id(operation)] = _Rule.of(operation)
        credentials = _credentials(request)
        if credentials is None:
            if rule.anonymous_allowed:
                return None
            raise Unauthorized("this operation needs a bearer token or a session cookie")
        try:
            claims, principal = await self._authenticate(credentials)
        except Unauthorized:
            if rule.anonymous_allowed and credentials.via == "cookie":
                # A stale session cookie is no credential: the browser keeps sending it until told otherwise,
                # and the operation (logout) can then clear it.
                return None
            raise
        if credentials.via == "cookie" and request.method not in SAFE_METHODS:
            _check_csrf(request, claims)
        if rule.anonymous_allowed or rule.admits(credentials.via, principal.scopes):
            return principal
        requirements = operation.security
        needed = sorted({scope for alternative in requirements for needed in alternative.values() for scope in needed})
        raise Forbidden(
            f"this operation needs the scope {' or '.join(needed) or 'of another credential type'}",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(needed)}"'},
        )

    async def authorize(self, credentials: Credentials, scope: str) -> Principal:
        """The principal of `credentials` when they pass the checks of every request (token valid, account active,
        session open) and still hold `scope`: for WebSockets, at the handshake and again while connected.
        Unauthorized or Forbidden otherwise. `claims["exp"]` is the token's expiry (seconds since the epoch)."""
        _, principal = await self._authenticate(credentials)
        if scope not in principal.scopes:
            raise Forbidden(f"this needs the scope {scope}")
        return principal

    async def _authenticate(self, credentials: Credentials) -> tuple[AccessClaims, Principal]:
        """The one check behind HTTP and WebSocket authentication; Unauthorized when it fails.

        A token accepted before is accepted again without redoing the work while its account and session entry
        serves (`AccountStates`: nothing changed since, at most ACCOUNT_CACHE_SECONDS old, the session not over)
        and the token has not expired: the same answer the whole check would give (~9 us less of a POST, measured).
        """
        states = self._states
        if self._generation == states.generation:
            accepted = self._accepted.get(credentials.token)
            if (
                accepted is not None
                and accepted.via == credentials.via
                and states.clock() < accepted.until
                and self._codec.unexpired(accepted.claims)
            ):
                return accepted.claims, accepted.principal
        generation = states.generation
        claims = self._verified(credentials.token)
        scopes = await self._current_scopes(claims)
        principal = Principal(
            subject=claims.subject,
            scopes=scopes,
            claims=MappingProxyType(
                {"via": credentials.via, "sid": claims.session_id, "jti": claims.token_id, "exp": claims.expires_at}
            ),  # shared by the requests that reuse it: read-only
        )
        self._accept(credentials, claims, principal, generation)
        return claims, principal

    def _accept(self, credentials: Credentials, claims: AccessClaims, principal: Principal, generation: int) -> None:
        """Remember an accepted token for as long as the account states' entry serves, under `generation`, the
        one its check began in: if a change was dropped meanwhile, that generation is already over and the entry
        never serves."""
        states = self._states
        until = states.until(int(claims.subject), claims.session_id)
        if until is None:
            return  # not kept (ACCOUNT_CACHE_SECONDS=0): checked in full every time
        if self._generation != generation or len(self._accepted) >= MAX_ACCEPTED:
            self._accepted.clear()
            self._generation = generation
        self._accepted[credentials.token] = _Accepted(credentials.via, claims, principal, until)

    def _verified(self, token: str) -> AccessClaims:
        try:
            return self._codec.verify(token)
        except InvalidToken as exc:
            raise Unauthorized("the access token is invalid or expired", invalid_token=True) from exc

    async def _current_scopes(self, claims: AccessClaims) -> frozenset[str]:
        """The token's scopes still granted to an active account whose session is neither revoked nor expired
        (checked at most ACCOUNT_CACHE_SECONDS ago: impl/security/account_cache.py)."""
        account_id, session_id = int(claims.subject), claims.session_id
        states = self._states
        granted = states.scopes(account_id, session_id)
        if granted is not None:
            return claims.scopes & granted
        read_at, generation = states.clock(), states.generation
        async with self._database.connect() as conn:
            rows = await conn.fetch(_ACCOUNT, {"uid": account_id, "sid": session_id})
        if not rows or not rows[0]["is_active"]:
            raise account_gone()
        account = rows[0]
        if account["session_id"] is None or account["revoked_at"] is not None:
            raise Unauthorized("this session has ended", invalid_token=True)
        # Past its absolute lifetime a session is refused like a revoked one, whatever the token's own `exp` says.
        left = (account["expires_at"] - dt.datetime.now(dt.UTC)).total_seconds()
        if left <= 0:
            raise Unauthorized("this session has expired", invalid_token=True)
        granted = frozenset(account["scopes"])
        until = states.clock() + left  # the session's end on the cache's clock
        states.keep(account_id, session_id, granted, read_at=read_at, generation=generation, until=until)
        return claims.scopes & granted


def _check_csrf(request: Request, claims: AccessClaims) -> None:
    """Double-submit token bound to the session: the header must hash to the value sealed in the token."""
    sent = request.headers.get(CSRF_HEADER, "")
    if claims.csrf_hash is None or not hmac.compare_digest(hash_secret(sent), claims.csrf_hash):
        raise Forbidden(f"cookie-authenticated requests that change state need the {CSRF_HEADER} header")
