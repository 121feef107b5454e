"""Checking a username and password: brute-force limits, constant-time failure, transparent rehash."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select, update

from impl.db import Database
from impl.problems import TooManyRequests
from impl.security.passwords import PasswordHasher
from impl.security.ratelimit import LoginRateLimiter
from impl.tables import UserRow, table_of

_users = table_of(UserRow)
_BY_EMAIL = select(_users.c.id, _users.c.password_hash, _users.c.is_active, _users.c.scopes).where(
    _users.c.email_key == bindparam("email_key")
)
_REHASH = update(_users).where(_users.c.id == bindparam("user_id")).values(password_hash=bindparam("password_hash"))


class LoginFailed(Exception):
    """Wrong password, unknown user or disabled account: deliberately indistinguishable."""


@dataclass(frozen=True, slots=True)
class Account:
    """The authenticated account."""

    user_id: int
    scopes: frozenset[str]


def email_key(email: str) -> str:
    """The case-insensitive identity of an e-mail address (uniqueness and login both use it)."""
    return email.strip().casefold()


class CredentialChecker:
    """Verifies credentials under per-username and per-address failure limits."""

    def __init__(
        self,
        database: Database,
        hasher: PasswordHasher,
        *,
        per_user: LoginRateLimiter,
        per_address: LoginRateLimiter,
    ) -> None:
        self._database = database
        self._hasher = hasher
        self._per_user = per_user
        self._per_address = per_address

    async def check(self, username: str, password: str, *, client_ip: str | None) -> Account:
        """The account for these credentials; raises TooManyRequests (429) or LoginFailed."""
        limits = [(self._per_user, f"user:{email_key(username)}")]
        if client_ip:
            limits.append((self._per_address, f"ip:{client_ip}"))
        for limiter, key in limits:
            wait = await limiter.retry_after(key)
            if wait is not None:
                raise TooManyRequests(f"too many failed logins; retry in {wait} seconds", retry_after=wait)
        async with self._database.connect() as conn:
            row = (await conn.execute(_BY_EMAIL, {"email_key": email_key(username)})).one_or_none()
        # The hash is checked even for unknown users, against a dummy: equal work, equal timing.
        valid, new_hash = await self._hasher.verify(password, None if row is None else row.password_hash)
        if row is None or not valid or not row.is_active:
            for limiter, key in limits:
                await limiter.record_failure(key)
            raise LoginFailed
        if new_hash is not None:
            async with self._database.connect() as conn:
                await conn.execute(_REHASH, {"user_id": row.id, "password_hash": new_hash})
                await conn.commit()
        await self._per_user.reset(limits[0][1])
        return Account(user_id=row.id, scopes=frozenset(row.scopes))
