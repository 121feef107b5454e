"""User accounts: sign-up, self-service changes, administration. Other people's accounts look absent (404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import MISSING, SecretStr
from sqlalchemy import Row, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from generated import models
from generated.runtime import Principal, RequestContext
from generated.security import SCOPE_USERS_ADMIN
from impl.concurrent_deletes import lock_account_for_deletion
from impl.db import Database, DbConnection
from impl.files import FileStore, forget_account_files
from impl.problems import Conflict, Forbidden, InvalidRequest, NotFound, Unauthorized
from impl.security.emails import canonical_email, email_key
from impl.security.login import CredentialChecker, password_still_current
from impl.security.passwords import PasswordHasher, enforce_password_policy
from impl.security.ratelimit import AttemptLimiter, Quota, reserve_or_refuse
from impl.security.sessions import SessionStore
from impl.settings import Settings
from impl.tables import users_table as _users

_PUBLIC = (_users.c.id, _users.c.email, _users.c.full_name, _users.c.is_active, _users.c.scopes, _users.c.created_at)
_GET = select(*_PUBLIC, _users.c.password_hash).where(_users.c.id == bindparam("user_id"))
_PAGE = select(*_PUBLIC).order_by(_users.c.id).offset(bindparam("skip")).limit(bindparam("limit"))
_INSERT = insert(_users).returning(*_PUBLIC)
_DELETE = delete(_users).where(_users.c.id == bindparam("user_id"))


def _to_user(row: Row[Any]) -> models.User:
    return models.User.model_validate({column.name: row._mapping[column.name] for column in _PUBLIC})


def _caller(ctx: RequestContext) -> Principal:
    if ctx.principal is None:  # the contract makes these operations require credentials; never trust that alone
        raise Unauthorized("this operation needs credentials")
    return ctx.principal


def _may_see(principal: Principal, user_id: int) -> bool:
    return principal.subject == str(user_id) or SCOPE_USERS_ADMIN in principal.scopes


def _no_store(ctx: RequestContext) -> None:
    # Account data must not be kept by a shared or browser cache.
    ctx.headers["Cache-Control"] = "no-store"


def _field_error(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(message, errors=[{"loc": ["body", field], "msg": message, "type": "value_error"}])


# The caller's and the other account's rows, locked in id order: every pair of administrators changing each other
# locks the two rows in the same order, so one waits for the other instead of deadlocking.
_ADMINISTRATORS = (
    select(_users.c.id, _users.c.scopes, _users.c.is_active)
    .where(_users.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_users.c.id)
    .with_for_update()
)


async def _still_administrator(conn: DbConnection, caller_id: int, user_id: int) -> None:
    """403 unless the caller is still an active administrator, both accounts locked until the change commits. The
    right was checked when the request was authenticated; another administrator may have taken it since, and two
    taking each other's at once would leave none (the reason no administrator changes their own)."""
    rows = (await conn.execute(_ADMINISTRATORS, {"ids": [caller_id, user_id]})).all()
    if not any(row.id == caller_id and row.is_active and SCOPE_USERS_ADMIN in row.scopes for row in rows):
        raise Forbidden(f"changing accounts needs the {SCOPE_USERS_ADMIN} scope")


async def _still_confirmed(conn: DbConnection, user_id: int, password_hash: str) -> None:
    """422 naming `current_password` when the password it was checked against stopped being the account's while it
    was checked (impl/security/login.py: `password_still_current`); the row stays locked for the change."""
    if not await password_still_current(conn, user_id, password_hash, to_change=True):
        raise _field_error("current_password", "the current password changed while this request was checked")


