"""Stopping a background task for good, whatever Python version runs it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

# How long a cancelled task may run on before it is cancelled again.
RECANCEL_SECONDS = 0.1


async def cancel_and_wait(task: asyncio.Task[Any], *, recancel_seconds: float = RECANCEL_SECONDS) -> None:
    """Cancel `task` and return once it has ended, cancelling it again for as long as it runs on.

    One `cancel()` is not always enough: Python 3.11's `asyncio.wait_for` returns its inner future's result when the
    cancellation arrives in the loop iteration in which that future completes, and the cancellation is lost
    (gh-86296, fixed in 3.12). The notification sweeper, cancelled at shutdown as its SMTP connection was
    established, then waited the SMTP timeout (minutes) for a greeting, and the server's shutdown with it. An error
    the task ended with is raised here.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=recancel_seconds)
    with contextlib.suppress(asyncio.CancelledError):
        await task
