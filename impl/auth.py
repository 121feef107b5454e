"""The OAuth2 token endpoints and the browser cookie session (RFC 6749 password and refresh grants, RFC 7009)."""

from __future__ import annotations

from generated import models
from generated.runtime import RequestContext
from impl.db import Database, DbConnection
from impl.problems import Forbidden, OAuthError, Unauthorized
from impl.security.authenticator import CSRF_COOKIE, SESSION_COOKIE
from impl.security.login import Account, CredentialChecker, LoginFailed, password_still_current
from impl.security.sessions import Session, SessionStore
from impl.security.tokens import InvalidToken, TokenCodec, hash_secret, new_secret
from impl.settings import Settings


def _requested_scopes(scope: str | None, granted: frozenset[str]) -> frozenset[str]:
    """RFC 6749 §3.3: no scope asks for everything granted; asking for more is `invalid_scope`."""
    if scope is None or not scope.strip():
        return granted
    requested = frozenset(scope.split())
    if not requested <= granted:
        raise OAuthError("invalid_scope", f"not granted: {' '.join(sorted(requested - granted))}")
    return requested


def _refuse_cross_site(ctx: RequestContext, allowed_origins: list[str]) -> None:
    """Login CSRF defence: a browser names the page that posted the form in `Origin` (and `Sec-Fetch-Site`).

    Allowed: this service's own origin and the configured CORS origins; a request without either header is not
    from a browser's cross-site form (curl, SDKs), so it passes. `Origin: null` (sandboxed pages) does not.
    """
    headers = ctx.request_headers
    origin = headers.get("origin")
    if origin is None:
        if headers.get("sec-fetch-site", "").lower() == "cross-site":
            raise Forbidden("log in from this site's own pages")
        return
    scheme = "https" if ctx.secure else "http"
    own = f"{scheme}://{headers.get('host', '')}"
    if origin != own and origin not in allowed_origins:
        raise Forbidden(f"log in from this site's own pages, not from {origin[:100]}")


def _given(value: object) -> str | None:
    """A form field's text, None when absent (MISSING) or empty."""
    if hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    return value if isinstance(value, str) and value else None


