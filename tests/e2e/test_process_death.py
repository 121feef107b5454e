"""SIGKILL mid-write: many concurrent writers against a real uvicorn process (SQLite file, then PostgreSQL), the
process killed in the middle of the burst and restarted on the same port; a client-side ledger is then compared
with the database.

What must hold: every acknowledged (2xx) write is there exactly once; no row is half-written (an item's version,
fields and idempotency record agree); an unacknowledged write is wholly there or wholly absent; retrying the
unacknowledged requests after the restart (same Idempotency-Key, same If-Match) applies each exactly once.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from impl.tables import idempotency_keys_table as _keys
from impl.tables import items_table as _items
from tests.databases import fresh_postgres_database, migrate, require_postgres
from tests.processes import CHEAP_ACCOUNTS, ServerProcess
from tests.users import ALICE, PASSWORD

CREATORS = 8
UPDATERS = 8
# Writes sent before the burst whose answers are never read: committed, yet unacknowledged (a response lost with
# the connection), the case a retry must not apply twice.
UNREAD = 3
# Killed once this many writes were acknowledged: the burst is well under way, every writer has requests in flight.
KILL_AFTER_ACKNOWLEDGED = 80
BURST_TIMEOUT = 60.0


@dataclass
class Create:
    """One POST /items of the ledger: its key and body, and the answer if one came (None: unacknowledged)."""

    key: str
    body: dict[str, Any]
    answer: dict[str, Any] | None = None


@dataclass
class Updater:
    """One writer's item and its PATCHes: update n sets description `u<i>-<n>` and price n, making version n + 1."""

    index: int
    item_id: int
    etag: str
    acknowledged: int = 0  # updates answered 200
    in_flight: bool = False  # the last update got no answer
    failures: list[str] = field(default_factory=list)

    def body(self, n: int) -> dict[str, Any]:
        return {"description": f"u{self.index}-{n}", "price": float(n)}


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database of the test's own (the server process owns it; no other test touches it)."""
    with ExitStack() as stack:
        if request.param == "postgres":
            require_postgres()
            url = stack.enter_context(fresh_postgres_database())
        else:
            url = f"sqlite+aiosqlite:///{tmp_path / 'death.db'}"
        migrate(url, "head")
        yield url


