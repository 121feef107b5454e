"""Item events for `/ws/items`: published after each commit, fanned out to bounded per-connection queues.

In-process by default. With REDIS_URL every worker also PUBLISHes each event to one Redis pub/sub channel, tagged
with the worker's origin (a random id), and each worker's one listener fans the events of *other* workers out to its
own connections. A worker's own events reach its own connections directly, never through Redis, and their copies
coming back through the channel are dropped, as are repeats (by message id): so a client of worker A sees a write
made on worker B, and no client gets an event twice, whether Redis carries a copy at once, late (a Redis that hung
and woke up), twice (a retried PUBLISH) or never.

Redis outage — the fan-out *degrades* to in-process: a worker's events still reach its own connections (one worker
loses nothing), only the fan-out between workers stops. One warning is logged when the outage starts and one line
when it ends (`degraded` says it meanwhile); connections stay open. A PUBLISH waits at most REDIS_TIMEOUT_SECONDS,
and after one fails none is tried until a probe finds Redis again, so item writes are never held up for long. The
listener reconnects with backoff and pings a quiet connection, so a Redis that hangs counts as down too, not only
one that refuses connections. Delivery is at most once (pub/sub keeps nothing): what other workers publish while
Redis is down never arrives here; clients re-read `GET /items` after reconnecting.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Literal, Protocol

import orjson

from generated import models
from impl.tasks import cancel_and_wait

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub

logger = logging.getLogger(__name__)

ItemEventKind = Literal["created", "updated", "deleted"]
# RFC 6455 close codes the broker ends a subscription with.
CLOSE_GOING_AWAY = 1001
CLOSE_TRY_AGAIN_LATER = 1013
# How long one exchange with Redis may take (connect, PUBLISH, the SUBSCRIBE confirmation, a PING's answer) before
# Redis counts as down; the same second as the attempt limits' (impl/security/ratelimit.py).
REDIS_TIMEOUT_SECONDS = 1.0
# A listener that heard nothing for this long pings Redis: a hung server or a silent network never closes the socket.
HEARTBEAT_SECONDS = 5.0
# A new subscriber waits at most this long for the listener's first attempt (itself bounded by the timeout above).
SUBSCRIBE_TIMEOUT_SECONDS = 5.0
_RECONNECT_MIN_SECONDS, _RECONNECT_MAX_SECONDS = 0.1, 2.0
# What reports on Redis: the publishing side (PUBLISH, then the probe) and the listening side (the subscription).
PUBLISHER, LISTENER = "publisher", "listener"
# How many message ids of other workers the listener remembers to drop a repeated PUBLISH (see build_event_broker).
_RECENT_IDS = 4096
# What an outage means for the events a broker carries: `/ws/items`'s by default (FanoutHealth's log lines).
ITEM_EVENTS_OUTAGE = (
    "item events",
    "each worker's /ws/items clients get only that worker's events until Redis is back",
)


def item_event(kind: Literal["created", "updated"], item: models.Item) -> str:
    """The `{"event": kind, "item": Item}` text frame."""
    return orjson.dumps({"event": kind, "item": item.model_dump(mode="json")}).decode()


def deleted_event(item_id: int) -> str:
    """The `{"event": "deleted", "id": item_id}` text frame."""
    return orjson.dumps({"event": "deleted", "id": item_id}).decode()


class Subscription:
    """One connection's bounded queue of encoded events; `ended` is set, with a close code and reason, when the
    broker stops feeding it (the queue overflowed, or the process is shutting down)."""

    def __init__(self, size: int) -> None:
        self._queue: asyncio.Queue[str] = asyncio.Queue(size)
        self.ended = asyncio.Event()
        self.close_code = CLOSE_GOING_AWAY
        self.close_reason = ""

    def offer(self, event: str) -> None:
        """Queue `event` without waiting; a full queue ends the subscription (the publisher never waits)."""
        if self.ended.is_set():
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.end(CLOSE_TRY_AGAIN_LATER, f"too slow: more than {self._queue.maxsize} events waiting")

    async def next(self) -> str:
        """The oldest queued event, waiting for one."""
        return await self._queue.get()

    def end(self, code: int, reason: str) -> None:
        """Stop feeding this subscription and drop what it had not sent (the first reason wins)."""
        if self.ended.is_set():
            return
        self.close_code, self.close_reason = code, reason
        while not self._queue.empty():
            self._queue.get_nowait()
        self.ended.set()


class EventBroker(Protocol):
    """Publishes events and lends subscriptions to them: item events for `/ws/items`, and on a channel of their own
    the account changes workers tell each other about (impl/security/account_cache.py)."""

    async def publish(self, event: str) -> None:
        """Deliver `event` to every subscriber (of every worker); never raises, never waits for a subscriber."""
        ...

    def subscribe(self) -> AbstractAsyncContextManager[Subscription]:
        """A subscription that receives every event published after it is entered."""
        ...

    async def aclose(self) -> None:
        """End every subscription (1001) and release the broker's connections."""
        ...

    def subscriber_count(self) -> int:
        """How many subscriptions of this process are open."""
        ...

    @property
    def degraded(self) -> bool:
        """True while events reach only this process's subscribers though they should reach every worker's."""
        ...

    @property
    def has_audience(self) -> bool:
        """Whether a published event could reach anyone (publishers skip encoding events nobody can receive)."""
        ...

    async def follow(self, callback: Callable[[str], None]) -> None:
        """Call `callback` with every event the *other* workers publish from now on, until `aclose` (no queue,
        nothing to end: for listeners inside this process, such as a cache dropping what another worker changed;
        this process knows its own events already). Returns once the listener's first attempt to subscribe has
        ended, as `subscribe` waits."""
        ...


