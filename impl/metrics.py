"""Prometheus metrics through prometheus-client: requests per operation and status, latency, in-flight requests and
database connections, summed over every worker in multiprocess mode.

Multiprocess mode is on when `PROMETHEUS_MULTIPROC_DIR` names a directory (prometheus-client reads it at import;
`make serve` sets it to a fresh one): each worker writes its values to files there, and any worker answering
`/metrics` reads them all. Without it, values are this process's own.

Requests are tallied in plain Python numbers and added to the prometheus-client instruments in bulk (`flush`): by
the worker answering a scrape, before it answers, and by every worker each FLUSH_SECONDS. Five locked updates of
prometheus-client values per request cost ~10 us of a ~200 us POST (profiled). So a scrape shows its own worker's
requests exactly, and another worker's as they were at most FLUSH_SECONDS ago.
"""

from __future__ import annotations

import asyncio
import bisect
import os
from collections.abc import Iterable, Mapping
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.pool import Pool
from typing_extensions import override

MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
EXPOSITION_MEDIA_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Requests that matched no operation of the contract (404, 405, the docs pages) share one label value.
OTHER_OPERATION = "other"
# How often each worker adds its tallies to the instruments (what other workers' scrapes read).
FLUSH_SECONDS: Final = 1.0
# The latency histogram's bucket bounds, the last one +Inf (prometheus-client's defaults).
LATENCY_BUCKETS: Final = Histogram.DEFAULT_BUCKETS


def multiprocess_mode() -> bool:
    """Whether values are shared between workers through `PROMETHEUS_MULTIPROC_DIR`."""
    return bool(os.environ.get(MULTIPROCESS_DIR_ENV))


class _Snapshot(Collector):
    """Gauges computed at scrape time by the scraping worker (values that are global, such as a table's size)."""

    def __init__(self, values: dict[str, tuple[str, float]]) -> None:
        self._values = values

    @override
    def collect(self) -> Iterable[Metric]:
        for name, (documentation, value) in self._values.items():
            yield GaugeMetricFamily(name, documentation, value=value)


class AppMetrics:
    """The app's instruments, in a registry of its own (tests build many apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._requests = Counter(
            "http_requests_total",
            "HTTP requests answered, by operationId of the contract and status code.",
            ["operation", "status"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "http_request_duration_seconds",
            "Time from the request's arrival to the start of its response, by operationId.",
            ["operation"],
            registry=self.registry,
            buckets=LATENCY_BUCKETS,
        )
        self._in_flight = Gauge(
            "http_requests_in_flight",
            "HTTP requests being handled.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.db_connections_in_use = Gauge(
            "db_connections_in_use",
            "Database connections checked out of the pool (PostgreSQL; SQLite keeps one unpooled connection).",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self._swept = Counter(
            "housekeeping_deleted_rows_total",
            "Rows the housekeeping sweep deleted because they can no longer matter, by table.",
            ["table"],
            registry=self.registry,
        )
        self._sweeps = Counter(
            "housekeeping_rounds_total",
            "Housekeeping rounds by outcome: swept, yielded (another sweeper held the lock) or failed.",
            ["outcome"],
            registry=self.registry,
        )
        # Label lookups cost more than the increments: one child per label set, made once.
        self._children: dict[tuple[str, int], tuple[Counter, Histogram]] = {}
        # Since the last flush, per (operation, status): [requests, latency sum, requests per latency bucket...].
        self._tallies: dict[tuple[str, int], list[float]] = {}
        # Requests between the edge layer's start and end, counted by it (the gauge is set from it when flushing).
        self.requests_in_flight = 0
        self._bounds = tuple(float(bound) for bound in LATENCY_BUCKETS)

    def observe(self, operation: str | None, status: int, seconds: float) -> None:
        """Count one answered request and its latency (added to the instruments at the next `flush`)."""
        key = (operation or OTHER_OPERATION, status)
        tally = self._tallies.get(key)
        if tally is None:
            tally = self._tallies[key] = [0.0] * (2 + len(self._bounds))
        tally[0] += 1
        tally[1] += seconds
        # The first bucket whose bound is >= seconds, as Histogram.observe picks it.
        tally[2 + bisect.bisect_left(self._bounds, seconds)] += 1

    def flush(self) -> None:
        """Add the tallies to the instruments and set the in-flight gauge: what a scrape (of any worker) reads."""
        tallies, self._tallies = self._tallies, {}
        for key, tally in tallies.items():
            children = self._children.get(key)
            if children is None:
                children = self._children[key] = (
                    self._requests.labels(key[0], str(key[1])),
                    self._latency.labels(key[0]),
                )
            counter, histogram = children
            counter.inc(tally[0])
            # Histogram has no bulk observe: its sum and per-bucket values (non-cumulative, as observe updates them;
            # exposition accumulates) take each tally in one update. Pinned by the tests of tests/e2e/test_metrics.py.
            histogram._sum.inc(tally[1])
            for bucket, count in zip(histogram._buckets, tally[2:], strict=True):
                if count:
                    bucket.inc(count)
        self._in_flight.set(self.requests_in_flight)

    async def flush_periodically(self) -> None:
        """Flush every FLUSH_SECONDS until cancelled, then once more (nothing tallied is lost at shutdown)."""
        try:
            while True:
                await asyncio.sleep(FLUSH_SECONDS)
                self.flush()
        finally:
            self.flush()

    def observe_housekeeping(self, outcome: str, deleted: Mapping[str, int]) -> None:
        """Count one housekeeping round and the rows it deleted per table (zeros too: every series exists)."""
        self._sweeps.labels(outcome).inc()
        for table, rows in deleted.items():
            self._swept.labels(table).inc(rows)

    def exposition(self, snapshot: dict[str, tuple[str, float]]) -> bytes:
        """The text exposition of every worker's values (multiprocess mode) or this one's, plus `snapshot` gauges."""
        self.flush()
        registry = self.registry
        if multiprocess_mode():
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        extra = CollectorRegistry()
        extra.register(_Snapshot(snapshot))
        return generate_latest(registry) + generate_latest(extra)


def forget_this_process() -> None:
    """At a worker's clean exit: its live gauges (in flight, connections) stop counting in multiprocess mode."""
    if multiprocess_mode():
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def watch_pool(pool: Pool, gauge: Gauge) -> None:
    """Keep `gauge` at the number of connections checked out of `pool` (SQLAlchemy pool events)."""
    event.listen(pool, "checkout", lambda *_: gauge.inc())
    event.listen(pool, "checkin", lambda *_: gauge.dec())