async def _token(http: httpx.AsyncClient) -> str:
    assert (await http.post("/users", json={"email": ALICE, "password": PASSWORD})).status_code == 201
    response = await http.post("/token", data={"grant_type": "password", "username": ALICE, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def _create(http: httpx.AsyncClient, create: Create) -> httpx.Response:
    return await http.post("/items", json=create.body, headers={"Idempotency-Key": create.key})


async def _send_unread(
    server: ServerProcess, token: str, method: str, path: str, body: dict[str, Any], **headers: str
) -> asyncio.StreamWriter:
    """Send one request on a connection of its own and never read the answer; the connection stays open."""
    content = json.dumps(body).encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}", f"Authorization: Bearer {token}"]
    lines += ["Content-Type: application/json", f"Content-Length: {len(content)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    _, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write("\r\n".join(lines).encode() + b"\r\n\r\n" + content)
    await writer.drain()
    return writer


async def _burst(http: httpx.AsyncClient, updaters: list[Updater], creates: list[Create], kill: Any) -> None:
    """Every writer writes until its first unanswered request; `kill` runs once enough writes were acknowledged."""
    acknowledged = 0
    enough = asyncio.Event()

    def counted() -> None:
        nonlocal acknowledged
        acknowledged += 1
        if acknowledged >= KILL_AFTER_ACKNOWLEDGED:
            enough.set()

    async def creator(index: int) -> None:
        for n in range(10**6):
            create = Create(str(uuid.uuid4()), {"name": f"c{index}-{n}", "price": float(n + 1), "tags": ["death"]})
            creates.append(create)
            try:
                response = await _create(http, create)
            except httpx.TransportError:
                return
            assert response.status_code == 201, response.text
            create.answer = response.json()
            counted()

    async def updater(writer: Updater) -> None:
        while True:
            n = writer.acknowledged + 1
            writer.in_flight = True
            try:
                response = await http.patch(
                    f"/items/{writer.item_id}", json=writer.body(n), headers={"If-Match": writer.etag}
                )
            except httpx.TransportError:
                return
            writer.in_flight = False
            if response.status_code != 200:  # one writer per item: never a 412
                writer.failures.append(response.text)
                return
            writer.acknowledged, writer.etag = n, response.headers["etag"]
            counted()

    async def killer() -> None:
        await enough.wait()
        await asyncio.to_thread(kill)

    async with asyncio.timeout(BURST_TIMEOUT), asyncio.TaskGroup() as group:
        for index in range(CREATORS):
            group.create_task(creator(index))
        for writer in updaters:
            group.create_task(updater(writer))
        group.create_task(killer())


def _version(items: list[dict[str, Any]], writer: Updater) -> int:
    (version,) = [item["version"] for item in items if item["id"] == writer.item_id]
    return int(version)


async def _read(database_url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every item row and every idempotency row, as the database has them."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            items = [dict(row._mapping) for row in await conn.execute(select(_items).order_by(_items.c.id))]
            keys = [dict(row._mapping) for row in await conn.execute(select(_keys))]
    finally:
        await engine.dispose()
    return items, keys


def _check(
    items: list[dict[str, Any]], keys: list[dict[str, Any]], updaters: list[Updater], creates: list[Create]
) -> dict[str, dict[str, Any]]:
    """The ledger against the rows; returns {Idempotency-Key: item row} of the creates that are in the database."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_name.setdefault(item["name"], []).append(item)
    remembered = {key["key"]: key for key in keys}
    assert len(remembered) == len(keys)
    present: dict[str, dict[str, Any]] = {}
    for create in creates:
        rows = by_name.pop(create.body["name"], [])
        assert len(rows) <= 1, f"{create.key} written {len(rows)} times"
        if create.answer is not None:
            assert rows, f"acknowledged create {create.key} lost"
        if not rows:
            # Unacknowledged and rolled back: no trace of it, not even its key.
            assert create.key not in remembered, create
            continue
        (row,) = rows
        present[create.key] = row
        # Whole: the row, its key and the response the key replays all agree (and with our answer, if any).
        record = remembered.pop(create.key, None)
        assert record is not None, f"item {row['id']} was committed without its idempotency key"
        assert record["response"]["id"] == row["id"] and record["response"]["name"] == row["name"]
        assert (row["version"], row["price"], row["tags"]) == (1, create.body["price"], ["death"]), row
        if create.answer is not None:
            assert create.answer["id"] == row["id"]
    for writer in updaters:
        (row,) = by_name.pop(f"item of u{writer.index}")
        applied = row["version"] - 1
        # Every acknowledged update, plus the unanswered one if it had committed; never half of one.
        expected = {writer.acknowledged, writer.acknowledged + 1} if writer.in_flight else {writer.acknowledged}
        assert applied in expected, (row, writer)
        if applied:
            assert (row["description"], row["price"]) == (f"u{writer.index}-{applied}", float(applied)), row
    assert not by_name, f"rows nobody wrote: {by_name}"
    assert not remembered, f"idempotency keys without their item: {remembered}"
    return present


async def test_sigkill_mid_burst_loses_no_acknowledged_write_and_retries_apply_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    env = {**CHEAP_ACCOUNTS, "DATABASE_URL": database_url, "STORAGE_DIR": str(tmp_path / "storage")}
    with ServerProcess(env, log=tmp_path / "server.log") as server:
        limits = httpx.Limits(max_connections=CREATORS + UPDATERS)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30, limits=limits) as http:
            token = await _token(http)
            http.headers["Authorization"] = f"Bearer {token}"
            updaters: list[Updater] = []
            for index in range(UPDATERS + UNREAD):
                created = await http.post("/items", json={"name": f"item of u{index}", "price": 0.5})
                assert created.status_code == 201, created.text
                updaters.append(Updater(index, created.json()["id"], created.headers["etag"]))
            writing, unread = updaters[:UPDATERS], updaters[UPDATERS:]
            creates = [
                Create(f"unread-{n}-{uuid.uuid4()}", {"name": f"unread {n}", "price": 1.0, "tags": ["death"]})
                for n in range(UNREAD)
            ]
            connections = [
                await _send_unread(server, token, "POST", "/items", c.body, **{"Idempotency-Key": c.key})
                for c in creates
            ]
            for writer in unread:
                writer.in_flight = True
                connections.append(
                    await _send_unread(
                        server, token, "PATCH", f"/items/{writer.item_id}", writer.body(1), **{"If-Match": writer.etag}
                    )
                )
            await _burst(http, writing, creates, server.kill)
            for connection in connections:
                connection.close()

        unanswered = [create for create in creates if create.answer is None]
        # The kill landed mid-burst: every writer was still writing (each stops at its first unanswered request).
        assert len(unanswered) == CREATORS + UNREAD and all(writer.in_flight for writer in updaters), server.output()
        assert not [writer.failures for writer in updaters if writer.failures]
        items, keys = await _read(database_url)
        present = _check(items, keys, updaters, creates)
        # The unread writes were committed long before the kill: here are writes that are in the database though
        # their client never heard so.
        assert all(create.key in present for create in creates[:UNREAD])
        assert all(_version(items, writer) == 2 for writer in unread)

        server.restart()
        # The session survived the kill too: the same token works.
        async with httpx.AsyncClient(
            base_url=server.base_url, timeout=30, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            for create in unanswered:
                retried = await _create(http, create)
                assert retried.status_code == 201, retried.text
                create.answer = retried.json()
                if create.key in present:  # it had committed: the retry replays it
                    assert create.answer["id"] == present[create.key]["id"]
            for writer in updaters:
                n = writer.acknowledged + 1
                retried = await http.patch(
                    f"/items/{writer.item_id}", json=writer.body(n), headers={"If-Match": writer.etag}
                )
                # 412: the unanswered update had committed (the ETag moved on); 200: it had not, and now has.
                assert retried.status_code in (200, 412), retried.text
                writer.acknowledged, writer.in_flight = n, False
        # Exactly once: every create and every update present once, nothing else.
        present = _check(*await _read(database_url), updaters, creates)
        assert len(present) == len(creates)