class SqlUsersService:
    """Accounts in SQL; passwords hashed with argon2id outside any open transaction. Deleting an account deletes its
    files' bytes too: its uploads and its items' images."""

    def __init__(
        self,
        database: Database,
        hasher: PasswordHasher,
        checker: CredentialChecker,
        limiter: AttemptLimiter,
        settings: Settings,
        *,
        files: FileStore | None = None,
    ) -> None:
        self._database = database
        self._hasher = hasher
        self._checker = checker
        self._limiter = limiter
        self._settings = settings
        # Where the bytes of a deleted account's files go from (without it they stay in storage, unreferenced).
        self._files = files

    async def create_user(self, ctx: RequestContext, *, body: models.UserCreate) -> models.User:
        """Sign up; the e-mail is unique regardless of case (409 otherwise); limited per client address."""
        email = canonical_email(str(body.email))
        password = body.password.get_secret_value()
        # Counted first: rating the password and hashing it are the expensive parts a flood would aim at.
        await self._reserve_sign_up(ctx)
        await enforce_password_policy(password, email=email)
        password_hash = await self._hasher.hash(password)
        now = dt.datetime.now(dt.UTC)
        values = {
            "email": email,
            "email_key": email_key(email),
            "full_name": None if body.full_name is MISSING else body.full_name,
            "password_hash": password_hash,
            "scopes": sorted(self._settings.default_scopes),
            "is_active": True,
            "created_at": now,
            "updated_at": now,
        }
        async with self._database.connect() as conn:
            try:
                row = (await conn.execute(_INSERT, values)).one()
                await conn.commit()
            except IntegrityError:
                raise Conflict("an account with this e-mail address already exists") from None
        _no_store(ctx)
        return _to_user(row)

    async def list_users(self, ctx: RequestContext, *, skip: int, limit: int) -> list[models.User]:
        """A page of accounts in id order (the contract restricts this to `users:admin`)."""
        if SCOPE_USERS_ADMIN not in _caller(ctx).scopes:
            raise Forbidden(f"listing users needs the {SCOPE_USERS_ADMIN} scope")
        async with self._database.connect() as conn:
            rows = (await conn.execute(_PAGE, {"skip": skip, "limit": limit})).all()
        _no_store(ctx)
        return [_to_user(row) for row in rows]

    async def read_current_user(self, ctx: RequestContext) -> models.User:
        """The caller's own account."""
        return await self.get_user(ctx, user_id=int(_caller(ctx).subject))

    async def get_user(self, ctx: RequestContext, *, user_id: int) -> models.User:
        """An account the caller may see: their own, or any for an administrator."""
        principal = _caller(ctx)
        if not _may_see(principal, user_id):
            raise NotFound(f"user {user_id} does not exist")
        async with self._database.connect() as conn:
            row = await self._row(conn, user_id)
        _no_store(ctx)
        return _to_user(row)

    async def update_current_user(self, ctx: RequestContext, *, body: models.UserUpdate) -> models.User:
        """Change name, e-mail or password; e-mail and password need the current one, and a new password ends the
        other sessions."""
        principal = _caller(ctx)
        user_id = int(principal.subject)
        async with self._database.connect() as conn:
            current = await self._row(conn, user_id)
        changes: dict[str, object] = {}
        if body.full_name is not MISSING:
            changes["full_name"] = body.full_name
        confirmed = body.email is not MISSING or body.password is not MISSING
        if confirmed:
            await self._confirm_current_password(ctx, body.current_password, current)
        if body.email is not MISSING:
            email = canonical_email(str(body.email))
            changes["email"], changes["email_key"] = email, email_key(email)
        if body.password is not MISSING:
            new_password = body.password.get_secret_value()
            await enforce_password_policy(new_password, email=str(changes.get("email", current.email)))
            changes["password_hash"] = await self._hasher.hash(new_password)
        async with self._database.connect() as conn:
            if confirmed:
                await _still_confirmed(conn, user_id, current.password_hash)
            if changes:
                stmt = (
                    update(_users).where(_users.c.id == user_id).values(**changes, updated_at=dt.datetime.now(dt.UTC))
                )
                try:
                    await conn.execute(stmt)
                except IntegrityError:
                    raise Conflict("an account with this e-mail address already exists") from None
            if "password_hash" in changes:
                session_id = principal.claims.get("sid")
                await self._sessions(conn).revoke_all(user_id, keep=session_id if isinstance(session_id, str) else None)
            row = await self._row(conn, user_id)
            await conn.commit()
        _no_store(ctx)
        return _to_user(row)

    async def update_user(self, ctx: RequestContext, *, user_id: int, body: models.UserAdminUpdate) -> models.User:
        """An administrator activates, deactivates or re-scopes another account; deactivation ends its sessions."""
        principal = _caller(ctx)
        if SCOPE_USERS_ADMIN not in principal.scopes:
            raise Forbidden(f"changing accounts needs the {SCOPE_USERS_ADMIN} scope")
        if principal.subject == str(user_id):
            # An administrator could otherwise lock every administrator out, themselves last.
            raise Conflict("administrators cannot change the status or scopes of their own account")
        changes: dict[str, object] = {}
        if body.is_active is not MISSING:
            changes["is_active"] = body.is_active
        if body.scopes is not MISSING:
            if len(set(body.scopes)) != len(body.scopes):
                raise _field_error("scopes", "scopes must not repeat")
            changes["scopes"] = sorted(scope.value for scope in body.scopes)
        if not changes:
            raise InvalidRequest("name at least one of is_active and scopes", errors=[])
        async with self._database.connect() as conn:
            await _still_administrator(conn, int(principal.subject), user_id)
            stmt = update(_users).where(_users.c.id == user_id).values(**changes, updated_at=dt.datetime.now(dt.UTC))
            if (await conn.execute(stmt)).rowcount != 1:
                raise NotFound(f"user {user_id} does not exist")
            if changes.get("is_active") is False:
                await self._sessions(conn).revoke_all(user_id)
            row = await self._row(conn, user_id)
            await conn.commit()
        _no_store(ctx)
        return _to_user(row)

    async def delete_user(self, ctx: RequestContext, *, user_id: int, body: models.AccountDeletion | None) -> None:
        """Delete an account with its sessions and items: your own (with the current password), or any as an
        administrator."""
        principal = _caller(ctx)
        if not _may_see(principal, user_id):
            raise NotFound(f"user {user_id} does not exist")
        confirmed = None
        if principal.subject == str(user_id):
            async with self._database.connect() as conn:
                current = await self._row(conn, user_id)
            await self._confirm_current_password(ctx, MISSING if body is None else body.current_password, current)
            confirmed = current.password_hash
        async with self._database.connect() as conn:
            if confirmed is None:  # an administrator's deletion of another account
                await _still_administrator(conn, int(principal.subject), user_id)
            # Locked first: the files committed meanwhile are among those collected (impl/concurrent_deletes.py).
            if not await lock_account_for_deletion(conn, user_id):
                raise NotFound(f"user {user_id} does not exist")
            if confirmed is not None:
                await _still_confirmed(conn, user_id, confirmed)
            stored = await forget_account_files(conn, user_id)
            await conn.execute(_DELETE, {"user_id": user_id})
            await conn.commit()
        if self._files is not None:
            await self._files.discard(stored)  # after the commit: a rollback must not lose the bytes

    async def _confirm_current_password(self, ctx: RequestContext, given: object, current: Row[Any]) -> None:
        """422 naming `current_password` unless it is right; wrong ones count as failed logins (then 429).

        `given` is the body's field: a SecretStr, or MISSING when the client left it out.
        """
        if not isinstance(given, SecretStr):
            raise _field_error("current_password", "this change needs the current password")
        valid = await self._checker.confirm(
            current.email, current.password_hash, given.get_secret_value(), client_ip=ctx.client_host
        )
        if not valid:
            raise _field_error("current_password", "the current password is wrong")

    async def _reserve_sign_up(self, ctx: RequestContext) -> None:
        settings = self._settings
        quota = Quota(
            f"sign-up:{ctx.client_host or 'unknown'}", settings.signups_per_address, settings.signup_window_seconds
        )
        await reserve_or_refuse(self._limiter, (quota,), "too many sign-ups from this address")

    def _sessions(self, conn: DbConnection) -> SessionStore:
        return SessionStore(
            conn,
            refresh_ttl_seconds=self._settings.refresh_token_ttl_seconds,
            max_age_seconds=self._settings.session_max_age_seconds,
        )

    @staticmethod
    async def _row(conn: DbConnection, user_id: int) -> Row[Any]:
        row = (await conn.execute(_GET, {"user_id": user_id})).one_or_none()
        if row is None:
            raise NotFound(f"user {user_id} does not exist")
        return row
