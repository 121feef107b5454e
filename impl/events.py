"""Item events for `/ws/items`: published after each commit, fanned out to bounded per-connection queues.

In-process by default; with REDIS_URL every worker publishes to one Redis pub/sub channel and each worker's one
listener fans what arrives out to its own connections, so a client of worker A sees a write made on worker B.
Delivery is at most once (pub/sub keeps nothing): a subscriber that may have missed events is closed, and
re-reads `GET /items` after reconnecting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Literal, Protocol

import orjson

from generated import models

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

ItemEventKind = Literal["created", "updated", "deleted"]
# RFC 6455 close codes the broker ends a subscription with.
CLOSE_GOING_AWAY = 1001
CLOSE_INTERNAL_ERROR = 1011
CLOSE_TRY_AGAIN_LATER = 1013
# How long a new subscriber waits for the Redis listener to be subscribed before giving up.
SUBSCRIBE_TIMEOUT_SECONDS = 5.0
# Publishing is best effort after the commit: a slow Redis must not hold the HTTP response for long.
PUBLISH_TIMEOUT_SECONDS = 2.0
_RECONNECT_MIN_SECONDS, _RECONNECT_MAX_SECONDS = 0.1, 5.0


def item_event(kind: Literal["created", "updated"], item: models.Item) -> str:
    """The `{"event": kind, "item": Item}` text frame."""
    return orjson.dumps({"event": kind, "item": item.model_dump(mode="json")}).decode()


def deleted_event(item_id: int) -> str:
    """The `{"event": "deleted", "id": item_id}` text frame."""
    return orjson.dumps({"event": "deleted", "id": item_id}).decode()


class BrokerUnavailable(Exception):
    """The event stream cannot be joined now (Redis unreachable)."""


class Subscription:
    """One connection's bounded queue of encoded events; `ended` is set, with a close code and reason, when the
    broker stops feeding it (the queue overflowed, the stream broke, or the process is shutting down)."""

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
    """Publishes item events and lends subscriptions to them."""

    async def publish(self, event: str) -> None:
        """Deliver `event` to every subscriber (of every worker); never raises, never waits for a subscriber."""
        ...

    def subscribe(self) -> AbstractAsyncContextManager[Subscription]:
        """A subscription that receives every event published after it is entered (BrokerUnavailable if it
        cannot be had now)."""
        ...

    async def aclose(self) -> None:
        """End every subscription (1001) and release the broker's connections."""
        ...

    def subscriber_count(self) -> int:
        """How many subscriptions of this process are open."""
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


class RedisBroker:
    """Events of every worker through one Redis pub/sub channel; one listener per process, started by the first
    subscriber and reconnecting with backoff. Subscribers are ended (1011) whenever the listener loses Redis, since
    they may have missed events."""

    def __init__(self, redis: Redis, channel: str, queue_size: int) -> None:
        self._redis = redis
        self._channel = channel
        self._fanout = _Fanout(queue_size)
        self._listening = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None

    async def publish(self, event: str) -> None:
        """PUBLISH `event`; a failure is logged, never raised (the write it reports is already committed)."""
        try:
            await asyncio.wait_for(self._redis.publish(self._channel, event), PUBLISH_TIMEOUT_SECONDS)
        except Exception:
            logger.exception("could not publish an item event to Redis channel %s", self._channel)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        """A subscription that is live once entered: the listener's SUBSCRIBE has been acknowledged."""
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._listen(), name="item-events-listener")
        async with self._fanout.joined() as subscription:
            try:
                await asyncio.wait_for(self._listening.wait(), SUBSCRIBE_TIMEOUT_SECONDS)
            except TimeoutError:
                raise BrokerUnavailable("the event stream (Redis) is unavailable") from None
            yield subscription

    async def aclose(self) -> None:
        """End every subscription, stop the listener, close the Redis client."""
        self._fanout.closed = True
        self._fanout.end_all(CLOSE_GOING_AWAY, "the server is shutting down")
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._redis.aclose()

    def subscriber_count(self) -> int:
        """How many subscriptions of this process are open."""
        return len(self._fanout.subscriptions)

    async def _listen(self) -> None:
        delay = _RECONNECT_MIN_SECONDS
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                self._listening.set()
                delay = _RECONNECT_MIN_SECONDS
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        data = message["data"]
                        self._fanout.deliver(data.decode() if isinstance(data, bytes) else str(data))
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("lost the Redis channel %s; reconnecting in %.1f s", self._channel, delay, exc_info=True)
            finally:
                self._listening.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves PubSub.aclose unannotated
            # Whatever was published meanwhile is lost: tell the subscribers instead of letting them miss it.
            self._fanout.end_all(CLOSE_INTERNAL_ERROR, "the event stream was interrupted; reconnect and re-read")
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RECONNECT_MAX_SECONDS)


def build_event_broker(redis_url: str | None, *, channel: str, queue_size: int) -> EventBroker:
    """A Redis pub/sub broker when `redis_url` is set (several workers), else an in-process one."""
    if redis_url:
        # Imported here: the default (one worker, no Redis) needs no Redis client at all.
        from redis.asyncio import from_url

        return RedisBroker(from_url(redis_url), channel, queue_size)
    return InProcessBroker(queue_size)