class SqlAuthService:
    """Issues, rotates and revokes tokens; opens and ends cookie sessions.

    It opens short transactions itself instead of holding the request's connection: password hashing takes
    tens of milliseconds, and no connection (or, on SQLite, the database) should be held meanwhile.
    """

    def __init__(
        self,
        database: Database,
        checker: CredentialChecker,
        codec: TokenCodec,
        settings: Settings,
    ) -> None:
        self._database = database
        self._checker = checker
        self._codec = codec
        self._settings = settings

    async def issue_token(self, ctx: RequestContext, *, body: models.TokenRequest) -> models.TokenResponse:
        """Password grant or refresh-token grant; every answer is `Cache-Control: no-store`."""
        ctx.headers["Cache-Control"] = "no-store"
        ctx.headers["Pragma"] = "no-cache"
        if body.grant_type == "password":
            return await self._password_grant(
                _given(body.username), _given(body.password), _given(body.scope), client_ip=ctx.client_host
            )
        if body.grant_type == "refresh_token":
            return await self._refresh_grant(_given(body.refresh_token), _given(body.scope))
        raise OAuthError("unsupported_grant_type", "grant_type must be `password` or `refresh_token`")

    async def revoke_token(self, ctx: RequestContext, *, body: models.RevokeRequest) -> None:
        """End the session of a refresh (or access) token; unknown tokens are not an error (RFC 7009 §2.2)."""
        async with self._database.connect() as conn:
            sessions = self._sessions(conn)
            session_id = await sessions.session_of(body.token)
            if session_id is None:
                session_id = self._session_of_access_token(body.token)
            if session_id is not None:
                await sessions.revoke(session_id)
                await conn.commit()

    async def login(self, ctx: RequestContext, *, body: models.LoginForm) -> None:
        """Check the credentials and set the session and CSRF cookies; refuse forms posted from other sites."""
        _refuse_cross_site(ctx, self._settings.cors_origins)
        try:
            account = await self._checker.check(
                body.username, body.password.get_secret_value(), client_ip=ctx.client_host
            )
            session, _ = await self._open_session(account, account.scopes, with_refresh_token=False)
        except LoginFailed:
            raise Unauthorized("invalid username or password") from None
        # The cookie ends with the session at the latest: a stale one would only be refused.
        ttl = session.lifetime(self._settings.session_ttl_seconds)
        csrf = new_secret()
        access = self._codec.issue(
            subject=str(account.user_id),
            scopes=account.scopes,
            ttl_seconds=ttl,
            session_id=session.id,
            csrf_hash=hash_secret(csrf),
        )
        secure = self._cookie_secure(ctx)
        ctx.set_cookie(SESSION_COOKIE, access.token, max_age=ttl, secure=secure, httponly=True, samesite="lax")
        # Readable by the page's scripts, which echo it in X-CSRF-Token; it is useless without the session cookie.
        ctx.set_cookie(CSRF_COOKIE, csrf, max_age=ttl, secure=secure, httponly=False, samesite="lax")

    async def logout(self, ctx: RequestContext) -> None:
        """Revoke the caller's session (if any) and clear both cookies."""
        session_id = ctx.principal.claims.get("sid") if ctx.principal is not None else None
        if isinstance(session_id, str):
            async with self._database.connect() as conn:
                sessions = self._sessions(conn)
                await sessions.revoke(session_id)
                await conn.commit()
        ctx.delete_cookie(SESSION_COOKIE)
        ctx.delete_cookie(CSRF_COOKIE)

    async def _password_grant(
        self, username: str | None, password: str | None, scope: str | None, *, client_ip: str | None
    ) -> models.TokenResponse:
        if username is None or password is None:
            raise OAuthError("invalid_request", "the password grant needs `username` and `password`")
        try:
            account = await self._checker.check(username, password, client_ip=client_ip)
            scopes = _requested_scopes(scope, account.scopes)
            session, refresh_token = await self._open_session(account, scopes, with_refresh_token=True)
        except LoginFailed:
            raise OAuthError("invalid_grant", "invalid username or password") from None
        return self._token_response(account.user_id, scopes, session, refresh_token)

    async def _refresh_grant(self, refresh_token: str | None, scope: str | None) -> models.TokenResponse:
        if refresh_token is None:
            raise OAuthError("invalid_request", "the refresh_token grant needs `refresh_token`")
        async with self._database.connect() as conn:
            sessions = self._sessions(conn)
            grant = await sessions.redeem(refresh_token)
            scopes = _requested_scopes(scope, grant.scope)
            rotated = await sessions.issue_refresh_token(grant.session)
            await conn.commit()
        return self._token_response(grant.user_id, scopes, grant.session, rotated)

    async def _open_session(
        self, account: Account, scopes: frozenset[str], *, with_refresh_token: bool
    ) -> tuple[Session, str | None]:
        """LoginFailed when the account was deleted or deactivated, or its password changed, while it was checked."""
        async with self._database.connect() as conn:
            if not await password_still_current(conn, account.user_id, account.password_hash, to_change=False):
                raise LoginFailed
            sessions = self._sessions(conn)
            session = await sessions.open(account.user_id, scopes)
            refresh_token = await sessions.issue_refresh_token(session) if with_refresh_token else None
            await conn.commit()
        return session, refresh_token

    def _token_response(
        self, user_id: int, scopes: frozenset[str], session: Session, refresh_token: str | None
    ) -> models.TokenResponse:
        # No access token outlives its session: `expires_in` then tells the client when to log in again.
        access = self._codec.issue(
            subject=str(user_id),
            scopes=scopes,
            ttl_seconds=session.lifetime(self._settings.access_token_ttl_seconds),
            session_id=session.id,
        )
        fields: dict[str, object] = {
            "access_token": access.token,
            "token_type": "bearer",
            "expires_in": access.expires_in,
            "scope": " ".join(sorted(scopes)),
        }
        if refresh_token is not None:
            fields["refresh_token"] = refresh_token
        return models.TokenResponse.model_validate(fields)

    def _sessions(self, conn: DbConnection) -> SessionStore:
        return SessionStore(
            conn,
            refresh_ttl_seconds=self._settings.refresh_token_ttl_seconds,
            max_age_seconds=self._settings.session_max_age_seconds,
        )

    def _session_of_access_token(self, token: str) -> str | None:
        try:
            return self._codec.verify(token).session_id
        except InvalidToken:
            return None

    def _cookie_secure(self, ctx: RequestContext) -> bool:
        configured = self._settings.cookie_secure
        return ctx.secure if configured is None else configured
