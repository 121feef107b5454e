"""The Redis event broker's degraded mode, against a private redis-server that each test stops, starts or freezes:
own events delivered directly and never twice, the outage logged once, writes never held up for long, a hung Redis
noticed, and fan-out across brokers (workers) resumed once Redis is back."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import pytest
import redis.asyncio

from impl.events import FanoutHealth, RedisBroker, Subscription, build_event_broker
from tests.redis_server import RedisProcess

WAIT = 10.0  # the bound on anything that must happen
QUIET = 0.5  # how long "nothing more arrives" is watched
DEGRADED = "degraded to in-process delivery"
RESUMED = "fan out across workers again"

Brokers = Callable[..., Awaitable[RedisBroker]]


@pytest.fixture
async def brokers(private_redis: RedisProcess) -> AsyncIterator[Brokers]:
    """Makes brokers (one per simulated worker) on the private Redis and one channel; closes them afterwards."""
    channel = f"test-item-events:{uuid.uuid4().hex}"
    async with AsyncExitStack() as stack:

        async def make(timeout: float = 0.5, heartbeat: float = 60.0) -> RedisBroker:
            broker = build_event_broker(
                private_redis.url, channel=channel, queue_size=16, timeout=timeout, heartbeat=heartbeat
            )
            assert isinstance(broker, RedisBroker)
            stack.push_async_callback(broker.aclose)
            return broker

        yield make


@pytest.fixture
def events_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="impl.events")
    return caplog


def warnings_about(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(1 for r in caplog.records if r.levelno == logging.WARNING and text in r.getMessage())


def infos_about(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(1 for r in caplog.records if r.levelno == logging.INFO and text in r.getMessage())


async def subscribed(stack: AsyncExitStack, broker: RedisBroker, *, joined: bool = True) -> Subscription:
    """A subscription; with `joined`, once the listener has joined the channel. Its first attempt may have timed out
    on a loaded machine (0.5 s here), and a message published before its next one would never arrive."""
    subscription = await stack.enter_async_context(broker.subscribe())
    if joined:
        await eventually(lambda: not broker.degraded, "the listener joined the channel")
    return subscription


async def next_event(subscription: Subscription) -> str:
    return await asyncio.wait_for(subscription.next(), WAIT)


async def assert_nothing_more(subscription: Subscription) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(subscription.next(), QUIET)


async def eventually(condition: Callable[[], bool], what: str) -> float:
    """Seconds until `condition` held (polled), failing after WAIT."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < WAIT, f"not within {WAIT} s: {what}"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def timed(action: Awaitable[None]) -> float:
    started = time.monotonic()
    await action
    return time.monotonic() - started


# --- the state machine --------------------------------------------------------------------------------------------


def test_an_outage_is_warned_about_once_and_ends_when_every_failed_witness_succeeded(events_log) -> None:
    health = FanoutHealth("chan")
    assert not health.degraded
    health.succeeded("listener")  # a success while healthy says nothing
    assert events_log.records == []

    health.failed("publisher", ConnectionError("refused"))
    health.failed("publisher", ConnectionError("refused"))
    health.failed("listener", TimeoutError())
    assert health.degraded and health.failing("publisher") and health.failing("listener")
    assert warnings_about(events_log, DEGRADED) == 1
    assert "ConnectionError: refused" in events_log.records[0].getMessage()

    health.succeeded("listener")
    assert health.degraded  # the publisher has not reached Redis since
    assert infos_about(events_log, RESUMED) == 0
    health.succeeded("publisher")
    assert not health.degraded
    assert infos_about(events_log, RESUMED) == 1

    health.failed("listener", OSError("gone"))  # a new outage is a new warning
    assert warnings_about(events_log, DEGRADED) == 2


# --- against a real Redis -----------------------------------------------------------------------------------------


async def test_each_event_reaches_every_subscriber_of_every_broker_exactly_once(brokers: Brokers) -> None:
    a, b = await brokers(), await brokers()
    async with AsyncExitStack() as stack:
        on_a, on_b = await subscribed(stack, a), await subscribed(stack, b)
        await a.publish('{"n": 1}')
        await b.publish('{"n": 2}')
        # Each broker delivers its own event at once and the other's when Redis carries it; the copy of its own
        # event that Redis also brings back is dropped.
        assert {await next_event(on_a), await next_event(on_a)} == {'{"n": 1}', '{"n": 2}'}
        assert {await next_event(on_b), await next_event(on_b)} == {'{"n": 1}', '{"n": 2}'}
        await assert_nothing_more(on_a)
        await assert_nothing_more(on_b)
        assert not a.degraded and not b.degraded


async def test_with_redis_stopped_own_events_still_arrive_once_and_the_outage_is_logged_once(
    brokers: Brokers, private_redis: RedisProcess, events_log: pytest.LogCaptureFixture
) -> None:
    a, b = await brokers(), await brokers()
    async with AsyncExitStack() as stack:
        on_a = await subscribed(stack, a)
        await subscribed(stack, b)  # b's listener runs too
        private_redis.stop()

        assert await timed(a.publish('{"n": 1}')) < 1.0
        assert await next_event(on_a) == '{"n": 1}'
        assert a.degraded
        for n in (2, 3):
            assert await timed(a.publish(f'{{"n": {n}}}')) < 0.1  # Redis known down: not even tried
            assert await next_event(on_a) == f'{{"n": {n}}}'
        await asyncio.sleep(1.0)  # the listeners keep failing to reconnect meanwhile
        await assert_nothing_more(on_a)
        # One warning per broker (each stands for a worker), however many events and reconnection attempts.
        assert warnings_about(events_log, DEGRADED) == 2, events_log.text
        assert on_a.close_reason == ""  # still connected: nothing ended the subscription

        private_redis.start()
        await eventually(lambda: not a.degraded and not b.degraded, "both brokers back on Redis")
        assert infos_about(events_log, RESUMED) == 2
        await b.publish('{"n": 4}')  # fan-out across brokers resumed
        assert await next_event(on_a) == '{"n": 4}'
        await a.publish('{"n": 5}')
        assert await next_event(on_a) == '{"n": 5}'
        await assert_nothing_more(on_a)


