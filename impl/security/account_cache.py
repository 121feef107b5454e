"""What every authenticated request checks (the account active, its scopes, the session open), kept per process for
at most ACCOUNT_CACHE_SECONDS (≤ 1 s) so that a burst of requests of one session reads the database once.

Staleness is bounded, and usually nil:
- this process's own commits that update or delete accounts or sessions (logout, revocation, a password or scope
  change, deactivation, deletion) drop every entry before the request that made them answers (`CommitWatch`), so
  with one worker nothing is ever stale;
- with REDIS_URL each worker then PUBLISHes that something changed, and every other worker drops its entries when
  the message arrives (milliseconds);
- without Redis (several workers on one SQLite file), while Redis is down, or for a change made outside the app (SQL
  by hand), an entry read before the change is used for at most ACCOUNT_CACHE_SECONDS after it was read.

Only open sessions of active accounts are kept: a refusal is never cached. A read that overlaps a change (it began
before the change was dropped) is not kept either: each drop starts a new generation, and an entry is stored only
by a read that began in the current one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Final

from impl.events import EventBroker

# More sessions than this seen within one cache lifetime: start over rather than grow (each entry is ~200 bytes).
MAX_ENTRIES: Final = 10_000
# What goes over Redis: the message says only "something changed", so every worker drops everything it keeps.
CHANGED: Final = "changed"
# For FanoutHealth's log lines while Redis is down.
OUTAGE: Final = (
    "account changes",
    "other workers may accept a revoked session or a changed account for up to ACCOUNT_CACHE_SECONDS",
)


class AccountStates:
    """Scopes granted to (account, session) pairs checked recently, each until a deadline on `clock`."""

    def __init__(self, max_age_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age_seconds
        self.clock = clock
        self.generation = 0
        self._entries: dict[tuple[int, str], tuple[float, frozenset[str]]] = {}

    def scopes(self, account_id: int, session_id: str) -> frozenset[str] | None:
        """The account's scopes when the pair was checked less than `max_age` ago (and nothing changed since)."""
        entry = self._serving(account_id, session_id)
        return None if entry is None else entry[1]

    def until(self, account_id: int, session_id: str) -> float | None:
        """Until when (on `clock`) the pair's entry serves: None when there is none, or it has ended."""
        entry = self._serving(account_id, session_id)
        return None if entry is None else entry[0]

    def _serving(self, account_id: int, session_id: str) -> tuple[float, frozenset[str]] | None:
        entry = self._entries.get((account_id, session_id))
        return None if entry is None or self.clock() >= entry[0] else entry

    def keep(
        self, account_id: int, session_id: str, scopes: frozenset[str], *, read_at: float, generation: int, until: float
    ) -> None:
        """Remember the outcome of a check that began at `read_at` in `generation`, for `max_age` from then, and
        never past `until` (the session's own end, on the same clock)."""
        if generation != self.generation or self.max_age <= 0:
            return  # a change was dropped while this was being read: what was read may predate it
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[(account_id, session_id)] = (min(read_at + self.max_age, until), scopes)

    def drop_all(self) -> None:
        """Forget everything: an account or a session changed somewhere."""
        self.generation += 1
        self._entries.clear()


class AccountChangeRelay:
    """Drops this process's `AccountStates` when its own commits change accounts or sessions, and relays that to
    the other workers over the broker (Redis pub/sub with REDIS_URL), dropping theirs when they relay it here."""

    def __init__(self, states: AccountStates, broker: EventBroker | None) -> None:
        self._states = states
        self._broker = broker
        self._announcing: asyncio.Task[None] | None = None
        self._unannounced = False

    async def start(self) -> None:
        """Listen to the other workers (returns once the first attempt to subscribe has ended)."""
        if self._broker is not None:
            await self._broker.follow(self._heard)

    def changed(self) -> None:
        """A commit of this process changed accounts or sessions: drop now, then tell the others (one PUBLISH in
        flight at a time; changes committed meanwhile go out in the next one)."""
        self._states.drop_all()
        if self._broker is None:
            return  # one worker: nobody else to tell
        self._unannounced = True
        if self._announcing is None or self._announcing.done():
            self._announcing = asyncio.get_running_loop().create_task(self._announce(), name="account-changes")

    async def aclose(self) -> None:
        """Send what is still unannounced, stop listening and release the broker's connections."""
        if self._broker is None:
            return
        if self._announcing is not None:
            await self._announcing
        await self._broker.aclose()

    async def _announce(self) -> None:
        broker = self._broker
        assert broker is not None  # only scheduled when there is one
        while self._unannounced:
            self._unannounced = False
            await broker.publish(CHANGED)  # never raises: an outage is the broker's to log

    def _heard(self, _message: str) -> None:
        self._states.drop_all()
