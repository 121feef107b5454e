"""Brute-force protection for login: failed attempts per key in a fixed window, in memory or in Redis."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

DEFAULT_MAX_KEYS = 100_000

# INCR and the first EXPIRE in one atomic step, so a crash between them can never leave a counter without expiry.
# `TTL == -1` (not just `n == 1`) also repairs a key that somehow lost its expiry, instead of locking it out forever.
_RECORD_FAILURE_LUA = """
local n = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) == -1 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return n
"""


@dataclass(frozen=True, slots=True)
class FailureWindow:
    """`limit` failures within `window_seconds` of a key's first failure block that key until the window ends."""

    limit: int
    window_seconds: int

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"limit must be >= 1, got {self.limit}")
        if self.window_seconds < 1:
            raise ValueError(f"window_seconds must be >= 1, got {self.window_seconds}")


class LoginRateLimiter(Protocol):
    """Counts failed logins per key; a key with `limit` failures in its current window is refused until it ends."""

    async def retry_after(self, key: str) -> int | None:
        """Seconds (>= 1) `key` must still wait when it already has `limit` failures in its window, else None."""
        ...

    async def record_failure(self, key: str) -> None:
        """Count one failed attempt for `key`, opening a new window if none is running."""
        ...

    async def reset(self, key: str) -> None:
        """Forget `key`'s failures (after a successful login)."""
        ...

    async def aclose(self) -> None:
        """Release the backend's connections."""
        ...


def _digest(key: str) -> str:
    """sha256 hex of `key`: a fixed 64-character name whatever the username's length or characters."""
    # surrogatepass: JSON may carry lone surrogates ("\ud800"); they must be counted, not crash the login.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(slots=True)
class _Entry:
    count: int
    expires_at: float


class InMemoryLoginRateLimiter:
    """One process's counters: correct for a single worker only, since each worker would count on its own."""

    def __init__(
        self,
        window: FailureWindow,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = DEFAULT_MAX_KEYS,
    ) -> None:
        if max_keys < 1:
            raise ValueError(f"max_keys must be >= 1, got {max_keys}")
        self._window = window
        self._clock = clock
        self._max_keys = max_keys
        # Insertion order is window-start order (an expired entry is removed before its key starts a new window) and
        # every window has the same length, so expired entries are always a prefix and the first entry the oldest.
        self._entries: dict[str, _Entry] = {}

    # No method awaits anything: each runs to completion on the event loop, so concurrent calls never interleave.

    async def retry_after(self, key: str) -> int | None:
        """Seconds (>= 1) `key` must still wait when it already has `limit` failures in its window, else None."""
        now = self._clock()
        self._prune(now)
        entry = self._entries.get(_digest(key))
        if entry is None or entry.count < self._window.limit:
            return None
        return max(1, math.ceil(entry.expires_at - now))

    async def record_failure(self, key: str) -> None:
        """Count one failed attempt for `key`, opening a new window if none is running."""
        now = self._clock()
        self._prune(now)
        digest = _digest(key)
        entry = self._entries.get(digest)
        if entry is not None:
            entry.count += 1
            return
        self._entries[digest] = _Entry(count=1, expires_at=now + self._window.window_seconds)
        if len(self._entries) > self._max_keys:
            # Under a flood of distinct keys, forget the oldest window rather than grow without bound.
            del self._entries[next(iter(self._entries))]

    async def reset(self, key: str) -> None:
        """Forget `key`'s failures (after a successful login)."""
        self._entries.pop(_digest(key), None)

    async def aclose(self) -> None:
        """Drop every counter; nothing else to release."""
        self._entries.clear()

    def _prune(self, now: float) -> None:
        """Remove expired entries: a prefix of the dict, so this costs O(expired), not O(size)."""
        while self._entries:
            digest, entry = next(iter(self._entries.items()))
            if entry.expires_at > now:
                return
            del self._entries[digest]


class RedisLoginRateLimiter:
    """Counters in Redis, shared by every worker process; Redis expiry ends each window, so nothing needs pruning."""

    def __init__(self, redis: Redis, window: FailureWindow, *, prefix: str = "login-failures:") -> None:
        self._redis = redis
        self._window = window
        self._prefix = prefix
        self._record = redis.register_script(_RECORD_FAILURE_LUA)

    def _key(self, key: str) -> str:
        return self._prefix + _digest(key)

    async def retry_after(self, key: str) -> int | None:
        """Seconds (>= 1) `key` must still wait when it already has `limit` failures in its window, else None."""
        redis_key = self._key(key)
        # MULTI: count and TTL come from the same instant, so a key expiring in between cannot be misread.
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(redis_key)
            pipe.pttl(redis_key)
            raw_count, pttl = await pipe.execute()
        if raw_count is None or int(raw_count) < self._window.limit:
            return None
        if pttl == -1:
            # A counter without expiry would block forever: give it a fresh window instead.
            await self._redis.expire(redis_key, self._window.window_seconds)
            return self._window.window_seconds
        if pttl < 0:
            return None
        return max(1, math.ceil(int(pttl) / 1000))

    async def record_failure(self, key: str) -> None:
        """Count one failed attempt for `key`, opening a new window if none is running."""
        await self._record(keys=[self._key(key)], args=[self._window.window_seconds])

    async def reset(self, key: str) -> None:
        """Forget `key`'s failures (after a successful login)."""
        await self._redis.delete(self._key(key))

    async def aclose(self) -> None:
        """Close the Redis client (the limiter owns it: `build_rate_limiter` created it)."""
        await self._redis.aclose()


def build_rate_limiter(redis_url: str | None, window: FailureWindow) -> LoginRateLimiter:
    """A Redis-backed limiter when `redis_url` is set (required with several workers), else an in-memory one."""
    if redis_url:
        # Imported here: the client library adds ~20 MB to every worker that does not use it.
        from redis.asyncio import from_url

        return RedisLoginRateLimiter(from_url(redis_url), window)
    return InMemoryLoginRateLimiter(window)


def limiter_keys(username: str, client_ip: str | None) -> tuple[str, ...]:
    """The keys one login attempt counts against: the normalised username, and the client IP when known."""
    user_key = "user:" + username.casefold().strip()
    if not client_ip:
        return (user_key,)
    return (user_key, "ip:" + client_ip)
