"""Attempt limits: the same atomic, fixed-window reservations from the in-memory and the Redis limiter."""

from __future__ import annotations

import asyncio
import hashlib
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from impl.security.ratelimit import (
    AttemptLimiter,
    InMemoryAttemptLimiter,
    Quota,
    RedisAttemptLimiter,
    build_attempt_limiter,
)
from tests.clocks import ManualClock
from tests.services import REDIS_URL, require_redis

# Over 10 KB of UTF-8, mixing 2-, 3- and 4-byte characters.
LONG_UNICODE_USERNAME = "Ünïcødé-用户-😀" * 500
# JSON may carry a lone surrogate, which strict UTF-8 cannot encode.
LONE_SURROGATE_USERNAME = "lone-surrogate-\ud800"


@dataclass
class Backend:
    """How a test builds a limiter, lets time pass and counts the stored counters, whichever store it runs on."""

    name: str
    make: Callable[[], AttemptLimiter]
    advance: Callable[[float], Awaitable[None]]
    stored_keys: Callable[[AttemptLimiter], Awaitable[int]]


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
    prefix = f"test-attempts:{uuid.uuid4().hex}:"
    yield prefix
    keys = [key async for key in redis_client.scan_iter(match=prefix + "*")]
    if keys:
        await redis_client.delete(*keys)


async def _redis_keys(client: Redis, prefix: str) -> list[bytes]:
    return [key async for key in client.scan_iter(match=prefix + "*")]


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """The in-memory limiter on a fake clock, or the Redis limiter on real time."""
    if request.param == "memory":
        clock = ManualClock()

        async def tick(seconds: float) -> None:
            clock.now += seconds

        async def entries(limiter: AttemptLimiter) -> int:
            assert isinstance(limiter, InMemoryAttemptLimiter)
            # Private state on purpose: which counters exist is the claim under test.
            return limiter._size

        return Backend("memory", lambda: InMemoryAttemptLimiter(clock=clock), tick, entries)
    client: Redis = request.getfixturevalue("redis_client")
    prefix: str = request.getfixturevalue("redis_prefix")

    async def keys(limiter: AttemptLimiter) -> int:
        return len(await _redis_keys(client, prefix))

    # The limiter is never closed by the tests: it would close the fixture's client.
    return Backend("redis", lambda: RedisAttemptLimiter(client, prefix=prefix), asyncio.sleep, keys)


async def _reserve(limiter: AttemptLimiter, quotas: Sequence[Quota], times: int) -> list[int | None]:
    return [await limiter.reserve(quotas) for _ in range(times)]


async def _assert_capacity(limiter: AttemptLimiter, quota: Quota, remaining: int) -> None:
    """Exactly `remaining` more attempts fit in `quota` (each one is then counted)."""
    assert await _reserve(limiter, [quota], remaining) == [None] * remaining
    wait = await limiter.reserve([quota])
    assert wait is not None
    assert wait >= 1


@pytest.mark.parametrize(("limit", "window_seconds"), [(0, 60), (3, 0), (-1, -1)])
def test_quota_rejects_non_positive_values(limit: int, window_seconds: int) -> None:
    with pytest.raises(ValueError):
        Quota("user:alice", limit, window_seconds)


def test_in_memory_rejects_non_positive_max_keys() -> None:
    with pytest.raises(ValueError):
        InMemoryAttemptLimiter(max_keys=0)


async def test_limit_reached_returns_retry_after_within_window(backend: Backend) -> None:
    limiter = backend.make()
    quota = Quota("user:alice", limit=3, window_seconds=60)
    assert await _reserve(limiter, [quota], 3) == [None, None, None]
    retry_after = await limiter.reserve([quota])
    assert isinstance(retry_after, int)
    assert 59 <= retry_after <= 60


async def test_window_expiry_recovers(backend: Backend) -> None:
    limiter = backend.make()
    quota = Quota("user:alice", limit=2, window_seconds=2)
    assert await _reserve(limiter, [quota], 2) == [None, None]
    await backend.advance(0.6)
    # 1.4 s are left: the wait is rounded up, never down.
    assert await limiter.reserve([quota]) == 2
    await backend.advance(1.5)
    # The next attempt opens a fresh window instead of adding to the expired one.
    await _assert_capacity(limiter, quota, 2)


async def test_keys_are_independent(backend: Backend) -> None:
    limiter = backend.make()
    alice, bob = (Quota(f"user:{name}", limit=2, window_seconds=60) for name in ["alice", "bob"])
    await _reserve(limiter, [alice], 2)
    await limiter.reserve([bob])
    assert await limiter.reserve([alice]) is not None
    await _assert_capacity(limiter, bob, 1)
    await _assert_capacity(limiter, Quota("ip:203.0.113.7", limit=2, window_seconds=60), 2)


