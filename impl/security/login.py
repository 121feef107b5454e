"""Checking passwords: brute-force quotas reserved before hashing, constant-time failure, transparent rehash."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update

from impl.db import Database, DbConnection
from impl.security.emails import email_key
from impl.security.passwords import PasswordHasher
from impl.security.ratelimit import AttemptLimiter, Quota, reserve_or_refuse
from impl.settings import Settings
from impl.tables import users_table as _users

_LOGIN_COLUMNS = (_users.c.id, _users.c.password_hash, _users.c.is_active, _users.c.scopes)
_BY_EMAIL = select(*_LOGIN_COLUMNS).where(_users.c.email_key == bindparam("email_key"))
_BY_ID = select(*_LOGIN_COLUMNS).where(_users.c.id == bindparam("user_id"))
# Only over the hash that was verified: a password changed meanwhile must not come back as the old one's rehash.
_REHASH = (
    update(_users)
    .where(_users.c.id == bindparam("user_id"), _users.c.password_hash == bindparam("verified_hash"))
    .values(password_hash=bindparam("password_hash"))
)
# What a password was checked against, read again where the action it confirms is written, with the account's row
# locked (PostgreSQL) until that transaction ends: a password change or a deletion of the account then waits for it
# and sees what it wrote. FOR SHARE to add a session; FOR UPDATE to change the row (two FOR SHARE holders that both
# go on to update it would deadlock).
_STILL_CURRENT = select(_users.c.id).where(
    _users.c.id == bindparam("user_id"),
    _users.c.password_hash == bindparam("password_hash"),
    _users.c.is_active.is_(True),
)
_STILL_CURRENT_SHARED = _STILL_CURRENT.with_for_update(read=True)
_STILL_CURRENT_TO_CHANGE = _STILL_CURRENT.with_for_update()


class LoginFailed(Exception):
    """Wrong password, unknown user or disabled account: deliberately indistinguishable."""


@dataclass(frozen=True, slots=True)
class Account:
    """The authenticated account."""

    user_id: int
    scopes: frozenset[str]
    # The hash the password was verified against (after a transparent rehash, the new one).
    password_hash: str


class CredentialChecker:
    """Verifies passwords, each guess reserved against the brute-force quotas before it is hashed.

    Quotas per guess: (account, client address) — the one a guesser exhausts quickly, and only from their own
    address, so the owner elsewhere is not locked out; the account's total from every address (a much higher
    ceiling, against a guesser spread over many addresses); and the client address across accounts.
    """

    def __init__(self, database: Database, hasher: PasswordHasher, limiter: AttemptLimiter, settings: Settings) -> None:
        self._database = database
        self._hasher = hasher
        self._limiter = limiter
        self._settings = settings

    async def check(self, username: str, password: str, *, client_ip: str | None) -> Account:
        """The account for these credentials; raises TooManyRequests (429) or LoginFailed."""
        key = email_key(username)
        async with self._database.connect() as conn:
            row = (await conn.execute(_BY_EMAIL, {"email_key": key})).one_or_none()
        # The hash is checked even for unknown users, against a dummy: equal work, equal timing.
        stored = None if row is None else row.password_hash
        valid, new_hash = await self._guarded(key, client_ip, lambda: self._hasher.verify(password, stored))
        if row is None or not valid or not row.is_active:
            raise LoginFailed
        if new_hash is not None and not await self._rehashed(row.id, row.password_hash, new_hash):
            return await self._check_again(row.id, password)
        return Account(user_id=row.id, scopes=frozenset(row.scopes), password_hash=new_hash or row.password_hash)

    async def _rehashed(self, user_id: int, verified_hash: str, new_hash: str) -> bool:
        """Store the upgraded hash over the one the password was verified against; False if that one changed."""
        async with self._database.connect() as conn:
            rehash = {"user_id": user_id, "verified_hash": verified_hash, "password_hash": new_hash}
            if (await conn.execute(_REHASH, rehash)).rowcount != 1:
                return False
            await conn.commit()
        return True

    async def _check_again(self, user_id: int, password: str) -> Account:
        """The hash changed while the password was verified: another login rehashed the same password first, or
        the owner changed it. The stored hash decides (one more hash, in that race only): the first logs in, the
        second is refused — the old password never comes back, and a right one is not refused."""
        async with self._database.connect() as conn:
            row = (await conn.execute(_BY_ID, {"user_id": user_id})).one_or_none()
        if row is None or not row.is_active:
            raise LoginFailed
        valid, _ = await self._hasher.verify(password, row.password_hash)
        if not valid:
            raise LoginFailed
        return Account(user_id=row.id, scopes=frozenset(row.scopes), password_hash=row.password_hash)

    async def confirm(self, email: str, password_hash: str, password: str, *, client_ip: str | None) -> bool:
        """Whether `password` is the account's current one; a wrong one counts as a failed login of the account."""
        valid, _ = await self._guarded(
            email_key(email), client_ip, lambda: self._hasher.verify(password, password_hash)
        )
        return valid

    async def _guarded(
        self, account: str, client_ip: str | None, verify: Callable[[], Awaitable[tuple[bool, str | None]]]
    ) -> tuple[bool, str | None]:
        quotas = self._quotas(account, client_ip)
        await reserve_or_refuse(self._limiter, quotas, "too many failed password attempts")
        try:
            valid, new_hash = await verify()
        except BaseException:
            await self._limiter.release(quotas)  # nothing was evaluated (e.g. no hashing capacity): not a guess
            raise
        if valid:
            # A right password is not a failure: its reservation is given back. The window's failures stay counted
            # (no reset), so a right password in a burst of guesses never makes room for more of them.
            await self._limiter.release(quotas)
        return valid, new_hash

    def _quotas(self, account: str, client_ip: str | None) -> tuple[Quota, ...]:
        settings = self._settings
        window = settings.login_failure_window_seconds
        address = client_ip or "unknown"
        return (
            Quota(f"login:{account}|{address}", settings.login_failures_per_user, window),
            Quota(f"login:{account}", settings.login_failures_per_user_total, window),
            Quota(f"login-address:{address}", settings.login_failures_per_ip, window),
        )


async def password_still_current(conn: DbConnection, user_id: int, password_hash: str, *, to_change: bool) -> bool:
    """Whether the account is still active with `password_hash`, the hash a password was just verified against,
    keeping it so until the transaction ends. An action confirmed with a password must not apply when the password
    stopped being the account's while it was verified (~50 ms of argon2 off the event loop): a login with a leaked
    password would get a session that outlives the change, and a change confirmed with the old password would undo
    the new one. `to_change`: the transaction goes on to change or delete the account's row."""
    statement = _STILL_CURRENT_TO_CHANGE if to_change else _STILL_CURRENT_SHARED
    return (await conn.execute(statement, {"user_id": user_id, "password_hash": password_hash})).first() is not None
