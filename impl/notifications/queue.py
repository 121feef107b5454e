"""The job queue of the worker mode: Taskiq over Redis streams (taskiq-redis), acknowledged after delivery.

The API enqueues only an outbox id; the worker (`make worker`: `taskiq worker impl.notifications.worker:broker`)
claims the row and sends it. The queue is the fast path, the outbox the truth: a message lost with Redis, or never
enqueued because the API died after its commit, is found by the worker's sweep when the row's lease ends.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from taskiq import Context, TaskiqDepends, TaskiqEvents, TaskiqState

from impl.db import DatabaseLimits, open_database
from impl.notifications.outbox import OutboxDeliverer, RetryPolicy
from impl.notifications.senders import build_sender
from impl.settings import Settings
from impl.tasks import cancel_and_wait

if TYPE_CHECKING:
    from taskiq_redis import RedisStreamBroker

logger = logging.getLogger(__name__)

TASK_NAME = "notifications.deliver"
CONSUMER_GROUP = "notifications"
# The stream is trimmed (approximately) beyond this many entries; a message trimmed before it was read is still
# in the outbox, where the sweep finds it.
MAX_STREAM_LENGTH = 100_000
_ENQUEUE_TIMEOUT_SECONDS = 2.0


async def deliver_notification(outbox_id: str, context: Context = TaskiqDepends()) -> None:  # noqa: B008 - Taskiq's DI
    """The worker's task: deliver one accepted notification (a no-op when it was delivered or claimed already)."""
    deliverer: OutboxDeliverer = context.state.deliverer
    await deliverer.deliver_first(outbox_id)


class NotificationQueue:
    """A Taskiq broker on one Redis stream, with the delivery task registered."""

    def __init__(self, broker: RedisStreamBroker) -> None:
        self.broker = broker
        self._task = broker.register_task(deliver_notification, task_name=TASK_NAME)

    async def enqueue(self, outbox_id: str) -> None:
        """Ask a worker to deliver `outbox_id`; logs (never raises) when Redis does not take it."""
        try:
            async with asyncio.timeout(_ENQUEUE_TIMEOUT_SECONDS):
                await self._task.kiq(outbox_id)
        except Exception:
            # Accepted is accepted: the row is committed, and the worker's sweep delivers it when its lease ends.
            logger.exception("notification %s: could not enqueue it; the worker's sweep will deliver it", outbox_id)

    async def startup(self) -> None:
        await self.broker.startup()

    async def shutdown(self) -> None:
        await self.broker.shutdown()


def build_queue(settings: Settings) -> NotificationQueue:
    """The queue named by NOTIFICATIONS_QUEUE_NAME on REDIS_URL."""
    # Imported here: processes in the embedded mode never load the queue's client.
    from taskiq_redis import RedisStreamBroker

    if not settings.redis_url:
        raise ValueError("the notification queue needs REDIS_URL")
    broker = RedisStreamBroker(
        url=settings.redis_url,
        queue_name=settings.notifications_queue_name,
        consumer_group_name=CONSUMER_GROUP,
        # "0", not "$": a group created after the API enqueued (the worker's first start) still reads those.
        consumer_id="0",
        maxlen=MAX_STREAM_LENGTH,
        # A message a killed worker read but never acknowledged goes to another worker after the lease.
        idle_timeout=int(settings.notification_lease_seconds * 1000),
        unacknowledged_lock_timeout=settings.notification_lease_seconds,
    )
    return NotificationQueue(broker)


def install_worker(queue: NotificationQueue, settings: Settings) -> None:
    """Give the broker's worker processes what delivery needs, and a sweep of the outbox, from start-up on."""

    async def start(state: TaskiqState) -> None:
        database = open_database(
            settings.database_url, echo=settings.database_echo, limits=DatabaseLimits.from_settings(settings)
        )
        deliverer = OutboxDeliverer(database, build_sender(settings), RetryPolicy.from_settings(settings))
        state.database = database
        state.deliverer = deliverer
        # Retries, and rows whose message never reached (or left) the stream, are the sweep's.
        state.sweeper = asyncio.create_task(deliverer.run_sweeper(settings.notification_sweep_seconds))
        logger.info("notification worker started on stream %s", settings.notifications_queue_name)

    async def stop(state: TaskiqState) -> None:
        await cancel_and_wait(state.sweeper)
        await state.database.dispose()

    queue.broker.add_event_handler(TaskiqEvents.WORKER_STARTUP, start)
    queue.broker.add_event_handler(TaskiqEvents.WORKER_SHUTDOWN, stop)
