"""Request tallies (impl/metrics.py): exposed exactly as observing each request in prometheus-client would, once
flushed by a scrape, by the periodic flush, or by its last round at shutdown. Through the app and with two
workers: tests/e2e/test_metrics.py."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from impl import metrics as metrics_module
from impl.metrics import LATENCY_BUCKETS, AppMetrics

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
# Bucket bounds themselves, just past them, zero and far past the last finite bound.
LATENCIES = [0.0, 0.005, 0.0050001, 0.01, 0.3, 7.5, 10.0, 10.5, 1e9]


def _samples(text: str, *names: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        if family.name in names
        for sample in family.samples
    }


def _observed_one_by_one(requests: list[tuple[str, int, float]]) -> Samples:
    """What prometheus-client's own Counter.inc and Histogram.observe expose for `requests`."""
    registry = CollectorRegistry()
    counter = Counter("http_requests_total", "", ["operation", "status"], registry=registry)
    histogram = Histogram(
        "http_request_duration_seconds", "", ["operation"], registry=registry, buckets=LATENCY_BUCKETS
    )
    for operation, status, seconds in requests:
        counter.labels(operation, str(status)).inc()
        histogram.labels(operation).observe(seconds)
    return _samples(generate_latest(registry).decode(), "http_requests", "http_request_duration_seconds")


def test_tallied_requests_are_exposed_as_observing_each_one_would() -> None:
    requests = [("getItem", 200, s) for s in LATENCIES] + [("getItem", 404, 0.002), ("other", 405, 0.02)] * 3
    metrics = AppMetrics()
    for operation, status, seconds in requests:
        metrics.observe(None if operation == "other" else operation, status, seconds)
    exposed = _samples(metrics.exposition({}).decode(), "http_requests", "http_request_duration_seconds")
    expected = _observed_one_by_one(requests)
    assert exposed.keys() == expected.keys()
    for key, value in expected.items():
        # Counts exactly; a sum up to the order its terms were added in.
        assert exposed[key] == (pytest.approx(value) if key[0].endswith("_sum") else value), key


def test_tallies_reach_the_instruments_only_when_flushed_and_a_scrape_flushes_first() -> None:
    metrics = AppMetrics()
    metrics.observe("getHealth", 200, 0.001)
    labels = {"operation": "getHealth", "status": "200"}
    assert metrics.registry.get_sample_value("http_requests_total", labels) is None
    exposed = _samples(metrics.exposition({}).decode(), "http_requests")
    assert exposed[("http_requests_total", frozenset(labels.items()))] == 1
    metrics.observe("getHealth", 200, 0.001)  # tallied after the flush: the next one adds it
    metrics.flush()
    assert metrics.registry.get_sample_value("http_requests_total", labels) == 2


def test_the_in_flight_gauge_is_set_from_the_edge_layers_count_when_flushed() -> None:
    metrics = AppMetrics()
    metrics.requests_in_flight = 3
    metrics.flush()
    assert metrics.registry.get_sample_value("http_requests_in_flight") == 3
    metrics.requests_in_flight = 0
    metrics.flush()
    assert metrics.registry.get_sample_value("http_requests_in_flight") == 0


async def test_the_periodic_flush_adds_tallies_and_adds_the_last_ones_when_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(metrics_module, "FLUSH_SECONDS", 0.01)
    metrics = AppMetrics()
    labels = {"operation": "getHealth", "status": "200"}
    flushing = asyncio.create_task(metrics.flush_periodically())
    metrics.observe("getHealth", 200, 0.001)
    for _ in range(100):
        await asyncio.sleep(0.01)
        if metrics.registry.get_sample_value("http_requests_total", labels) == 1:
            break
    assert metrics.registry.get_sample_value("http_requests_total", labels) == 1
    metrics.observe("getHealth", 200, 0.001)
    flushing.cancel()  # at shutdown: what was tallied since the last round is not lost
    with pytest.raises(asyncio.CancelledError):
        await flushing
    assert metrics.registry.get_sample_value("http_requests_total", labels) == 2
