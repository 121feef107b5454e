"""`POST /send-notification/{email}`: limit per sender, write the outbox, then deliver or enqueue after the commit."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from email_validator import EmailNotValidError, validate_email

from generated import models
from generated.runtime import RequestContext
from impl.db import Database
from impl.middleware import request_id_var
from impl.notifications.outbox import OutboxDeliverer, RetryPolicy, add_to_outbox
from impl.notifications.senders import EmailSender, build_sender
from impl.problems import InvalidRequest, Unauthorized
from impl.security.ratelimit import AttemptLimiter, Quota, reserve_or_refuse
from impl.settings import Settings
from impl.tasks import cancel_and_wait

if TYPE_CHECKING:
    from impl.notifications.queue import NotificationQueue

logger = logging.getLogger(__name__)

SUBJECT = "Notification from Contract API"


def _recipient(email: str) -> str:
    """The normalised address, or 422 naming the path parameter (also no CR/LF ever reaches a mail header)."""
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        message = f"not a valid e-mail address: {exc}"
        raise InvalidRequest(
            message, errors=[{"loc": ["path", "email"], "msg": message, "type": "value_error"}]
        ) from None


def _body(recipient: str, q: str | None) -> str:
    # The seed's message and its query-dependency line.
    body = f"message to {recipient}\n"
    if q:
        body += f"found query: {q}\n"
    return body


class Notifications:
    """Accepts notifications and owns their delivery: in-process (background task + sweep) or through the queue.

    `start()`/`aclose()` run with the app's lifespan: the embedded mode's sweep delivers what a dead process
    accepted and retries failures; the queue mode only connects the broker (the worker sweeps).
    """

    def __init__(
        self,
        database: Database,
        limiter: AttemptLimiter,
        settings: Settings,
        *,
        sender: EmailSender | None = None,
        queue: NotificationQueue | None = None,
    ) -> None:
        self._database = database
        self._limiter = limiter
        self._settings = settings
        self.policy = RetryPolicy.from_settings(settings)
        self.deliverer = OutboxDeliverer(database, sender or build_sender(settings), self.policy)
        if queue is None and settings.notifications_queue == "redis":
            # Imported only in the queue mode: Taskiq and its dependencies cost a process that does not use them
            # ~0.5 s of start-up and several MB.
            from impl.notifications.queue import build_queue

            queue = build_queue(settings)
        self.queue = queue
        self._sweeper: asyncio.Task[None] | None = None

    async def send(self, ctx: RequestContext, *, email: str, q: str | None) -> models.Message:
        """Accept one notification (202): 401 without a caller, 422 for a bad address, 429 over the sender's limit."""
        if ctx.principal is None:
            raise Unauthorized("sending notifications needs an authenticated caller")
        recipient = _recipient(email)
        settings = self._settings
        quota = Quota(
            f"notify:{ctx.principal.subject}", settings.notifications_per_user, settings.notification_window_seconds
        )
        await reserve_or_refuse(self._limiter, (quota,), "too many notifications")
        request_id = request_id_var.get()
        try:
            # The insert is this request's write; its commit is the acceptance. Nothing is sent inside it.
            async with self._database.connect() as conn:
                outbox_id = await add_to_outbox(
                    conn,
                    user_id=int(ctx.principal.subject),
                    recipient=recipient,
                    subject=SUBJECT,
                    body=_body(recipient, q),
                    request_id=request_id,
                    lease_seconds=self.policy.lease_seconds,
                )
                await conn.commit()
        except Exception:
            await self._limiter.release((quota,))  # nothing was accepted: not counted
            raise
        logger.info("notification %s for %s accepted (request %s)", outbox_id, recipient, request_id)
        if self.queue is not None:
            await self.queue.enqueue(outbox_id)
        else:
            # The seed's idiom: delivered after the response is sent; the outbox row makes it survive a crash.
            ctx.add_background_task(self.deliverer.deliver_first, outbox_id)
        return models.Message(message=f"Notification {outbox_id} queued")

    async def start(self) -> None:
        """Connect the queue (queue mode) or start the sweep (embedded mode)."""
        if self.queue is not None:
            await self.queue.startup()
        else:
            self._sweeper = asyncio.create_task(
                self.deliverer.run_sweeper(self._settings.notification_sweep_seconds), name="notification-sweeper"
            )

    async def aclose(self) -> None:
        """Stop the sweep, or disconnect the queue."""
        if self._sweeper is not None:
            await cancel_and_wait(self._sweeper)
            self._sweeper = None
        if self.queue is not None:
            await self.queue.shutdown()
