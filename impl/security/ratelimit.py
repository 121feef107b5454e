"""Attempt limits (login guesses, sign-ups, notifications): reserved atomically before the work, in memory or Redis.

An attempt is counted *before* the expensive work it guards (a password hash takes tens of milliseconds), in one
atomic step across every quota it is charged to: twenty concurrent guesses can never all see "4 of 5 used". When
the attempt turns out not to be a failure (the password was right), the caller gives the reservation back.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from impl.problems import ServiceUnavailable, TooManyRequests

if TYPE_CHECKING:
    from redis.asyncio import Redis

DEFAULT_MAX_KEYS = 100_000
# How long a check may wait for Redis before the limit counts as unavailable, and when to come back then.
REDIS_TIMEOUT_SECONDS = 1.0
UNAVAILABLE_RETRY_AFTER_SECONDS = 5

logger = logging.getLogger(__name__)


class LimiterUnavailable(Exception):
    """The counters cannot be read or written (Redis does not answer): no attempt may be evaluated."""


# Check every quota, then count the attempt against all of them, in one atomic step (a Lua script runs alone).
# Returns 0 when reserved, else the milliseconds until the longest-blocking exhausted quota's window ends.
# A counter without expiry (`PTTL == -1`) is given its window again rather than blocking forever.
_RESERVE_LUA = """
local wait = 0
for i, key in ipairs(KEYS) do
    local window_ms = tonumber(ARGV[2 * i]) * 1000
    if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[2 * i - 1]) then
        local ttl = redis.call('PTTL', key)
        if ttl < 0 then
            redis.call('PEXPIRE', key, window_ms)
            ttl = window_ms
        end
        if ttl > wait then wait = ttl end
    end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
    redis.call('INCR', key)
    if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, tonumber(ARGV[2 * i]) * 1000) end
end
return 0
"""
# Give one reserved attempt back to each counter (the last one deletes the key, ending its window).
_RELEASE_LUA = """
for _, key in ipairs(KEYS) do
    local n = tonumber(redis.call('GET', key) or '0')
    if n > 1 then redis.call('DECR', key) elseif n == 1 then redis.call('DEL', key) end
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Quota:
    """At most `limit` attempts against `key` within `window_seconds` of its first one; then it waits the rest."""

    key: str
    limit: int
    window_seconds: int

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"limit must be >= 1, got {self.limit}")
        if self.window_seconds < 1:
            raise ValueError(f"window_seconds must be >= 1, got {self.window_seconds}")


class AttemptLimiter(Protocol):
    """Counts attempts per key in fixed windows; shared by every worker when backed by Redis."""

    async def reserve(self, quotas: Sequence[Quota]) -> int | None:
        """Count one attempt against every quota, atomically; or, when any is used up, count nothing and return
        the seconds (>= 1) until it frees up."""
        ...

    async def release(self, quotas: Sequence[Quota]) -> None:
        """Give back one attempt reserved against each quota (it was not a failure)."""
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