@pytest.mark.parametrize("username", [LONG_UNICODE_USERNAME, LONE_SURROGATE_USERNAME])
async def test_long_unicode_and_lone_surrogate_keys_are_counted(backend: Backend, username: str) -> None:
    assert len(LONG_UNICODE_USERNAME.encode()) > 10_000
    limiter = backend.make()
    quota = Quota(f"login:{username}", limit=2, window_seconds=60)
    assert await _reserve(limiter, [quota], 2) == [None, None]
    assert await limiter.reserve([quota]) is not None
    await _assert_capacity(limiter, Quota(quota.key[:-1], limit=2, window_seconds=60), 2)


async def test_concurrent_reserves_admit_exactly_the_limit(backend: Backend) -> None:
    limiter = backend.make()
    per_user = Quota("login:alice", limit=5, window_seconds=60)
    per_address = Quota("login-address:203.0.113.7", limit=50, window_seconds=60)
    results = await asyncio.gather(*(limiter.reserve([per_user, per_address]) for _ in range(50)))
    assert results.count(None) == 5
    assert all(isinstance(wait, int) and 1 <= wait <= 60 for wait in results if wait is not None)
    await _assert_capacity(limiter, per_user, 0)
    # The second quota was counted only for the 5 admitted attempts: 45 of its 50 are left.
    await _assert_capacity(limiter, per_address, 45)


@pytest.mark.parametrize("position", [0, 1, 2])
async def test_exhausted_quota_blocks_without_counting_the_others(backend: Backend, position: int) -> None:
    limiter = backend.make()
    first = Quota("login:alice|203.0.113.7", limit=3, window_seconds=60)
    second = Quota("login:alice", limit=2, window_seconds=60)
    exhausted = Quota("login-address:203.0.113.7", limit=1, window_seconds=60)
    assert await limiter.reserve([first]) is None
    assert await limiter.reserve([exhausted]) is None
    quotas = [first, second]
    quotas.insert(position, exhausted)
    for _ in range(10):
        wait = await limiter.reserve(quotas)
        assert wait is not None
        assert 59 <= wait <= 60
    # Neither other counter moved, up or down: exactly their remaining capacity is left.
    await _assert_capacity(limiter, first, 2)
    await _assert_capacity(limiter, second, 2)


async def test_release_gives_capacity_back(backend: Backend) -> None:
    limiter = backend.make()
    quota = Quota("login:alice", limit=2, window_seconds=60)
    assert await _reserve(limiter, [quota], 3) == [None, None, 60]
    await limiter.release([quota])
    await _assert_capacity(limiter, quota, 1)


async def test_release_gives_back_one_attempt_per_quota(backend: Backend) -> None:
    limiter = backend.make()
    user = Quota("login:alice", limit=3, window_seconds=60)
    address = Quota("login-address:203.0.113.7", limit=4, window_seconds=60)
    await _reserve(limiter, [user, address], 3)
    await limiter.release([user, address])
    await _assert_capacity(limiter, user, 1)
    await _assert_capacity(limiter, address, 2)


async def test_release_of_the_last_attempt_deletes_the_counter(backend: Backend) -> None:
    limiter = backend.make()
    quota = Quota("login:alice", limit=2, window_seconds=60)
    await _reserve(limiter, [quota], 2)
    await limiter.release([quota])
    assert await backend.stored_keys(limiter) == 1
    await limiter.release([quota])
    assert await backend.stored_keys(limiter) == 0
    # A release with nothing left to give back does not go below zero.
    await limiter.release([quota])
    await _assert_capacity(limiter, quota, 2)


async def test_release_of_an_unknown_key_is_harmless_and_creates_nothing(backend: Backend) -> None:
    limiter = backend.make()
    ghost = Quota("login:ghost", limit=1, window_seconds=60)
    await limiter.release([ghost])
    assert await backend.stored_keys(limiter) == 0
    # No negative counter either: a limit of 1 still admits exactly one attempt.
    await _assert_capacity(limiter, ghost, 1)


async def test_retry_after_is_the_longest_window_among_the_exhausted_quotas(backend: Backend) -> None:
    limiter = backend.make()
    short = Quota("login:alice", limit=1, window_seconds=30)
    long = Quota("login-address:203.0.113.7", limit=1, window_seconds=60)
    roomy = Quota("login:alice|203.0.113.7", limit=5, window_seconds=300)
    for quota in [short, long, roomy]:
        assert await limiter.reserve([quota]) is None
    for quotas in [[short, long], [long, short], [short, long, roomy], [roomy, long, short]]:
        wait = await limiter.reserve(quotas)
        assert wait is not None
        assert 59 <= wait <= 60
    # A quota with room left does not count, however long its window.
    for quotas in [[short, roomy], [roomy, short]]:
        wait = await limiter.reserve(quotas)
        assert wait is not None
        assert 29 <= wait <= 30


