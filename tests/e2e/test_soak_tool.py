"""The soak tool (`make soak`, bench/soak/) itself: its checks catch what they claim to, and a short run passes.

The checks are tested against a real database holding rows the ledger does and does not account for (in
`make test`); the short run (20 s of load with an instance killed and restarted, over a minute in all) is marked
`soak` and left out of `make test`: `make soak-test` runs it.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.processes import find_program
from bench.soak.ledger import Failure, ItemRecord, Ledger
from bench.soak.verify import Check, KillWindow, client_checks, ledger_checks
from tests.databases import (
    POSTGRES_SERVER_URL,
    REPO_ROOT,
    connect,
    require_postgres,
)

RUN = "t3st01"


async def _insert_item(database_url: str, marker: str, *, name: str = "thing", price: float = 9.5) -> int:
    conn = await connect(database_url)
    try:
        item_id: int = await conn.fetchval(
            "INSERT INTO items (name, description, price, tags, images, version, created_at, updated_at)"
            " VALUES ($1, $2, $3, '[]', '[]', 1, now(), now()) RETURNING id",
            name,
            marker,
            price,
        )
        return item_id
    finally:
        await conn.close()


def _record(item_id: int, marker: str, *, name: str = "thing", price: float = 9.5) -> ItemRecord:
    return ItemRecord(item_id, marker, "someone@example.com", name, price, f'"{item_id}.1"')


def _verdicts(checks: list[Check]) -> dict[str, bool]:
    return {check.name: check.ok for check in checks}


MISSING = "acknowledged writes missing or wrong in the database"
DUPLICATES = "duplicated writes (rows sharing a marker)"
PHANTOMS = "rows no client wrote"


async def test_the_ledger_checks_pass_a_faithful_database_and_catch_lost_duplicated_and_phantom_writes(
    postgres_database_url: str,
) -> None:
    ledger = Ledger(run=RUN)
    kept = await _insert_item(postgres_database_url, f"soak:{RUN}:u:1")
    ledger.items[kept] = _record(kept, f"soak:{RUN}:u:1")
    ledger.acknowledge("item creates")
    conn = await connect(postgres_database_url)
    try:
        await conn.execute("INSERT INTO idempotency_keys (principal, key, request_hash, response, created_at)"
                           " VALUES ('1', 'k1', '', '{}', now())")  # fmt: skip
    finally:
        await conn.close()
    faithful = _verdicts(await ledger_checks(postgres_database_url, ledger))
    assert all(faithful.values()), faithful

    # Told "created", but the row is not there.
    ledger.items[10**9] = _record(10**9, f"soak:{RUN}:u:2")
    assert not _verdicts(await ledger_checks(postgres_database_url, ledger))[MISSING]
    del ledger.items[10**9]
    # Told price 9.5, the database says otherwise.
    ledger.items[kept].price = 10.0
    assert not _verdicts(await ledger_checks(postgres_database_url, ledger))[MISSING]
    ledger.items[kept].price = 9.5
    # A second row with the marker of one create: a duplicate.
    await _insert_item(postgres_database_url, f"soak:{RUN}:u:1")
    duplicated = _verdicts(await ledger_checks(postgres_database_url, ledger))
    assert not duplicated[DUPLICATES] and not duplicated[MISSING]
    # A row of this run that no client was ever told about.
    await _insert_item(postgres_database_url, f"soak:{RUN}:u:3")
    assert not _verdicts(await ledger_checks(postgres_database_url, ledger))[PHANTOMS]


def test_the_answer_checks_allow_only_failures_during_the_kill_that_a_retry_recovered() -> None:
    window = KillWindow(killed_at=1000.0, back_at=1010.0)
    unexpected = "unexpected 5xx / dropped connections"

    def verdict(*failures: Failure) -> bool:
        ledger = Ledger(run=RUN, failures=list(failures))
        return _verdicts(client_checks(ledger, window))[unexpected]

    assert verdict(Failure(1001.0, "create item", 502, "", recovered=True))
    assert verdict(Failure(1009.0, "login", 0, "connection closed", recovered=True))
    assert not verdict(Failure(1001.0, "create item", 502, "", recovered=False))  # the retry never succeeded
    assert not verdict(Failure(1100.0, "create item", 502, "", recovered=True))  # not while anything was down
    assert not verdict(Failure(1001.0, "create item", 500, "", recovered=True))  # a 500 is never expected
    stale = Ledger(run=RUN, stale_reads=["item 1: 404"])
    assert not _verdicts(client_checks(stale, window))["stale reads (a read missing an acknowledged write)"]


def _figure(output: str, name: str) -> str:
    match = re.search(rf"^\s+(ok|FAIL)\s+{re.escape(name)}\s+(.*)$", output, re.MULTILINE)
    assert match, f"no line {name!r} in:\n{output}"
    assert match.group(1) == "ok", match.group(0)
    return match.group(2)


@pytest.mark.soak
def test_a_short_soak_with_an_instance_killed_passes_and_reports_every_figure(tmp_path: Path) -> None:
    require_postgres()
    if not (find_program("haproxy") and find_program("redis-server")):
        message = "haproxy and redis-server are needed (Debian packages `haproxy`, `redis-server`)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    env = {**os.environ, "SOAK_OUT": str(tmp_path)}
    command = [sys.executable, "-m", "bench.soak", "--seconds", "20", "--users", "32", "--kill-at", "0.25"]
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "SIGKILL instance a" in output and "instance a restarted and UP in HAProxy" in output
    assert int(_figure(output, "acknowledged writes").split()[0]) > 50
    assert _figure(output, MISSING) == "0"
    assert _figure(output, DUPLICATES) == "0"
    assert _figure(output, "unexpected 5xx / dropped connections") == "0"
    assert _figure(output, "connections busy or idle in transaction after the load") == "0"
    assert _figure(output, "RSS instance b").endswith("MiB")
    # The run's database is dropped at the end.
    database = re.search(r"^  database (soak_[0-9]+_[0-9a-f]{8}) ", output, re.MULTILINE)
    assert database, output
    assert not asyncio.run(_database_exists(database.group(1)))


async def _database_exists(name: str) -> bool:
    conn = await connect(POSTGRES_SERVER_URL)
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()