class _Fanout:
    """The subscriptions of this process."""

    def __init__(self, queue_size: int) -> None:
        self.queue_size = queue_size
        self.subscriptions: set[Subscription] = set()
        self.closed = False

    def deliver(self, event: str) -> None:
        for subscription in tuple(self.subscriptions):
            subscription.offer(event)

    def end_all(self, code: int, reason: str) -> None:
        for subscription in tuple(self.subscriptions):
            subscription.end(code, reason)

    @asynccontextmanager
    async def joined(self) -> AsyncIterator[Subscription]:
        subscription = Subscription(self.queue_size)
        if self.closed:
            subscription.end(CLOSE_GOING_AWAY, "the server is shutting down")
        self.subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self.subscriptions.discard(subscription)


class InProcessBroker:
    """Events of this process only: enough for one worker."""

    def __init__(self, queue_size: int) -> None:
        self._fanout = _Fanout(queue_size)

    async def publish(self, event: str) -> None:
        """Queue `event` for every subscriber of this process."""
        self._fanout.deliver(event)

    def subscribe(self) -> AbstractAsyncContextManager[Subscription]:
        """A subscription to this process's events."""
        return self._fanout.joined()

    async def aclose(self) -> None:
        """End every subscription with 1001."""
        self._fanout.closed = True
        self._fanout.end_all(CLOSE_GOING_AWAY, "the server is shutting down")

    def subscriber_count(self) -> int:
        """How many subscriptions are open."""
        return len(self._fanout.subscriptions)

    @property
    def degraded(self) -> bool:
        """Never: in-process delivery is all this broker promises."""
        return False

    @property
    def has_audience(self) -> bool:
        """Only while this process has subscribers."""
        return bool(self._fanout.subscriptions)

    async def follow(self, callback: Callable[[str], None]) -> None:
        """Nothing to follow: there are no other workers."""


class FanoutHealth:
    """Whether Redis carries this process's events to the other workers and theirs to it, as two witnesses report
    it: the publisher and the listener. Degraded from the first failure either reports until each of them that
    failed has succeeded again; the start and the end of an outage are logged once each, never once per event."""

    def __init__(self, channel: str, outage: tuple[str, str] = ITEM_EVENTS_OUTAGE) -> None:
        self._channel = channel
        # What the events are, and what an outage leaves of them: for the log lines.
        self._subject, self._consequence = outage
        self._failing: set[str] = set()
        self._since = 0.0

    @property
    def subject(self) -> str:
        """What the events are, for log lines ("item events")."""
        return self._subject

    @property
    def degraded(self) -> bool:
        """True from the first failure until every witness that failed has succeeded since."""
        return bool(self._failing)

    def failing(self, witness: str) -> bool:
        """Whether `witness`'s last report was a failure."""
        return witness in self._failing

    def failed(self, witness: str, error: BaseException) -> None:
        """`witness` could not reach Redis: the first failure of an outage is a warning, the others debug lines."""
        cause = f"{type(error).__name__}: {error}".rstrip(": ")
        if not self._failing:
            self._since = time.monotonic()
            logger.warning(
                "%s degraded to in-process delivery: Redis (channel %s) is unreachable (%s, seen by the %s); %s",
                self._subject,
                self._channel,
                cause,
                witness,
                self._consequence,
            )
        elif witness not in self._failing:
            logger.debug("%s: the %s cannot reach Redis either (%s)", self._subject, witness, cause)
        self._failing.add(witness)

    def succeeded(self, witness: str) -> None:
        """`witness` reached Redis; when it was the last one failing, the outage is over (logged once)."""
        if witness not in self._failing:
            return
        self._failing.discard(witness)
        if not self._failing:
            logger.info(
                "%s fan out across workers again: Redis (channel %s) is back after %.1f s",
                self._subject,
                self._channel,
                time.monotonic() - self._since,
            )