async def test_retry_after_is_the_longest_remaining_time_not_the_longest_window(backend: Backend) -> None:
    limiter = backend.make()
    older = Quota("login:alice", limit=1, window_seconds=3)
    newer = Quota("login-address:203.0.113.7", limit=1, window_seconds=2)
    assert await limiter.reserve([older]) is None
    await backend.advance(2.2)
    assert await limiter.reserve([newer]) is None
    # `older` has 0.8 s left (its 3 s window is the longer), `newer` about 2 s.
    assert await limiter.reserve([older, newer]) == 2
    assert await limiter.reserve([newer, older]) == 2


@pytest.mark.parametrize("username", [LONG_UNICODE_USERNAME, LONE_SURROGATE_USERNAME])
async def test_redis_key_is_prefix_and_sha256_whatever_the_username(
    redis_client: Redis, redis_prefix: str, username: str
) -> None:
    limiter = RedisAttemptLimiter(redis_client, prefix=redis_prefix)
    quota = Quota(f"login:{username}", limit=1, window_seconds=60)
    assert await limiter.reserve([quota]) is None
    digest = hashlib.sha256(quota.key.encode("utf-8", "surrogatepass")).hexdigest()
    assert await _redis_keys(redis_client, redis_prefix) == [(redis_prefix + digest).encode()]
    assert await limiter.reserve([quota]) is not None


async def test_redis_exhausted_counter_without_expiry_gets_a_window_instead_of_a_permanent_block(
    redis_client: Redis, redis_prefix: str
) -> None:
    limiter = RedisAttemptLimiter(redis_client, prefix=redis_prefix)
    quota = Quota("login:alice", limit=1, window_seconds=60)
    await limiter.reserve([quota])
    (key,) = await _redis_keys(redis_client, redis_prefix)
    await redis_client.persist(key)
    assert await limiter.reserve([quota]) == 60
    assert 0 < await redis_client.ttl(key) <= 60


async def test_redis_counter_without_expiry_gets_a_window_on_its_next_attempt(
    redis_client: Redis, redis_prefix: str
) -> None:
    limiter = RedisAttemptLimiter(redis_client, prefix=redis_prefix)
    quota = Quota("login:alice", limit=3, window_seconds=60)
    await limiter.reserve([quota])
    (key,) = await _redis_keys(redis_client, redis_prefix)
    await redis_client.persist(key)
    assert await limiter.reserve([quota]) is None
    assert 0 < await redis_client.ttl(key) <= 60
    assert await redis_client.get(key) == b"2"


async def test_redis_window_is_fixed_from_first_attempt(redis_client: Redis, redis_prefix: str) -> None:
    limiter = RedisAttemptLimiter(redis_client, prefix=redis_prefix)
    quota = Quota("login:alice", limit=2, window_seconds=60)
    await limiter.reserve([quota])
    (key,) = await _redis_keys(redis_client, redis_prefix)
    # As if the first attempt were 55 s old: neither a later nor a refused attempt extends its window.
    await redis_client.pexpire(key, 5000)
    assert await limiter.reserve([quota]) is None
    assert 0 < await redis_client.pttl(key) <= 5000
    assert await limiter.reserve([quota]) == 5
    assert 0 < await redis_client.pttl(key) <= 5000


async def test_in_memory_window_is_fixed_from_first_attempt() -> None:
    clock = ManualClock()
    limiter = InMemoryAttemptLimiter(clock=clock)
    quota = Quota("login:alice", limit=2, window_seconds=10)
    # An older, longer window in front stops pruning there, so the key's own expiry check decides.
    await limiter.reserve([Quota("sign-up:203.0.113.7", limit=1, window_seconds=3600)])
    await limiter.reserve([quota])
    clock.now += 9
    await limiter.reserve([quota])
    # Later attempts do not extend the window: it still ends 10 s after the first one.
    assert await limiter.reserve([quota]) == 1
    clock.now += 1
    assert await limiter.reserve([quota]) is None


async def test_in_memory_prunes_expired_entries() -> None:
    clock = ManualClock()
    limiter = InMemoryAttemptLimiter(clock=clock)
    for index in range(100):
        await limiter.reserve([Quota(f"user:{index}", limit=1, window_seconds=10)])
    clock.now += 10
    # Pruning is bounded per call, so it takes a few; ordinary traffic on other keys clears every expired window.
    for index in range(7):
        await limiter.reserve([Quota(f"ip:{index}", limit=1, window_seconds=10)])
    # Private state on purpose: bounded memory is the claim under test.
    assert limiter._size == 7