class InMemoryAttemptLimiter:
    """One process's counters: correct for a single worker only, since each worker would count on its own.

    No method awaits anything: each runs to completion on the event loop, so reservations never interleave.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        if max_keys < 1:
            raise ValueError(f"max_keys must be >= 1, got {max_keys}")
        self._clock = clock
        self._max_keys = max_keys
        # One dict per window length: within one, insertion order is expiry order (an expired entry is removed
        # before its key starts a new window), so expired entries are a prefix and the first one expires first.
        self._windows: dict[int, dict[str, _Entry]] = {}
        self._size = 0

    async def reserve(self, quotas: Sequence[Quota]) -> int | None:
        _check_distinct(quotas)
        now = self._clock()
        self._prune(now)
        entries = [self._live(quota, now) for quota in quotas]
        waits = [
            entry.expires_at - now
            for quota, entry in zip(quotas, entries, strict=True)
            if entry is not None and entry.count >= quota.limit
        ]
        if waits:
            return max(1, math.ceil(max(waits)))
        for quota, entry in zip(quotas, entries, strict=True):
            if entry is not None:
                entry.count += 1
            else:
                window = self._windows.setdefault(quota.window_seconds, {})
                window[_digest(quota.key)] = _Entry(count=1, expires_at=now + quota.window_seconds)
                self._size += 1
        while self._size > self._max_keys:
            # Under a flood of distinct keys, forget the window that ends first rather than grow without bound.
            self._evict_first_to_expire()
        return None

    async def release(self, quotas: Sequence[Quota]) -> None:
        now = self._clock()
        for quota in quotas:
            entry = self._live(quota, now)
            if entry is not None:
                entry.count -= 1
                if entry.count <= 0:
                    self._remove(quota.window_seconds, _digest(quota.key))

    async def aclose(self) -> None:
        self._windows.clear()
        self._size = 0

    def _live(self, quota: Quota, now: float) -> _Entry | None:
        digest = _digest(quota.key)
        entry = self._windows.get(quota.window_seconds, {}).get(digest)
        if entry is not None and entry.expires_at <= now:
            self._remove(quota.window_seconds, digest)
            return None
        return entry

    def _remove(self, window_seconds: int, digest: str) -> None:
        del self._windows[window_seconds][digest]
        self._size -= 1

    def _prune(self, now: float) -> None:
        """Remove expired windows from the front of each window length; bounded work per call."""
        for entries in self._windows.values():
            for _ in range(16):
                if not entries:
                    break
                digest, entry = next(iter(entries.items()))
                if entry.expires_at > now:
                    break
                del entries[digest]
                self._size -= 1

    def _evict_first_to_expire(self) -> None:
        fronts = [(next(iter(entries.items())), length) for length, entries in self._windows.items() if entries]
        (digest, _), length = min(fronts, key=lambda front: front[0][1].expires_at)
        self._remove(length, digest)


def _check_distinct(quotas: Sequence[Quota]) -> None:
    # One key twice in a call would be counted once or twice depending on the backend: a caller's mistake.
    if len({quota.key for quota in quotas}) != len(quotas):
        raise ValueError("each quota of one reservation needs its own key")


class RedisAttemptLimiter:
    """Counters in Redis, shared by every worker process; Redis expiry ends each window, so nothing needs pruning."""

    def __init__(self, redis: Redis, *, prefix: str = "attempts:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._reserve = redis.register_script(_RESERVE_LUA)
        self._release = redis.register_script(_RELEASE_LUA)
        from redis.exceptions import RedisError  # only processes that configured Redis load the client library

        # What "Redis does not answer" looks like: the client's errors, the socket's, and our own timeout.
        self._unavailable: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)

    def _key(self, key: str) -> str:
        return self._prefix + _digest(key)

    async def reserve(self, quotas: Sequence[Quota]) -> int | None:
        """As the protocol says; raises LimiterUnavailable when Redis does not answer within a second, so that the
        limits fail closed: an attempt that cannot be counted is not evaluated."""
        _check_distinct(quotas)
        args = [value for quota in quotas for value in (quota.limit, quota.window_seconds)]
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                wait_ms = int(await self._reserve(keys=[self._key(quota.key) for quota in quotas], args=args))
        except self._unavailable as exc:
            raise LimiterUnavailable(f"the attempt counters are unavailable ({type(exc).__name__})") from exc
        return None if wait_ms == 0 else max(1, math.ceil(wait_ms / 1000))

    async def release(self, quotas: Sequence[Quota]) -> None:
        """Give attempts back; if Redis does not answer they stay counted (safe: a limit is only reached sooner)."""
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                await self._release(keys=[self._key(quota.key) for quota in quotas], args=[])
        except self._unavailable as exc:
            logger.warning("could not give back %d attempt reservation(s): %s", len(quotas), type(exc).__name__)

    async def aclose(self) -> None:
        """Close the Redis client (the limiter owns it: `build_attempt_limiter` created it)."""
        await self._redis.aclose()


async def reserve_or_refuse(limiter: AttemptLimiter, quotas: Sequence[Quota], refusal: str) -> None:
    """Reserve one attempt against `quotas`, or raise a 429 problem (`refusal`, and when to retry); 503 with
    `Retry-After` when the counters are unavailable (fail closed)."""
    try:
        wait = await limiter.reserve(quotas)
    except LimiterUnavailable as exc:
        logger.warning("refusing an attempt: %s", exc)
        raise ServiceUnavailable(
            "attempts cannot be counted right now; retry shortly", retry_after=UNAVAILABLE_RETRY_AFTER_SECONDS
        ) from exc
    if wait is not None:
        raise TooManyRequests(f"{refusal}; retry in {wait} seconds", retry_after=wait)


def build_attempt_limiter(redis_url: str | None) -> AttemptLimiter:
    """A Redis-backed limiter when `redis_url` is set (required with several workers), else an in-memory one."""
    if redis_url:
        # Imported here: the client library adds ~20 MB to every worker that does not use it.
        from redis.asyncio import from_url

        return RedisAttemptLimiter(from_url(redis_url))
    return InMemoryAttemptLimiter()
