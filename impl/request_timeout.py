"""REQUEST_TIMEOUT_SECONDS: a request that makes no progress for that long is cancelled (see EdgeMiddleware).

Cheap per request by design: progress is a counter bumped in a dict (no clock read, no timer per request: under
uvloop a timer armed and cancelled per request cost ~25 us, each being a libuv handle), and one timer per event
loop compares the counters every `tick` seconds. A silent request is cancelled between `seconds` and
`seconds + 2 * tick` after its last progress.
"""

from __future__ import annotations

import asyncio
from typing import Any

# The sweep's period for long timeouts (shorter ones get a quarter of the timeout).
MAX_TICK_SECONDS = 1.0

Request = asyncio.Task[Any] | None  # the task serving the request (None outside a task: never cancelled)


class RequestDeadlines:
    """Watches the requests of one app: `start()` when one begins, then its count in `progress` is bumped when a body
    chunk is received or a message sent, and popped when its response is complete or it ends (plain dict operations:
    this runs on every request); the sweep cancels the silent ones."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.tick = min(MAX_TICK_SECONDS, seconds / 4)
        # Each watched request's progress count: the caller bumps it (`progress[task] += 1`) and pops the request
        # when its response is complete or it ends; a request that is not in it is not watched.
        self.progress: dict[Request, int] = {}
        # The sweep's view: each request's count when it last changed, and since when (loop time).
        self._seen: dict[Request, tuple[int, float]] = {}
        self._expired: set[Request] = set()
        # The loop the sweep runs on (an app is served by one at a time; tests start several one after another).
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> Request:
        """Watch the current task from now; returns it, the key of the other calls."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        if loop is not self._loop:
            self._loop = loop
            loop.call_later(self.tick, self._sweep, loop)
        self.progress[task] = 0
        return task

    def claim(self, task: Request) -> bool:
        """Whether a CancelledError in `task` is this watch's alone; if so it is consumed (uncancelled)."""
        if task not in self._expired:
            return False
        self._expired.discard(task)
        return task is not None and task.uncancel() == 0

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        if loop is not self._loop:
            return  # another loop took over
        if not self.progress:
            # Idle: the next request starts the sweep again.
            self._loop, self._seen, self._expired = None, {}, set()
            return
        # A cancellation the cut code swallowed is never claimed: forget it once its task is done.
        self._expired = {task for task in self._expired if task is not None and not task.done()}
        now = loop.time()
        seen: dict[Request, tuple[int, float]] = {}
        for task, count in list(self.progress.items()):
            if task is None or task.get_loop() is not loop:
                continue
            last = self._seen.get(task)
            if last is None or last[0] != count:
                last = (count, now)
            elif now - last[1] >= self.seconds and task not in self._expired and not task.done():
                self._expired.add(task)
                task.cancel()
            seen[task] = last
        self._seen = seen
        loop.call_later(self.tick, self._sweep, loop)
