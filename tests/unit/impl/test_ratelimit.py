"""Failed-login counting: the same fixed-window behaviour from the in-memory and the Redis limiter."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from impl.security.ratelimit import (
    FailureWindow,
    InMemoryLoginRateLimiter,
    LoginRateLimiter,
    RedisLoginRateLimiter,
    build_rate_limiter,
    limiter_keys,
)
from tests.services import REDIS_URL, require_redis

# Over 10 KB of UTF-8, mixing 2-, 3- and 4-byte characters.
LONG_UNICODE_USERNAME = "Ünïcødé-用户-😀" * 500


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Backend:
    """How a test builds a limiter and lets time pass, whichever store it runs on."""

    name: str
    make: Callable[[FailureWindow], LoginRateLimiter]
    advance: Callable[[float], Awaitable[None]]


@pytest.fixture
async def redis_client() -> AsyncIterator[Redis]:
    """A client on the test Redis database; skipped locally (failed in CI) when Redis is down."""
    require_redis()
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture
async def redis_prefix(redis_client: Redis) -> AsyncIterator[str]:
    """A key prefix no other test uses; its keys are deleted afterwards."""
    prefix = f"test-login-failures:{uuid.uuid4().hex}:"
    yield prefix
    keys = [key async for key in redis_client.scan_iter(match=prefix + "*")]
    if keys:
        await redis_client.delete(*keys)


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """The in-memory limiter on a fake clock, or the Redis limiter on real time."""
    if request.param == "memory":
        clock = FakeClock()

        async def tick(seconds: float) -> None:
            clock.now += seconds

        return Backend("memory", lambda window: InMemoryLoginRateLimiter(window, clock=clock), tick)
    client: Redis = request.getfixturevalue("redis_client")
    prefix: str = request.getfixturevalue("redis_prefix")
    return Backend("redis", lambda window: RedisLoginRateLimiter(client, window, prefix=prefix), asyncio.sleep)


async def _fail(limiter: LoginRateLimiter, key: str, times: int) -> None:
    for _ in range(times):
        await limiter.record_failure(key)


@pytest.mark.parametrize(("limit", "window_seconds"), [(0, 60), (3, 0), (-1, -1)])
def test_failure_window_rejects_non_positive_values(limit: int, window_seconds: int) -> None:
    with pytest.raises(ValueError):
        FailureWindow(limit, window_seconds)


async def test_limit_reached_returns_retry_after_within_window(backend: Backend) -> None:
    limiter = backend.make(FailureWindow(limit=3, window_seconds=60))
    await _fail(limiter, "user:alice", 3)
    retry_after = await limiter.retry_after("user:alice")
    assert isinstance(retry_after, int)
    assert 59 <= retry_after <= 60


async def test_under_limit_returns_none(backend: Backend) -> None:
    limiter = backend.make(FailureWindow(limit=3, window_seconds=60))
    assert await limiter.retry_after("user:alice") is None
    await _fail(limiter, "user:alice", 2)
    assert await limiter.retry_after("user:alice") is None


async def test_window_expiry_recovers(backend: Backend) -> None:
    limiter = backend.make(FailureWindow(limit=2, window_seconds=1))
    await _fail(limiter, "user:alice", 2)
    assert await limiter.retry_after("user:alice") == 1
    await backend.advance(1.1)
    assert await limiter.retry_after("user:alice") is None
    # The next failure opens a fresh window instead of adding to the expired one.
    await limiter.record_failure("user:alice")
    assert await limiter.retry_after("user:alice") is None


async def test_reset_clears_failures(backend: Backend) -> None:
    limiter = backend.make(FailureWindow(limit=2, window_seconds=60))
    await _fail(limiter, "user:alice", 2)
    assert await limiter.retry_after("user:alice") is not None
    await limiter.reset("user:alice")
    assert await limiter.retry_after("user:alice") is None
    await limiter.reset("user:never-failed")


async def test_keys_are_independent(backend: Backend) -> None:
    limiter = backend.make(FailureWindow(limit=2, window_seconds=60))
    await _fail(limiter, "user:alice", 2)
    await limiter.record_failure("user:bob")
    assert await limiter.retry_after("user:alice") is not None
    assert await limiter.retry_after("user:bob") is None
    assert await limiter.retry_after("ip:203.0.113.7") is None


async def test_long_unicode_username_is_counted(backend: Backend) -> None:
    assert len(LONG_UNICODE_USERNAME.encode()) > 10_000
    limiter = backend.make(FailureWindow(limit=2, window_seconds=60))
    (user_key,) = limiter_keys(LONG_UNICODE_USERNAME, None)
    await _fail(limiter, user_key, 2)
    assert await limiter.retry_after(user_key) is not None
    assert await limiter.retry_after(user_key[:-1]) is None


async def test_concurrent_record_failure_counts_exactly_fifty(backend: Backend) -> None:
    # limit 51: still open after 50 concurrent failures (none counted twice), shut by one more (none lost).
    limiter = backend.make(FailureWindow(limit=51, window_seconds=60))
    await asyncio.gather(*(limiter.record_failure("user:alice") for _ in range(50)))
    assert await limiter.retry_after("user:alice") is None
    await limiter.record_failure("user:alice")
    assert await limiter.retry_after("user:alice") is not None


@pytest.mark.parametrize("username", [LONG_UNICODE_USERNAME, "lone-surrogate-\ud800"])
async def test_redis_key_is_prefix_and_sha256_whatever_the_username(
    redis_client: Redis, redis_prefix: str, username: str
) -> None:
    limiter = RedisLoginRateLimiter(redis_client, FailureWindow(limit=1, window_seconds=60), prefix=redis_prefix)
    (user_key,) = limiter_keys(username, None)
    await limiter.record_failure(user_key)
    keys = [key async for key in redis_client.scan_iter(match=redis_prefix + "*")]
    assert len(keys) == 1
    digest = keys[0].decode().removeprefix(redis_prefix)
    assert len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")
    assert await limiter.retry_after(user_key) is not None


async def test_redis_counter_without_expiry_gets_a_window_instead_of_a_permanent_block(
    redis_client: Redis, redis_prefix: str
) -> None:
    limiter = RedisLoginRateLimiter(redis_client, FailureWindow(limit=1, window_seconds=60), prefix=redis_prefix)
    await limiter.record_failure("user:alice")
    (key,) = [key async for key in redis_client.scan_iter(match=redis_prefix + "*")]
    await redis_client.persist(key)
    assert await limiter.retry_after("user:alice") == 60
    assert 0 < await redis_client.ttl(key) <= 60


async def test_in_memory_window_is_fixed_from_first_failure() -> None:
    clock = FakeClock()
    limiter = InMemoryLoginRateLimiter(FailureWindow(limit=2, window_seconds=10), clock=clock)
    await limiter.record_failure("user:alice")
    clock.now += 9
    await limiter.record_failure("user:alice")
    # Later failures do not extend the window: it still ends 10 s after the first one.
    assert await limiter.retry_after("user:alice") == 1
    clock.now += 1
    assert await limiter.retry_after("user:alice") is None


async def test_in_memory_prunes_expired_entries() -> None:
    clock = FakeClock()
    limiter = InMemoryLoginRateLimiter(FailureWindow(limit=1, window_seconds=10), clock=clock)
    for index in range(100):
        await limiter.record_failure(f"user:{index}")
    clock.now += 10
    await limiter.retry_after("user:0")
    # Private state on purpose: bounded memory is the claim under test.
    assert limiter._entries == {}


async def test_in_memory_drops_oldest_key_over_the_cap() -> None:
    clock = FakeClock()
    limiter = InMemoryLoginRateLimiter(FailureWindow(limit=1, window_seconds=60), clock=clock, max_keys=3)
    for key in ["ip:a", "ip:b", "ip:c", "ip:d"]:
        await limiter.record_failure(key)
        clock.now += 1
    assert len(limiter._entries) == 3
    assert await limiter.retry_after("ip:a") is None
    assert [await limiter.retry_after(key) for key in ["ip:b", "ip:c", "ip:d"]] == [57, 58, 59]


def test_limiter_keys_normalise_username_and_add_ip_when_known() -> None:
    assert limiter_keys("  Alice ", "203.0.113.7") == ("user:alice", "ip:203.0.113.7")
    assert limiter_keys("STRASSE", None) == limiter_keys("straße", None) == ("user:strasse",)
    assert limiter_keys("bob", "") == ("user:bob",)


async def test_build_rate_limiter_without_url_is_in_memory() -> None:
    limiter = build_rate_limiter(None, FailureWindow(limit=1, window_seconds=1))
    assert isinstance(limiter, InMemoryLoginRateLimiter)
    await limiter.aclose()


async def test_build_rate_limiter_with_url_uses_redis() -> None:
    require_redis()
    limiter = build_rate_limiter(REDIS_URL, FailureWindow(limit=1, window_seconds=1))
    assert isinstance(limiter, RedisLoginRateLimiter)
    assert await limiter.retry_after(f"user:{uuid.uuid4().hex}") is None
    await limiter.aclose()


KEYS = ["user:alice", "user:bob"]
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("fail"), st.sampled_from(KEYS)),
        st.tuples(st.just("reset"), st.sampled_from(KEYS)),
        # Milliseconds, so advances land exactly on and around window ends.
        st.tuples(st.just("advance"), st.integers(min_value=0, max_value=4000).map(lambda ms: ms / 1000)),
    ),
    max_size=60,
)


def _model_window(failure_times: list[float], window_seconds: int) -> tuple[float | None, int]:
    """Start and failure count of the window the last failure fell in, replayed from every failure's time."""
    start: float | None = None
    count = 0
    for at in failure_times:
        if start is None or at >= start + window_seconds:
            start, count = at, 1
        else:
            count += 1
    return start, count


@settings(max_examples=300, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=5),
    window_seconds=st.integers(min_value=1, max_value=3),
    operations=_operations,
)
async def test_in_memory_retry_after_is_none_iff_under_limit_in_current_window(
    limit: int, window_seconds: int, operations: list[tuple[str, str | float]]
) -> None:
    clock = FakeClock()
    limiter = InMemoryLoginRateLimiter(FailureWindow(limit, window_seconds), clock=clock)
    failures: dict[str, list[float]] = {key: [] for key in KEYS}
    for action, argument in operations:
        if action == "advance":
            assert isinstance(argument, float)
            clock.now += argument
        elif action == "fail":
            assert isinstance(argument, str)
            await limiter.record_failure(argument)
            failures[argument].append(clock.now)
        else:
            assert isinstance(argument, str)
            await limiter.reset(argument)
            failures[argument].clear()
        for key in KEYS:
            start, count = _model_window(failures[key], window_seconds)
            in_window = start is not None and clock.now < start + window_seconds
            retry_after = await limiter.retry_after(key)
            assert (retry_after is None) == (not in_window or count < limit)
            if retry_after is not None:
                assert start is not None
                assert retry_after == math.ceil(start + window_seconds - clock.now)
                assert 1 <= retry_after <= window_seconds
