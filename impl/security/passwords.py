"""Argon2id password hashing (pwdlib) off the event loop, with rehash-on-login and the password policy."""

from __future__ import annotations

import anyio.to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from impl.problems import InvalidRequest
from impl.settings import Settings

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


class PasswordHasher:
    """Hashes and verifies passwords; a hash made with other parameters is upgraded on the next login."""

    def __init__(self, settings: Settings) -> None:
        self._hash = PasswordHash(
            (
                Argon2Hasher(
                    time_cost=settings.argon2_time_cost,
                    memory_cost=settings.argon2_memory_cost_kib,
                    parallelism=settings.argon2_parallelism,
                ),
            )
        )
        # Verifying unknown users against this keeps "no such user" as slow as "wrong password".
        self._dummy_hash = self._hash.hash("timing-equaliser-not-a-password")

    async def hash(self, password: str) -> str:
        """An argon2id hash (computed in a worker thread: it takes tens of milliseconds by design)."""
        return await anyio.to_thread.run_sync(self._hash.hash, password)

    async def verify(self, password: str, stored_hash: str | None) -> tuple[bool, str | None]:
        """(valid, replacement hash or None); a missing hash is checked against a dummy and never valid."""
        target = stored_hash if stored_hash is not None else self._dummy_hash
        valid, updated = await anyio.to_thread.run_sync(self._hash.verify_and_update, password, target)
        if stored_hash is None:
            return False, None
        return valid, updated


def check_password_policy(password: str, *, email: str, field: str = "password") -> None:
    """Raise a 422 problem naming `field` when the password breaks the policy (the contract checks length too)."""
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"must be at most {MAX_PASSWORD_LENGTH} characters long")
    if not password.strip():
        problems.append("must not be only whitespace")
    if password.casefold() == email.casefold():
        problems.append("must not be the e-mail address")
    if problems:
        errors = [{"loc": ["body", field], "msg": f"password {p}", "type": "password_policy"} for p in problems]
        raise InvalidRequest(f"the password breaks the policy: {'; '.join(problems)}", errors=errors)
