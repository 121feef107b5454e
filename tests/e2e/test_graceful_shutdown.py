"""SIGTERM: the graceful shutdown of a real uvicorn process, started with the bounds `make serve` passes.

In-flight requests finish (an upload still streaming when the signal comes), new connections are refused at once,
WebSocket clients get a close frame, a request that would never finish is cut when the grace period ends (a 503
problem, not uvicorn's plain-text 500) and the process exits then; what was accepted is there after the restart.
The notification outbox across SIGTERM: tests/e2e/test_notifications_kill.py.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from impl.middleware import SHUTDOWN_RETRY_AFTER_SECONDS
from impl.tables import files_table
from tests.databases import REPO_ROOT, migrate
from tests.processes import CHEAP_ACCOUNTS, ServerProcess
from tests.users import ALICE, PASSWORD

GRACE_SECONDS = 5
PIECE = 32 * 1024
PIECES = 8
PAUSE = 0.25  # between pieces: the upload in flight at SIGTERM still has ~2 s to go, well within the grace period
CONTENT = bytes(range(256)) * (PIECES * PIECE // 256)
BOUNDARY = "graceful-shutdown-boundary"
HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="slow.bin"\r\n'
    "Content-Type: application/octet-stream\r\n\r\n"
).encode()
TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


async def _slow_body(started: asyncio.Event) -> AsyncIterator[bytes]:
    yield HEAD
    for start in range(0, len(CONTENT), PIECE):
        yield CONTENT[start : start + PIECE]
        started.set()
        await asyncio.sleep(PAUSE)
    yield TAIL


async def _stalled_upload(server: ServerProcess, token: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """An upload that sends its headers and one piece, then nothing more: it would never finish by itself."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    headers = [
        "POST /files HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        f"Authorization: Bearer {token}",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        f"Content-Length: {len(HEAD) + len(CONTENT) + len(TAIL)}",
    ]
    writer.write("\r\n".join(headers).encode() + b"\r\n\r\n" + HEAD + CONTENT[:PIECE])
    await writer.drain()
    return reader, writer