class _RecentIds:
    """The last `size` message ids seen, oldest forgotten first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._ids: OrderedDict[bytes, None] = OrderedDict()

    def first_time(self, message_id: bytes) -> bool:
        """True unless `message_id` is among the recent ones; remembers it either way."""
        if message_id in self._ids:
            return False
        self._ids[message_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True


class RedisBroker:
    """Events of every worker through one Redis pub/sub channel, degrading to this process's own events while Redis
    is unreachable (see the module's docstring). One listener per process, started by the first subscriber."""

    def __init__(
        self,
        redis: Redis,
        channel: str,
        queue_size: int,
        *,
        timeout: float = REDIS_TIMEOUT_SECONDS,
        heartbeat: float = HEARTBEAT_SECONDS,
        outage: tuple[str, str] = ITEM_EVENTS_OUTAGE,
    ) -> None:
        self._redis = redis
        self._channel = channel
        self._fanout = _Fanout(queue_size)
        self._followers: list[Callable[[str], None]] = []
        self._timeout = timeout
        self._heartbeat = heartbeat
        # Each message on the channel is `<origin>:<n> <event>`: the publishing broker and its message's number.
        self.origin = uuid.uuid4().hex
        self._origin = self.origin.encode()
        self._numbers = itertools.count()
        self._recent = _RecentIds(_RECENT_IDS)
        self._health = FanoutHealth(channel, outage)
        # Set once the listener's first attempt has ended, subscribed or not.
        self._settled = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None
        self._probe: asyncio.Task[None] | None = None

    @property
    def degraded(self) -> bool:
        """True while Redis is unreachable: events then reach only this process's subscribers."""
        return self._health.degraded

    @property
    def has_audience(self) -> bool:
        """Always: other workers' subscribers are not known here."""
        return True

    async def publish(self, event: str) -> None:
        """Deliver `event` to this process's subscribers, then PUBLISH it for the other workers' — unless Redis is
        known to be down; a failure is recorded (logged once per outage), never raised: the write is committed."""
        self._fanout.deliver(event)
        if self._health.failing(PUBLISHER):
            return  # the probe finds out when Redis is back; meanwhile no write waits for a dead server
        try:
            async with asyncio.timeout(self._timeout):
                await self._redis.publish(self._channel, f"{self.origin}:{next(self._numbers)} {event}".encode())
        except Exception as exc:
            self._health.failed(PUBLISHER, exc)
            if self._probe is None or self._probe.done():
                self._probe = asyncio.create_task(self._probe_until_back(), name=f"{self._channel}-probe")

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        """A subscription that is live once entered: it gets every later event of this process and, unless Redis
        is down (degraded), of every other worker, the listener's SUBSCRIBE being confirmed by then."""
        async with self._fanout.joined() as subscription:
            await self._listening()
            yield subscription

    async def follow(self, callback: Callable[[str], None]) -> None:
        """Call `callback` with every later event of the other workers (none while Redis is down)."""
        self._followers.append(callback)
        await self._listening()

    async def _listening(self) -> None:
        """Start the listener if it is not running; only the first callers wait, for its first attempt (whatever
        its outcome)."""
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._listen(), name=f"{self._channel}-listener")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SUBSCRIBE_TIMEOUT_SECONDS):
                await self._settled.wait()

    async def aclose(self) -> None:
        """End every subscription, stop the listener and the probe, close the Redis client."""
        self._fanout.closed = True
        self._fanout.end_all(CLOSE_GOING_AWAY, "the server is shutting down")
        for task in (self._listener, self._probe):
            if task is not None:
                await cancel_and_wait(task)
        await self._redis.aclose()

    def subscriber_count(self) -> int:
        """How many subscriptions of this process are open."""
        return len(self._fanout.subscriptions)

    async def _probe_until_back(self) -> None:
        """PING Redis with backoff until it answers; then PUBLISHes are tried again."""
        delay = _RECONNECT_MIN_SECONDS
        while True:
            await asyncio.sleep(delay)
            try:
                async with asyncio.timeout(self._timeout):
                    await self._redis.ping()
            except Exception as exc:
                logger.debug("%s: Redis still unreachable (%s)", self._health.subject, type(exc).__name__)
                delay = min(delay * 2, _RECONNECT_MAX_SECONDS)
                continue
            self._health.succeeded(PUBLISHER)
            return

    async def _listen(self) -> None:
        delay = _RECONNECT_MIN_SECONDS
        while True:
            pubsub = self._redis.pubsub()
            try:
                await self._join(pubsub)
                self._health.succeeded(LISTENER)
                self._settled.set()
                delay = _RECONNECT_MIN_SECONDS
                await self._relay(pubsub)
            except Exception as exc:
                # Connections stay open: this process's events still reach them (see the module's docstring).
                self._health.failed(LISTENER, exc)
                self._settled.set()
            finally:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(self._timeout):
                        await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RECONNECT_MAX_SECONDS)

    async def _join(self, pubsub: PubSub) -> None:
        """SUBSCRIBE, and wait for Redis to confirm it: only from then on is every PUBLISH sure to arrive here."""
        async with asyncio.timeout(self._timeout):
            await pubsub.subscribe(self._channel)
            confirmed = False
            while not confirmed:
                message = await pubsub.get_message(timeout=None)
                confirmed = message is not None and message["type"] == "subscribe"

    async def _relay(self, pubsub: PubSub) -> None:
        """Deliver what other workers publish until the connection fails. A connection quiet for the heartbeat is
        pinged; one that does not answer within the timeout counts as lost (a hung Redis never closes it)."""
        while True:
            message = await pubsub.get_message(timeout=self._heartbeat)
            if message is None:
                try:
                    async with asyncio.timeout(self._timeout):
                        await pubsub.ping()
                        # The pong, or a message that came first: either proves the connection alive.
                        message = await pubsub.get_message(timeout=None)
                except TimeoutError:
                    raise TimeoutError(f"no answer to a PING within {self._timeout:g} s") from None
            if message is not None and message["type"] == "message":
                self._receive(message["data"])

    def _receive(self, data: bytes | str) -> None:
        message_id, _, event = (data if isinstance(data, bytes) else data.encode()).partition(b" ")
        origin, _, number = message_id.partition(b":")
        if len(origin) != len(self._origin) or not number.isdigit():
            # Not a broker's message (another program on the channel, an older version of this one): passing it on
            # would send clients a frame the protocol does not have.
            logger.debug("%s: dropped a message without an origin on channel %s", self._health.subject, self._channel)
        elif origin != self._origin and self._recent.first_time(message_id):
            # Not this process's own event (its subscribers had it when it was published), nor a repeat.
            text = event.decode(errors="replace")
            self._fanout.deliver(text)
            for follower in self._followers:
                follower(text)


def build_event_broker(
    redis_url: str | None,
    *,
    channel: str,
    queue_size: int,
    timeout: float = REDIS_TIMEOUT_SECONDS,
    heartbeat: float = HEARTBEAT_SECONDS,
    outage: tuple[str, str] = ITEM_EVENTS_OUTAGE,
) -> EventBroker:
    """A Redis pub/sub broker when `redis_url` is set (several workers), else an in-process one."""
    if redis_url:
        # Imported here: the default (one worker, no Redis) needs no Redis client at all.
        from redis.asyncio import from_url
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # One immediate retry: it reconnects a pooled connection that Redis closed while it sat idle (a restart), which
        # redis-py hands out as it is. Listeners drop the copy a retried PUBLISH may add (message ids); longer outages
        # are the broker's own business (the probe, the listener's backoff).
        client = from_url(redis_url, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 1))
        return RedisBroker(client, channel, queue_size, timeout=timeout, heartbeat=heartbeat, outage=outage)
    return InProcessBroker(queue_size)