async def test_in_memory_drops_oldest_key_over_the_cap() -> None:
    clock = ManualClock()
    limiter = InMemoryAttemptLimiter(clock=clock, max_keys=3)
    quotas = {key: Quota(key, limit=1, window_seconds=60) for key in ["ip:a", "ip:b", "ip:c", "ip:d"]}
    for quota in quotas.values():
        await limiter.reserve([quota])
        clock.now += 1
    assert limiter._size == 3
    # Refused attempts create nothing, so these checks evict nothing.
    assert [await limiter.reserve([quotas[key]]) for key in ["ip:b", "ip:c", "ip:d"]] == [57, 58, 59]
    assert await limiter.reserve([quotas["ip:a"]]) is None


async def test_in_memory_cap_evicts_expired_windows_before_live_ones() -> None:
    clock = ManualClock()
    limiter = InMemoryAttemptLimiter(clock=clock, max_keys=2)
    sign_up = Quota("sign-up:203.0.113.7", limit=1, window_seconds=3600)
    await limiter.reserve([sign_up])
    await limiter.reserve([Quota("login:alice", limit=1, window_seconds=900)])
    clock.now += 1000  # login:alice's window is over; sign-up's has 2600 s left.
    await limiter.reserve([Quota("login:bob", limit=1, window_seconds=900)])
    assert await limiter.reserve([sign_up]) == 2600


async def test_build_attempt_limiter_without_url_is_in_memory() -> None:
    limiter = build_attempt_limiter(None)
    assert isinstance(limiter, InMemoryAttemptLimiter)
    await limiter.aclose()


async def test_build_attempt_limiter_with_url_uses_redis() -> None:
    require_redis()
    limiter = build_attempt_limiter(REDIS_URL)
    assert isinstance(limiter, RedisAttemptLimiter)
    quota = Quota(f"login:{uuid.uuid4().hex}", limit=1, window_seconds=60)
    assert await limiter.reserve([quota]) is None
    assert await limiter.reserve([quota]) == 60
    await limiter.release([quota])
    await limiter.aclose()


QUOTAS = {
    "user:alice": Quota("user:alice", limit=2, window_seconds=2),
    "user:bob": Quota("user:bob", limit=3, window_seconds=1),
    "ip:203.0.113.7": Quota("ip:203.0.113.7", limit=4, window_seconds=3),
}
_key_sets = st.lists(st.sampled_from(sorted(QUOTAS)), min_size=1, max_size=len(QUOTAS), unique=True)
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("reserve"), _key_sets),
        st.tuples(st.just("release"), _key_sets),
        # Whole seconds land exactly on window ends; milliseconds land around them.
        st.tuples(
            st.just("advance"),
            st.one_of(
                st.sampled_from([1.0, 2.0, 3.0]), st.integers(min_value=0, max_value=4000).map(lambda ms: ms / 1000)
            ),
        ),
    ),
    max_size=60,
)


@dataclass
class _ModelWindow:
    start: float
    count: int


@settings(max_examples=300, deadline=None)
@given(operations=_operations)
async def test_in_memory_reserve_matches_a_model_of_fixed_windows(
    operations: list[tuple[str, list[str] | float]],
) -> None:
    clock = ManualClock()
    limiter = InMemoryAttemptLimiter(clock=clock)
    windows: dict[str, _ModelWindow] = {}

    def current(key: str) -> _ModelWindow | None:
        window = windows.get(key)
        if window is not None and clock.now >= window.start + QUOTAS[key].window_seconds:
            del windows[key]
            return None
        return window

    for action, argument in operations:
        if action == "advance":
            assert isinstance(argument, float)
            clock.now += argument
            continue
        assert isinstance(argument, list)
        quotas = [QUOTAS[key] for key in argument]
        if action == "reserve":
            remaining = [
                window.start + QUOTAS[key].window_seconds - clock.now
                for key in argument
                if (window := current(key)) is not None and window.count >= QUOTAS[key].limit
            ]
            wait = await limiter.reserve(quotas)
            if remaining:
                assert wait == math.ceil(max(remaining))
                assert 1 <= wait <= max(quota.window_seconds for quota in quotas)
            else:
                assert wait is None
                for key in argument:
                    window = current(key)
                    if window is None:
                        windows[key] = _ModelWindow(start=clock.now, count=1)
                    else:
                        window.count += 1
        else:
            await limiter.release(quotas)
            for key in argument:
                window = current(key)
                if window is not None:
                    window.count -= 1
                    if window.count == 0:
                        del windows[key]


@pytest.mark.parametrize("make", ["memory", "redis"])
async def test_one_key_twice_in_a_reservation_is_refused(make: str) -> None:
    if make == "redis":
        require_redis()
    limiter = build_attempt_limiter(REDIS_URL if make == "redis" else None)
    quota = Quota(f"k:{uuid.uuid4().hex}", limit=2, window_seconds=60)
    with pytest.raises(ValueError, match="its own key"):
        await limiter.reserve([quota, quota])
    await limiter.aclose()
