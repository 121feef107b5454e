"""Argon2id password hashing (pwdlib) off the event loop, with rehash-on-login and the password policy."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from zxcvbn_rs_py import zxcvbn

from impl.problems import InvalidRequest, ServiceUnavailable
from impl.settings import Settings

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


class HashingCapacity:
    """At most `concurrent` password hashes at once in this process and `queued` more waiting; beyond that 503.

    Each argon2 hash holds its memory cost (7 MiB by default) for its whole run: without a bound, 40 concurrent
    sign-ups held 280 MiB and saturated every core. Waiting requests cost next to nothing.
    """

    RETRY_AFTER_SECONDS = 1

    def __init__(self, *, concurrent: int, queued: int) -> None:
        self._slots = asyncio.Semaphore(concurrent)
        self._queued = queued
        self._waiting = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one hashing slot; raises ServiceUnavailable when every slot is busy and the queue is full."""
        if self._slots.locked():
            if self._waiting >= self._queued:
                raise ServiceUnavailable(
                    "too many password checks are in progress; retry shortly", retry_after=self.RETRY_AFTER_SECONDS
                )
            self._waiting += 1
            try:
                await self._slots.acquire()
            finally:
                self._waiting -= 1
        else:
            await self._slots.acquire()
        try:
            yield
        finally:
            self._slots.release()


class PasswordHasher:
    """Hashes and verifies passwords within the process's hashing capacity; a hash made with other parameters is
    upgraded on the next login."""

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
        self._capacity = HashingCapacity(concurrent=settings.max_concurrent_hashes, queued=settings.max_queued_hashes)
        # Verifying unknown users against this keeps "no such user" as slow as "wrong password".
        self._dummy_hash = self._hash.hash("timing-equaliser-not-a-password")

    async def hash(self, password: str) -> str:
        """An argon2id hash (computed in a worker thread: it takes tens of milliseconds by design)."""
        async with self._capacity.slot():
            return await anyio.to_thread.run_sync(self._hash.hash, password)

    async def verify(self, password: str, stored_hash: str | None) -> tuple[bool, str | None]:
        """(valid, replacement hash or None); a missing hash is checked against a dummy and never valid."""
        target = stored_hash if stored_hash is not None else self._dummy_hash
        async with self._capacity.slot():
            valid, updated = await anyio.to_thread.run_sync(self._hash.verify_and_update, password, target)
        if stored_hash is None:
            return False, None
        return valid, updated


# zxcvbn rates the first this many characters. Its l33t matcher grows combinatorially with the symbols it sees:
# a crafted 128-character password costs ~0.7 s of CPU (the Rust implementation; seconds with zxcvbn's Python one),
# 16 characters ~5 ms. All but a handful of the entries of its common-password list are at most 16 characters long,
# so those are still recognised.
RATED_PREFIX_LENGTH = 16
# zxcvbn score 0-1: fewer than ~10^6 guesses (common passwords and their variants, keyboard walks, repeats,
# sequences, dates, the user's own address). Score 2 still admits any random 8-character password.
MIN_ZXCVBN_SCORE = 2


async def enforce_password_policy(password: str, *, email: str, field: str = "password") -> None:
    """`check_password_policy` in a worker thread: rating a password costs milliseconds of CPU, which must not
    stall the event loop."""
    await anyio.to_thread.run_sync(lambda: check_password_policy(password, email=email, field=field))


def check_password_policy(password: str, *, email: str, field: str = "password") -> None:
    """Raise a 422 problem naming `field` when the password breaks the policy (the contract checks length too)."""
    problems: list[str] = []
    if not _is_encodable(password):
        # A lone surrogate (`"\ud800"` in JSON) has no UTF-8 form: argon2 could not even hash it.
        problems.append("must be valid Unicode text (it contains a lone surrogate)")
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"must be at most {MAX_PASSWORD_LENGTH} characters long")
    if not password.strip():
        problems.append("must not be only whitespace")
    if password.casefold() == email.casefold():
        problems.append("must not be the e-mail address")
    if not problems:
        weakness = _guessability(password, email=email)
        if weakness is not None:
            problems.append(f"is too easy to guess ({weakness})")
    if problems:
        errors = [{"loc": ["body", field], "msg": f"password {p}", "type": "password_policy"} for p in problems]
        raise InvalidRequest(f"the password breaks the policy: {'; '.join(problems)}", errors=errors)


def _is_encodable(password: str) -> bool:
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _guessability(password: str, *, email: str) -> str | None:
    """zxcvbn's reason when the password (its first RATED_PREFIX_LENGTH characters) is too guessable, else None."""
    local, _, domain = email.casefold().rpartition("@")
    # The address and its pieces count as known words: `carolsmith1` is weak for carol.smith@example.com.
    user_inputs = [email.casefold(), local, *re.split(r"[._+-]", local), *domain.split(".")]
    rating = zxcvbn(password[:RATED_PREFIX_LENGTH], [word for word in user_inputs if word])
    if int(rating.score) >= MIN_ZXCVBN_SCORE:  # a `Score` enum at run time (the stub says int): no ordering
        return None
    feedback = rating.feedback
    if feedback is None:
        return "a common pattern"
    # The enums' str() is zxcvbn's English sentence ("This is a top-10 common password.").
    reason = feedback.warning or next(iter(feedback.suggestions), None)
    return str(reason).rstrip(".").lower() if reason is not None else "a common pattern"
