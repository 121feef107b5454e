"""Login sessions and their rotating refresh tokens: one family per login, single-use tokens, theft detection, and
an absolute lifetime (SESSION_MAX_AGE_SECONDS) that no refresh extends and no token outlives."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update

from impl.db import DbConnection
from impl.problems import OAuthError
from impl.security.tokens import hash_secret, new_secret
from impl.tables import refresh_tokens_table as _refresh
from impl.tables import sessions_table as _sessions
from impl.tables import users_table as _users

_OPEN = insert(_sessions)
_ISSUE = insert(_refresh)
_LOOKUP = (
    select(
        _refresh.c.id,
        _refresh.c.session_id,
        _refresh.c.expires_at,
        _refresh.c.used_at,
        _sessions.c.user_id,
        _sessions.c.scope,
        _sessions.c.revoked_at,
        _sessions.c.expires_at.label("session_expires_at"),
        _users.c.is_active,
        _users.c.scopes.label("account_scopes"),
    )
    .join(_sessions, _sessions.c.id == _refresh.c.session_id)
    .join(_users, _users.c.id == _sessions.c.user_id)
    .where(_refresh.c.token_hash == bindparam("token_hash"))
)
# Redeeming locks the session first (FOR KEY SHARE; SQLite has no row locks and needs none): an account deletion
# cascading to the session then waits for the grant, instead of taking the session while the grant holds the spent
# token's row, which both need (a deadlock on PostgreSQL, and a 500 for one of them).
_LOOKUP_TO_REDEEM = _LOOKUP.with_for_update(of=_sessions, read=True, key_share=True)
_MARK_USED = (
    update(_refresh)
    .where(_refresh.c.id == bindparam("token_id"), _refresh.c.used_at.is_(None))
    .values(used_at=bindparam("now"))
)
_REVOKE = (
    update(_sessions)
    .where(_sessions.c.id == bindparam("session_id"), _sessions.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("now"))
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Session:
    """A login: the family its refresh tokens belong to, usable until `expires_at` however often it is refreshed."""

    id: str
    expires_at: dt.datetime

    def lifetime(self, ttl_seconds: int, *, now: dt.datetime | None = None) -> int:
        """`ttl_seconds`, cut to the whole seconds left of the session (at least 1): for the tokens it mints."""
        left = int((self.expires_at - (now or _now())).total_seconds())
        return max(1, min(ttl_seconds, left))


@dataclass(frozen=True, slots=True)
class Grant:
    """What a valid refresh token entitles its holder to: the session's scopes the account still has."""

    user_id: int
    session: Session
    scope: frozenset[str]


class SessionStore:
    """Sessions and refresh tokens over one connection; the caller commits."""

    def __init__(self, conn: DbConnection, *, refresh_ttl_seconds: int, max_age_seconds: int) -> None:
        self._conn = conn
        self._refresh_ttl = dt.timedelta(seconds=refresh_ttl_seconds)
        self._max_age = dt.timedelta(seconds=max_age_seconds)

    async def open(self, user_id: int, scope: frozenset[str]) -> Session:
        """A new session (token family) for `user_id`, ending `max_age_seconds` from now."""
        now = _now()
        session = Session(id=str(uuid.uuid4()), expires_at=now + self._max_age)
        params = {
            "id": session.id,
            "user_id": user_id,
            "scope": " ".join(sorted(scope)),
            "created_at": now,
            "expires_at": session.expires_at,
        }
        await self._conn.execute(_OPEN, params)
        return session

    async def issue_refresh_token(self, session: Session) -> str:
        """A fresh single-use refresh token of the session, expiring with it at the latest; only its hash is stored."""
        token = new_secret()
        now = _now()
        params = {
            "token_hash": hash_secret(token),
            "session_id": session.id,
            "issued_at": now,
            "expires_at": min(now + self._refresh_ttl, session.expires_at),
        }
        await self._conn.execute(_ISSUE, params)
        return token

    async def redeem(self, refresh_token: str) -> Grant:
        """Spend a refresh token. Reusing a spent one revokes its whole family (it was stolen or replayed); a session
        past its expiry is refused whatever its token says, like a revoked one (nothing of it can be stolen then)."""
        row = (await self._conn.execute(_LOOKUP_TO_REDEEM, {"token_hash": hash_secret(refresh_token)})).one_or_none()
        if row is None or row.revoked_at is not None:
            raise OAuthError("invalid_grant", "the refresh token is invalid or revoked")
        if not row.is_active:
            raise OAuthError("invalid_grant", "the account is deactivated")
        now = _now()
        if row.session_expires_at <= now:
            raise OAuthError("invalid_grant", "the session has expired")
        if row.used_at is not None:
            await self._revoke_and_commit(row.session_id)
            raise OAuthError("invalid_grant", "the refresh token was already used; its session is revoked")
        if row.expires_at <= now:
            raise OAuthError("invalid_grant", "the refresh token has expired")
        # Compare-and-set: of two concurrent redemptions exactly one wins; the other counts as reuse.
        spent = await self._conn.execute(_MARK_USED, {"token_id": row.id, "now": now})
        if spent.rowcount != 1:
            await self._conn.rollback()
            await self._revoke_and_commit(row.session_id)
            raise OAuthError("invalid_grant", "the refresh token was already used; its session is revoked")
        scope = frozenset(row.scope.split()) & frozenset(row.account_scopes)
        session = Session(id=row.session_id, expires_at=row.session_expires_at)
        return Grant(user_id=row.user_id, session=session, scope=scope)

    async def revoke(self, session_id: str) -> None:
        """End a session: its refresh tokens and the access tokens naming it stop working."""
        await self._conn.execute(_REVOKE, {"session_id": session_id, "now": _now()})

    async def session_of(self, refresh_token: str) -> str | None:
        """The session a refresh token belongs to, spent or not (for revocation)."""
        row = (await self._conn.execute(_LOOKUP, {"token_hash": hash_secret(refresh_token)})).one_or_none()
        return None if row is None else str(row.session_id)

    async def revoke_all(self, user_id: int, *, keep: str | None = None) -> None:
        """End every session of a user (after a password change), except `keep`."""
        stmt = update(_sessions).where(_sessions.c.user_id == user_id, _sessions.c.revoked_at.is_(None))
        if keep is not None:
            stmt = stmt.where(_sessions.c.id != keep)
        await self._conn.execute(stmt.values(revoked_at=_now()))

    async def _revoke_and_commit(self, session_id: str) -> None:
        # Committed before the error is raised: the request's rollback must not undo the revocation.
        await self.revoke(session_id)
        await self._conn.commit()
