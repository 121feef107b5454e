"""WAL checkpoints of a SQLite file on a thread of their own, never inside a request's commit.

By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that commit copies the pages
into the database file and fsyncs it on the event-loop thread, and every request waits behind it. Measured with
POST /items' insert on this kind of machine: 20-30 % of a write's mean time and most of its p99. Here the serving
connection checkpoints only past `FALLBACK_PAGES` (when this thread has stalled or died, so the WAL stays bounded),
and a daemon thread runs a PASSIVE checkpoint every `interval` seconds on a connection of its own; PASSIVE never
waits for readers or writers, and the sqlite3 module releases the GIL while SQLite works. Durability does not
change: a checkpoint only moves pages that are committed already (WAL with synchronous=NORMAL either way).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

logger = logging.getLogger(__name__)

CHECKPOINT_INTERVAL_SECONDS = 0.2
# The serving connection's own `wal_autocheckpoint` (pages of 4 KiB): ~40 MB of WAL before it steps in.
FALLBACK_PAGES = 10_000


class WalCheckpointer:
    """Checkpoints the WAL of the SQLite file at `path` every `interval` seconds until stopped."""

    def __init__(self, path: str, *, busy_timeout_ms: int, interval: float = CHECKPOINT_INTERVAL_SECONDS) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # (busy, frames in the WAL, frames checkpointed) of the last checkpoint: what tests and operators read.
        self.last_result: tuple[int, int, int] | None = None
        # Rounds begun (checkpointed, failed or skipped): tests wait on it.
        self.rounds = 0

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (once; again after `stop`)."""
        if self.running:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=f"sqlite-checkpoints:{self._path}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to end and wait for it (at most `timeout` seconds: a checkpoint in progress finishes)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        failing = False
        try:
            while not self._stopping.wait(self._interval):
                self.rounds += 1
                try:
                    if conn is None:
                        conn = self._open()
                    row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except (sqlite3.Error, _NotWritable) as exc:
                    if conn is not None:
                        conn.close()  # a new one next round: this one may have been opened read-only
                        conn = None
                    if not failing:  # once per streak of failures, not five times a second
                        logger.warning("SQLite checkpoints of %s are failing (%s); retrying", self._path, exc)
                    failing = True
                    continue
                if failing:
                    logger.info("SQLite checkpoints of %s work again", self._path)
                    failing = False
                self.last_result = (int(row[0]), int(row[1]), int(row[2]))
        finally:
            if conn is not None:
                conn.close()

    def _open(self) -> sqlite3.Connection:
        """A connection to checkpoint with; `_NotWritable` while this process may not write the file.

        SQLite opens a file it may not write read-only, and the connections of one process to one file share
        their WAL index: while a read-only connection stays open, no other connection of the process can write,
        even once the file is writable again. So none is opened then, and a failing one is closed.
        """
        if not writable(self._path):
            raise _NotWritable("the file is not writable")
        conn = sqlite3.connect(self._path, check_same_thread=True, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
        except sqlite3.Error:
            conn.close()
            raise
        return conn


def writable(path: str) -> bool:
    """Whether this process may write the SQLite file at `path`, or create it there."""
    target = path if os.path.exists(path) else os.path.dirname(path) or "."
    return os.access(target, os.W_OK, effective_ids=os.access in os.supports_effective_ids)


class _NotWritable(Exception):
    """The database file cannot be written by this process now."""
