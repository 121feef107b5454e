"""User accounts: sign-up, self-service changes, administration. Other people's accounts look absent (404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import MISSING
from sqlalchemy import Row, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from generated import models
from generated.runtime import Principal, RequestContext
from generated.security import SCOPE_USERS_ADMIN
from impl.db import Database, DbConnection
from impl.problems import Conflict, Forbidden, InvalidRequest, NotFound, Unauthorized
from impl.security.login import email_key
from impl.security.passwords import PasswordHasher, check_password_policy
from impl.security.sessions import SessionStore
from impl.settings import Settings
from impl.tables import UserRow, table_of

_users = table_of(UserRow)
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


class SqlUsersService:
    """Accounts in SQL; passwords hashed with argon2id outside any open transaction."""

    def __init__(self, database: Database, hasher: PasswordHasher, settings: Settings) -> None:
        self._database = database
        self._hasher = hasher
        self._settings = settings

    async def create_user(self, ctx: RequestContext, *, body: models.UserCreate) -> models.User:
        """Sign up; the e-mail is unique regardless of case (409 otherwise)."""
        password = body.password.get_secret_value()
        check_password_policy(password, email=str(body.email))
        password_hash = await self._hasher.hash(password)
        now = dt.datetime.now(dt.UTC)
        values = {
            "email": str(body.email),
            "email_key": email_key(str(body.email)),
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
        return _to_user(row)

    async def list_users(self, ctx: RequestContext, *, skip: int, limit: int) -> list[models.User]:
        """A page of accounts in id order (the contract restricts this to `users:admin`)."""
        if SCOPE_USERS_ADMIN not in _caller(ctx).scopes:
            raise Forbidden(f"listing users needs the {SCOPE_USERS_ADMIN} scope")
        async with self._database.connect() as conn:
            rows = (await conn.execute(_PAGE, {"skip": skip, "limit": limit})).all()
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
        return _to_user(row)

    async def update_current_user(self, ctx: RequestContext, *, body: models.UserUpdate) -> models.User:
        """Change name, e-mail or password; a new password needs the current one and ends the other sessions."""
        principal = _caller(ctx)
        user_id = int(principal.subject)
        async with self._database.connect() as conn:
            current = await self._row(conn, user_id)
        changes: dict[str, object] = {}
        if body.full_name is not MISSING:
            changes["full_name"] = body.full_name
        if body.email is not MISSING:
            changes["email"], changes["email_key"] = str(body.email), email_key(str(body.email))
        if body.password is not MISSING:
            changes["password_hash"] = await self._new_password_hash(body, current)
        async with self._database.connect() as conn:
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
                sessions = SessionStore(conn, refresh_ttl_seconds=self._settings.refresh_token_ttl_seconds)
                await sessions.revoke_all(user_id, keep=session_id if isinstance(session_id, str) else None)
            row = await self._row(conn, user_id)
            await conn.commit()
        return _to_user(row)

    async def delete_user(self, ctx: RequestContext, *, user_id: int) -> None:
        """Delete an account with its sessions and items (self or administrator)."""
        if not _may_see(_caller(ctx), user_id):
            raise NotFound(f"user {user_id} does not exist")
        async with self._database.connect() as conn:
            result = await conn.execute(_DELETE, {"user_id": user_id})
            if result.rowcount != 1:
                raise NotFound(f"user {user_id} does not exist")
            await conn.commit()

    async def _new_password_hash(self, body: models.UserUpdate, current: Row[Any]) -> str:
        assert body.password is not MISSING
        new_password = body.password.get_secret_value()
        given = "" if body.current_password is MISSING else body.current_password.get_secret_value()
        valid, _ = await self._hasher.verify(given, current.password_hash)
        if not valid:
            errors = [
                {"loc": ["body", "current_password"], "msg": "the current password is wrong", "type": "value_error"}
            ]
            raise InvalidRequest("changing the password needs the current password", errors=errors)
        email = str(body.email) if body.email is not MISSING else current.email
        check_password_policy(new_password, email=email)
        return await self._hasher.hash(new_password)

    @staticmethod
    async def _row(conn: DbConnection, user_id: int) -> Row[Any]:
        row = (await conn.execute(_GET, {"user_id": user_id})).one_or_none()
        if row is None:
            raise NotFound(f"user {user_id} does not exist")
        return row