async def _refused(port: int, timeout: float) -> float:
    """When connecting to `port` was first refused (monotonic time); AssertionError after `timeout` seconds.

    A reset counts as a refusal: a connection still in the listener's backlog when the server closes it is reset
    before it is ever accepted (seen once, with two `make test` runs at once)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except (ConnectionRefusedError, ConnectionResetError):
            return time.monotonic()
        writer.close()
        await asyncio.sleep(0.05)
    raise AssertionError(f"new connections were still accepted {timeout} s after SIGTERM")


async def _close_code(ws: object) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 5)  # type: ignore[attr-defined]  # a websockets ClientConnection
    assert closed.value.rcvd is not None, "the connection was dropped without a close frame"
    return closed.value.rcvd.code


async def _file_rows(database_url: str) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(files_table))).scalar_one())
    finally:
        await engine.dispose()


async def test_sigterm_finishes_in_flight_work_refuses_new_connections_and_exits_within_the_grace_period(
    tmp_path: Path,
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    await asyncio.to_thread(migrate, database_url, "head")  # Alembic runs a loop of its own
    env = {
        **CHEAP_ACCOUNTS,
        "DATABASE_URL": database_url,
        "STORAGE_DIR": str(tmp_path / "storage"),
        "REQUEST_TIMEOUT_SECONDS": "120",  # the stalled upload is cut by the grace period alone
    }
    options = ("--timeout-graceful-shutdown", str(GRACE_SECONDS))
    with ServerProcess(env, log=tmp_path / "server.log", options=options) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            assert (await http.post("/users", json={"email": ALICE, "password": PASSWORD})).status_code == 201
            response = await http.post(
                "/token", data={"grant_type": "password", "username": ALICE, "password": PASSWORD}
            )
            token = response.json()["access_token"]
            http.headers["Authorization"] = f"Bearer {token}"
            bearer = [Subprotocol("bearer"), Subprotocol(token)]
            async with (
                connect(f"{server.ws_url}/ws/items", subprotocols=bearer, open_timeout=10) as items_ws,
                connect(f"{server.ws_url}/ws", open_timeout=10) as echo_ws,
            ):
                await echo_ws.send("still here")
                assert await asyncio.wait_for(echo_ws.recv(), 10) == "Message text was: still here"
                started = asyncio.Event()
                content_type = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
                upload = asyncio.create_task(http.post("/files", content=_slow_body(started), headers=content_type))
                stalled_reader, stalled_writer = await _stalled_upload(server, token)
                await asyncio.wait_for(started.wait(), 10)
                await asyncio.sleep(0.3)  # both requests are in the server's hands

                signalled = time.monotonic()
                server.send_signal(signal.SIGTERM)
                refused_at = await _refused(server.port, timeout=3)
                assert not upload.done(), "the upload should still be streaming when new connections are refused"
                # uvicorn closes every WebSocket with 1012 (service restart: reconnect, elsewhere or later).
                assert await _close_code(items_ws) == 1012
                assert await _close_code(echo_ws) == 1012

                uploaded = await asyncio.wait_for(upload, 30)
                finished = time.monotonic()
                assert uploaded.status_code == 201, uploaded.text
                assert uploaded.json()["size"] == len(CONTENT)
                assert finished - signalled < GRACE_SECONDS

                # The stalled upload holds the shutdown until the grace period ends, then is cut with a problem.
                cut = await asyncio.wait_for(stalled_reader.read(), GRACE_SECONDS + 15)
                stalled_writer.close()
                head, _, body = cut.partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 503 "), cut
                assert b"content-type: application/problem+json" in head.lower(), cut
                assert f"retry-after: {SHUTDOWN_RETRY_AFTER_SECONDS}".encode() in head.lower(), cut
                assert json.loads(body)["status"] == 503
        status = server.wait(timeout=GRACE_SECONDS + 15)
        exited = time.monotonic()
        assert refused_at - signalled < 3
        assert GRACE_SECONDS - 0.5 <= exited - signalled < GRACE_SECONDS + 10, exited - signalled
        # uvicorn re-raises the SIGTERM it handled once it is done: 0 or -SIGTERM, never a crash.
        assert status in (0, -signal.SIGTERM), server.output()
        assert "timeout graceful shutdown exceeded" in server.output()

        # Restarted on the same port: the upload that finished during the shutdown is there, whole; the cut one
        # left nothing.
        server.restart()
        async with httpx.AsyncClient(
            base_url=server.base_url, timeout=30, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            content = await http.get(f"/files/{uploaded.json()['id']}/content")
            assert content.status_code == 200 and content.content == CONTENT
        assert await _file_rows(database_url) == 1


def _uvicorn_command(target: str) -> list[str]:
    """The uvicorn command line `make <target>` runs (dry run: nothing is executed)."""
    output = subprocess.run(
        ["make", "-n", target, "SECRET_KEY=" + "x" * 32],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.replace("\\\n", " ")
    (line,) = [line for line in output.splitlines() if "uvicorn impl.app:app" in line]
    return shlex.split(line)


@pytest.mark.parametrize("target", ["run", "serve"])
def test_make_passes_the_shutdown_and_keepalive_bounds_to_uvicorn(target: str) -> None:
    command = _uvicorn_command(target)
    for option, value in (
        ("--timeout-graceful-shutdown", "25"),
        ("--ws-ping-interval", "20"),
        ("--ws-ping-timeout", "20"),
    ):
        assert command[command.index(option) + 1] == value, command


def test_the_image_passes_the_same_bounds() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    (cmd,) = [line for line in dockerfile.splitlines() if line.startswith("CMD")]
    for option, variable in (
        ("--timeout-graceful-shutdown", "GRACEFUL_SHUTDOWN_SECONDS"),
        ("--ws-ping-interval", "WS_PING_INTERVAL"),
        ("--ws-ping-timeout", "WS_PING_TIMEOUT"),
    ):
        assert f'{option} \\"${variable}\\"' in cmd, cmd
    for default in ("GRACEFUL_SHUTDOWN_SECONDS=25", "WS_PING_INTERVAL=20", "WS_PING_TIMEOUT=20"):
        assert default in dockerfile
