"""REQUEST_TIMEOUT_SECONDS through a real uvicorn server: a request stuck on something really slow (a PostgreSQL row
lock held by another connection, a storage backend that stops answering) gets a 503 problem with Retry-After and
its handler is cancelled; transfers that keep moving are never cut, and a response that stalls midway is closed.

The app runs in a uvicorn server thread (tests/contract/live_server.py), so requests go over real sockets and each
runs in uvicorn's own task, as in production; the storage is swapped with the seed's override idiom.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from generated import Services
from impl.app import Infrastructure, bind_services, create_app
from impl.files import FileStore, SqlFilesService
from impl.middleware import TIMEOUT_RETRY_AFTER_SECONDS
from impl.storage import ByteRange
from impl.storage.local import LocalStorage
from tests.contract.contract import operations
from tests.contract.live_server import serve
from tests.databases import connect, empty_and_close, make_settings
from tests.users import ALICE, sign_up_and_get_token

TIMEOUT = 1.0
# How late the 503 may come after the timeout on a loaded machine; without the bound the request waits far longer.
SLACK = 3.0
PIECE = 16 * 1024
CONTENT = bytes(range(256)) * (4 * PIECE // 256)  # four pieces


class ControlledStorage:
    """Local storage whose reads a test slows down (`read_pause` between pieces) or stalls: from piece
    `stall_at` on, a read waits like a backend that accepted the connection and went silent."""

    def __init__(self, root: Path) -> None:
        self.inner = LocalStorage(root)
        self.read_pause = 0.0
        self.stall_at: int | None = None
        self.cancelled = 0

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        await self.inner.put(key, chunks)

    async def open(self, key: str, byte_range: ByteRange | None = None) -> AsyncIterator[bytes]:
        data = b"".join([chunk async for chunk in self.inner.open(key, byte_range)])
        for index, start in enumerate(range(0, len(data), PIECE)):
            try:
                await asyncio.sleep(3600 if index == self.stall_at else self.read_pause if index else 0)
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
            yield data[start : start + PIECE]

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)

    async def stat(self, key: str) -> int | None:
        return await self.inner.stat(key)


@dataclasses.dataclass
class Server:
    base_url: str
    storage: ControlledStorage
    database_url: str


@contextmanager
def _serving(database_url: str, storage: ControlledStorage, **overrides: Any) -> Iterator[Any]:
    def services(infra: Infrastructure) -> Services:
        return dataclasses.replace(
            bind_services(infra), files=SqlFilesService(FileStore(infra.database, storage, infra.settings))
        )

    settings = make_settings(database_url, request_timeout_seconds=TIMEOUT, **overrides)
    app = create_app(settings, services=services)
    with serve(app) as base_url:
        yield app, base_url


@pytest.fixture
async def server(database_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    """The app with a controllable storage behind a real uvicorn; its rows are deleted afterwards."""
    storage = ControlledStorage(tmp_path / "storage")
    # PostgreSQL's own statement_timeout far beyond the request timeout: the bound under test is the request's.
    with _serving(database_url, storage, database_statement_timeout_seconds=60) as (app, base_url):
        yield Server(base_url, storage, database_url)
    await empty_and_close(app)


@pytest.fixture
async def alice(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as anonymous:
        token = await sign_up_and_get_token(anonymous, ALICE)
    async with httpx.AsyncClient(
        base_url=server.base_url, timeout=10, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        yield http


def _assert_timed_out(response: httpx.Response, elapsed: float) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == str(TIMEOUT_RETRY_AFTER_SECONDS)
    problem = response.json()
    assert problem["status"] == 503 and "no progress" in problem["detail"], problem
    assert TIMEOUT <= elapsed < TIMEOUT + SLACK, elapsed


async def _upload(http: httpx.AsyncClient, content: Any) -> httpx.Response:
    return await http.post("/files", files={"file": ("data.bin", content, "application/octet-stream")})


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_an_update_waiting_on_a_row_lock_gets_503_and_its_statement_is_cancelled(
    server: Server, alice: httpx.AsyncClient
) -> None:
    created = await alice.post("/items", json={"name": "Locked", "price": 1.0})
    assert created.status_code == 201, created.text
    item_id, etag = created.json()["id"], created.headers["etag"]
    holder = await connect(server.database_url, application_name="lock holder")
    observer = await connect(server.database_url, application_name="observer")
    try:
        async with holder.transaction():
            await holder.execute("SELECT 1 FROM items WHERE id = $1 FOR UPDATE", item_id)
            started = time.monotonic()
            response = await alice.patch(f"/items/{item_id}", json={"price": 2.0}, headers={"If-Match": etag})
            _assert_timed_out(response, time.monotonic() - started)
            # Cancelled in the database too, not left queued behind the lock: no session of the app still waits.
            waiting = -1
            for _ in range(50):
                waiting = await observer.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND application_name <> 'lock holder'"
                )
                if waiting == 0:
                    break
                await asyncio.sleep(0.1)
            assert waiting == 0
        # The lock is gone: the cancelled update never applied, and the pool serves the next write.
        current = await alice.get(f"/items/{item_id}")
        assert current.headers["etag"] == etag and current.json()["price"] == 1.0
        retried = await alice.patch(f"/items/{item_id}", json={"price": 2.0}, headers={"If-Match": etag})
        assert retried.status_code == 200, retried.text
        assert retried.json()["price"] == 2.0
    finally:
        await holder.close()
        await observer.close()


async def test_a_download_whose_storage_stalls_before_the_first_byte_gets_503(
    server: Server, alice: httpx.AsyncClient
) -> None:
    uploaded = await _upload(alice, CONTENT)
    assert uploaded.status_code == 201, uploaded.text
    server.storage.stall_at = 0  # the service reads the first piece before answering: it waits there
    started = time.monotonic()
    response = await alice.get(f"/files/{uploaded.json()['id']}/content")
    _assert_timed_out(response, time.monotonic() - started)
    assert server.storage.cancelled == 1  # the handler was cancelled, not left waiting
    server.storage.stall_at = None
    again = await alice.get(f"/files/{uploaded.json()['id']}/content")  # the server carries on
    assert again.status_code == 200 and again.content == CONTENT


async def test_an_upload_streamed_slower_than_the_timeout_but_moving_is_not_cut(
    server: Server, alice: httpx.AsyncClient
) -> None:
    async def trickle() -> AsyncIterator[bytes]:
        for start in range(0, len(CONTENT), PIECE):
            await asyncio.sleep(TIMEOUT / 3)
            yield CONTENT[start : start + PIECE]

    boundary = "timeout-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()

    async def body() -> AsyncIterator[bytes]:
        yield head
        async for chunk in trickle():
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    started = time.monotonic()
    response = await alice.post(
        "/files", content=body(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert time.monotonic() - started > TIMEOUT  # longer than the timeout in total
    assert response.status_code == 201, response.text
    assert response.json()["size"] == len(CONTENT)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the edge layer's rule: one backend is enough
@pytest.mark.parametrize("stall", [False, True], ids=["moving", "stalled"])
async def test_a_body_of_declared_length_is_cut_only_when_it_stops_moving(
    server: Server, alice: httpx.AsyncClient, stall: bool
) -> None:
    """A JSON body with a Content-Length (no chunked framing: the server enforces the length) sent in pieces: each
    piece counts as progress, so it outlives the timeout while it moves; a client that stops sending gets the 503."""
    body = json.dumps({"name": "slow lamp", "price": 2.5, "description": "x" * 250}).encode()
    pieces = [body[start : start + 80] for start in range(0, len(body), 80)]

    async def trickle() -> AsyncIterator[bytes]:
        for index, piece in enumerate(pieces):
            await asyncio.sleep(TIMEOUT / 3 if not (stall and index == 1) else TIMEOUT + SLACK)
            yield piece

    started = time.monotonic()
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    try:
        response = await alice.post("/items", content=trickle(), headers=headers)
    except httpx.WriteError:
        assert stall, "a moving body must be read whole"
        return  # the server answered and closed while the client was still (not) sending: cut, as it should be
    elapsed = time.monotonic() - started
    if stall:
        # httpx reads the answer only once it has sent the whole body, so the time is the client's: the answer
        # itself says the server cut the request for making no progress.
        assert response.status_code == 503 and "no progress" in response.json()["detail"], response.text
    else:
        assert elapsed > TIMEOUT  # longer than the timeout in total
        assert response.status_code == 201, response.text
        assert response.json()["description"] == "x" * 250


async def test_a_download_that_keeps_moving_is_not_cut_and_one_that_stalls_is_closed(
    server: Server, alice: httpx.AsyncClient
) -> None:
    uploaded = await _upload(alice, CONTENT)
    assert uploaded.status_code == 201, uploaded.text
    url = f"/files/{uploaded.json()['id']}/content"

    server.storage.read_pause = TIMEOUT / 2  # four pieces: longer than the timeout in total, never idle that long
    started = time.monotonic()
    slow = await alice.get(url)
    assert time.monotonic() - started > TIMEOUT
    assert slow.status_code == 200 and slow.content == CONTENT

    server.storage.read_pause, server.storage.stall_at = 0.0, 1
    started = time.monotonic()
    async with alice.stream("GET", url) as stalled:
        assert stalled.status_code == 200  # the response had started: no 503 can follow, the connection is closed
        with pytest.raises(httpx.RemoteProtocolError):
            await stalled.aread()
    assert time.monotonic() - started < TIMEOUT + SLACK
    assert server.storage.cancelled == 1


def test_every_operation_declares_the_503_the_timeout_and_the_shutdown_can_answer() -> None:
    # EdgeMiddleware cuts any request, whatever it waits for: clients must be told every operation may answer 503.
    undeclared = [op["operationId"] for _, _, op in operations() if "503" not in op["responses"]]
    assert undeclared == []