async def test_subscribing_while_redis_is_down_is_accepted_at_once_in_process(
    brokers: Brokers, private_redis: RedisProcess
) -> None:
    a = await brokers(timeout=0.5)
    private_redis.stop()
    async with AsyncExitStack() as stack:
        started = time.monotonic()
        on_a = await subscribed(stack, a, joined=False)
        assert time.monotonic() - started < 1.5  # the listener's first attempt, bounded by the timeout
        assert a.degraded
        await a.publish('{"n": 1}')
        assert await next_event(on_a) == '{"n": 1}'


async def test_a_hung_redis_holds_one_publish_for_the_timeout_and_its_late_copy_is_never_delivered_twice(
    brokers: Brokers, private_redis: RedisProcess
) -> None:
    a, b = await brokers(timeout=0.5), await brokers(timeout=0.5)
    async with AsyncExitStack() as stack:
        on_a, on_b = await subscribed(stack, a), await subscribed(stack, b)
        await a.publish('{"n": 0}')  # a write before: a's connection to Redis is open, as in steady traffic
        assert (await next_event(on_a), await next_event(on_b)) == ('{"n": 0}', '{"n": 0}')
        private_redis.freeze()

        held = await timed(a.publish('{"n": 1}'))
        assert 0.4 < held < 1.0  # tried, and given up on at the timeout
        assert await next_event(on_a) == '{"n": 1}'  # delivered here without Redis
        assert await timed(a.publish('{"n": 2}')) < 0.1  # known down: the next write is not held at all
        assert await next_event(on_a) == '{"n": 2}'
        assert a.degraded

        private_redis.thaw()
        # Redis now runs the PUBLISH it had received while frozen: b gets event 1 late; a, whose subscriber had it
        # already, drops the copy. Event 2 was never sent.
        assert await next_event(on_b) == '{"n": 1}'
        await assert_nothing_more(on_a)
        await assert_nothing_more(on_b)
        await eventually(lambda: not a.degraded, "the probe finds Redis again")
        await a.publish('{"n": 3}')
        assert await next_event(on_b) == '{"n": 3}'
        assert await next_event(on_a) == '{"n": 3}'
        await assert_nothing_more(on_a)


async def test_the_listener_notices_a_hung_redis_by_its_heartbeat_and_comes_back(
    brokers: Brokers, private_redis: RedisProcess, events_log: pytest.LogCaptureFixture
) -> None:
    a = await brokers(timeout=0.3, heartbeat=0.2)
    async with AsyncExitStack() as stack:
        await subscribed(stack, a)
        await asyncio.sleep(0.5)  # a few heartbeats answered: no outage
        assert not a.degraded
        private_redis.freeze()
        noticed = await eventually(lambda: a.degraded, "the listener notices the hung Redis")
        assert noticed < 1.5  # a heartbeat and the timeout, with slack
        assert "seen by the listener" in events_log.text
        private_redis.thaw()
        await eventually(lambda: not a.degraded, "the listener subscribed again")


async def test_a_message_repeated_on_the_channel_is_delivered_once_and_its_own_never(
    brokers: Brokers, private_redis: RedisProcess
) -> None:
    # The channel's format, as another worker writes it: "<origin>:<number> <event>". A PUBLISH retried after its
    # connection broke may have gone through the first time: the copy must not reach anyone twice.
    a = await brokers()
    other = uuid.uuid4().hex
    async with AsyncExitStack() as stack, redis.asyncio.from_url(private_redis.url) as client:
        on_a = await subscribed(stack, a)
        channel = a._channel
        repeated, own, malformed = f"{other}:7 {{}}", f"{a.origin}:0 {{}}", '{"event": "deleted", "id": 1}'
        for message in (repeated, repeated, own, malformed, f"{other}:8 []"):
            await client.publish(channel, message)
        assert await next_event(on_a) == "{}"
        assert await next_event(on_a) == "[]"
        await assert_nothing_more(on_a)


async def test_after_a_restart_the_first_publish_goes_through_on_a_new_connection(
    brokers: Brokers, private_redis: RedisProcess, events_log: pytest.LogCaptureFixture
) -> None:
    # The publisher's pooled connection was closed by the restart while idle; redis-py would hand it out as it is.
    a, b = await brokers(), await brokers()
    async with AsyncExitStack() as stack:
        on_b = await subscribed(stack, b)
        await a.publish('{"n": 1}')
        assert await next_event(on_b) == '{"n": 1}'
        private_redis.stop()
        await eventually(lambda: b.degraded, "b's listener notices")
        private_redis.start()
        await eventually(lambda: not b.degraded, "b's listener back")
        await a.publish('{"n": 2}')
        assert await next_event(on_b) == '{"n": 2}'
        assert not a.degraded
        assert warnings_about(events_log, DEGRADED) == 1  # b's listener; a never noticed the outage


async def test_closing_while_redis_hangs_takes_at_most_a_few_timeouts(
    brokers: Brokers, private_redis: RedisProcess
) -> None:
    # At shutdown the lifespan closes the broker before the database: a hung Redis must not hold it.
    a = await brokers(timeout=0.3)
    async with a.subscribe():
        await a.publish('{"n": 1}')
        private_redis.freeze()
        await a.publish('{"n": 2}')  # in flight until the timeout, then the probe runs
    assert await timed(a.aclose()) < 1.5
