"""GET /metrics: Prometheus text from prometheus-client, per operation and status, and summed over workers."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from impl.metrics import FLUSH_SECONDS
from tests.databases import migrate
from tests.processes import uvicorn_server


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _requests(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], operation: str, status: str) -> float:
    return samples.get(("http_requests_total", frozenset({("operation", operation), ("status", status)})), 0.0)


async def test_requests_are_counted_per_operation_and_status(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/items/999999")).status_code == 404
    assert (await client.get("/no-such-path")).status_code == 404
    assert (await client.put("/healthz")).status_code == 405
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = _samples(response.text)
    assert _requests(samples, "getHealth", "200") == 3
    assert _requests(samples, "getItem", "404") == 1
    # Unmatched paths and methods share one label: a scanner cannot blow up the series count.
    assert _requests(samples, "other", "404") == 1
    assert _requests(samples, "other", "405") == 1
    latency = ("http_request_duration_seconds_count", frozenset({("operation", "getHealth")}))
    assert samples[latency] == 3
    # The scrape itself is in flight while it is answered.
    assert samples[("http_requests_in_flight", frozenset())] == 1


async def test_the_outbox_backlog_is_read_at_scrape_time(client: httpx.AsyncClient) -> None:
    samples = _samples((await client.get("/metrics")).text)
    assert samples[("notification_outbox_backlog", frozenset())] == 0


async def test_database_connections_in_use_return_to_zero(client: httpx.AsyncClient, database_url: str) -> None:
    for _ in range(5):
        assert (await client.get("/items")).status_code == 200
    samples = _samples((await client.get("/metrics")).text)
    assert samples[("db_connections_in_use", frozenset())] == 0


def test_counts_are_summed_over_every_worker(tmp_path: Path) -> None:
    # Two uvicorn workers share PROMETHEUS_MULTIPROC_DIR, as under `make serve`: whichever worker answers the
    # scrape reports every worker's requests.
    multiproc = tmp_path / "metrics"
    multiproc.mkdir()
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    migrate(database_url, "head")
    env = {"PROMETHEUS_MULTIPROC_DIR": str(multiproc), "DATABASE_URL": database_url}
    with (
        uvicorn_server(env, workers=2, log=tmp_path / "server.log") as base_url,
        httpx.Client(base_url=base_url) as http,
    ):
        time.sleep(FLUSH_SECONDS + 0.5)  # the start-up probes' requests, tallied by either worker, are added
        health_before = _requests(_samples(http.get("/metrics").text), "getHealth", "200")
        for _ in range(40):
            # A new connection each time, so both workers get some of them.
            assert httpx.get(f"{base_url}/healthz", headers={"Connection": "close"}).status_code == 200
        # Each worker adds its tallies every FLUSH_SECONDS; the one answering a scrape adds its own first.
        deadline = time.monotonic() + FLUSH_SECONDS + 5
        while True:
            samples = _samples(httpx.get(f"{base_url}/metrics", headers={"Connection": "close"}).text)
            seen = _requests(samples, "getHealth", "200") - health_before
            if seen == 40 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert seen == 40
        pids = {path.name.rsplit("_", 1)[-1] for path in multiproc.glob("counter_*.db")}
        assert len(pids) == 2, pids  # both workers answered some of the requests
        for _ in range(4):
            samples = _samples(httpx.get(f"{base_url}/metrics", headers={"Connection": "close"}).text)
            assert _requests(samples, "getHealth", "200") - health_before == 40
