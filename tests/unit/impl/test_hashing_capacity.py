"""Password hashing is bounded per process: a few at once, a bounded queue, 503 beyond it."""

from __future__ import annotations

import asyncio
import threading

import pytest

from impl.problems import ServiceUnavailable
from impl.security.passwords import HashingCapacity, PasswordHasher
from tests.databases import make_settings


async def _run(capacity: HashingCapacity, running: list[int], peak: list[int], gate: asyncio.Event) -> str:
    try:
        async with capacity.slot():
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            await gate.wait()
            running[0] -= 1
            return "hashed"
    except ServiceUnavailable as exc:
        assert exc.headers == {"Retry-After": "1"}
        return "refused"


async def test_at_most_concurrent_run_and_at_most_queued_wait() -> None:
    capacity = HashingCapacity(concurrent=2, queued=3)
    running, peak, gate = [0], [0], asyncio.Event()
    tasks = [asyncio.create_task(_run(capacity, running, peak, gate)) for _ in range(40)]
    await asyncio.sleep(0.05)  # every task has reached its slot or been refused
    assert running[0] == 2
    gate.set()
    outcomes = await asyncio.gather(*tasks)
    assert peak[0] == 2
    assert outcomes.count("hashed") == 5 and outcomes.count("refused") == 35


async def test_a_freed_slot_serves_the_queue_and_new_arrivals() -> None:
    capacity = HashingCapacity(concurrent=1, queued=0)
    running, peak, gate = [0], [0], asyncio.Event()
    first = asyncio.create_task(_run(capacity, running, peak, gate))
    await asyncio.sleep(0)
    assert await _run(capacity, running, peak, gate) == "refused"  # the only slot is busy and nothing may wait
    gate.set()
    assert await first == "hashed"
    assert await _run(capacity, running, peak, gate) == "hashed"


@pytest.mark.parametrize("concurrent", [1, 3])
async def test_the_hasher_never_runs_more_hashes_than_its_capacity(
    concurrent: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = PasswordHasher(
        make_settings("sqlite+aiosqlite://", max_concurrent_hashes=concurrent, max_queued_hashes=100)
    )
    inside, peak, started, lock = [0], [0], [0], threading.Condition()
    count = 12
    original = hasher._hash.hash

    def counting_hash(password: str) -> str:
        with lock:  # hashes run in worker threads
            inside[0] += 1
            started[0] += 1
            peak[0] = max(peak[0], inside[0])
            # Each hash holds its slot until `concurrent` run at once or every hash has started (at most 5 s): on a
            # busy machine the first could otherwise end before the third starts, and the peak would say nothing
            # about the capacity.
            lock.notify_all()
            lock.wait_for(lambda: inside[0] >= concurrent or started[0] == count, timeout=5)
        try:
            return original(password)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(hasher._hash, "hash", counting_hash)
    hashes = await asyncio.gather(*(hasher.hash(f"password number {n}") for n in range(count)))
    assert len(set(hashes)) == count
    assert peak[0] == concurrent
