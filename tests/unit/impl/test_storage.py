"""The storage backends behave alike (local directory, and S3 against a moto server on a free port), and
FileStore streams uploads into them within the size limit."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from defusedxml import ElementTree

from bench.processes import free_port, kill_group
from generated.runtime import UnsupportedMediaType
from impl.files import FileStore
from impl.problems import PayloadTooLarge
from impl.settings import Settings
from impl.storage import ByteRange, InvalidKey, ObjectMissing, Storage, build_storage
from impl.storage.local import LocalStorage
from impl.storage.s3 import S3Storage
from tests.databases import REPO_ROOT, make_settings
from tests.processes import spawn

BUCKET = "contract-api-test"
BIG = bytes(range(256)) * (6 * 1024 * 1024 // 256 + 7)  # over one 5 MiB multipart part, not a multiple of it


# moto lives in a venv of its own (requirements-moto.in says why); `make install` creates it: no skip when missing.
MOTO_SERVER = REPO_ROOT / ".venv" / "moto" / "bin" / "moto_server"


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto S3 server on a free 127.0.0.1 port, with an empty bucket."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    server = spawn([str(MOTO_SERVER), "--host", "127.0.0.1", "--port", str(port)], os.environ, log)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:  # moto takes unsigned requests: creating the bucket is the readiness probe
                httpx.put(f"{endpoint}/{BUCKET}", timeout=2).raise_for_status()
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto did not start:\n{log.read_text(errors='replace')[-2000:]}") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        kill_group(server)


def _s3_settings(endpoint: str, **overrides: object) -> Settings:
    return make_settings(
        "sqlite+aiosqlite://",
        s3_bucket=BUCKET,
        s3_endpoint_url=endpoint,
        s3_access_key_id="test",
        s3_secret_access_key="test",
        **overrides,
    )


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return build_storage(make_settings("sqlite+aiosqlite://", storage_dir=str(tmp_path)))
    built = build_storage(_s3_settings(request.getfixturevalue("s3_endpoint")))
    assert isinstance(built, S3Storage)
    return built


async def _chunks(data: bytes, size: int = 1024 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def _read(storage: Storage, key: str, byte_range: ByteRange | None = None) -> bytes:
    return b"".join([chunk async for chunk in storage.open(key, byte_range)])


async def test_round_trip_range_stat_and_delete(storage: Storage) -> None:
    key = str(uuid.uuid4())
    await storage.put(key, _chunks(BIG))
    assert await storage.stat(key) == len(BIG)
    assert await _read(storage, key) == BIG
    assert await _read(storage, key, ByteRange(5, 5 * 1024 * 1024 + 3)) == BIG[5 : 5 * 1024 * 1024 + 3]
    await storage.delete(key)
    assert await storage.stat(key) is None
    with pytest.raises(ObjectMissing):
        await _read(storage, key)
    await storage.delete(key)  # absent already: fine


async def test_a_failing_stream_leaves_nothing_stored(storage: Storage, tmp_path: Path) -> None:
    key = str(uuid.uuid4())

    async def broken() -> AsyncIterator[bytes]:
        yield BIG
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        await storage.put(key, broken())
    assert await storage.stat(key) is None
    if isinstance(storage, LocalStorage):
        assert [path for path in tmp_path.rglob("*") if path.is_file()] == []  # no partial file either


async def test_keys_are_generated_ids_never_paths(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    for key in ["../escape", "a/b", "", "passwd"]:
        with pytest.raises(InvalidKey):
            await storage.stat(key)


class _Upload:
    """An UploadedFile whose size is not known in advance (as for a streamed part)."""

    def __init__(self, data: bytes, filename: str | None = "f.bin") -> None:
        self._data = data
        self._at = 0
        self.filename = filename
        self.content_type = "image/png"
        self.size: int | None = None

    async def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._at + size
        chunk = self._data[self._at : end]
        self._at += len(chunk)
        return chunk

    async def close(self) -> None:
        return None


async def test_file_store_stops_at_the_limit_while_streaming_and_removes_the_partial_file(tmp_path: Path) -> None:
    settings = make_settings("sqlite+aiosqlite://", storage_dir=str(tmp_path), max_upload_bytes=3 * 1024 * 1024)
    store = FileStore(None, build_storage(settings), settings)  # type: ignore[arg-type]  # receive() needs no database
    with pytest.raises(PayloadTooLarge):
        await store.receive(_Upload(BIG), image_only=False)
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []
    stored = await store.receive(_Upload(BIG[: 2 * 1024 * 1024]), image_only=False)
    assert stored.size == 2 * 1024 * 1024 and stored.content_type == "application/octet-stream"
    with pytest.raises(UnsupportedMediaType):
        await store.receive(_Upload(b"GIF88a not quite"), image_only=True)


async def test_s3_file_store_streams_and_enforces_the_limit(s3_endpoint: str) -> None:
    settings = _s3_settings(s3_endpoint, max_upload_bytes=len(BIG) - 1)
    store = FileStore(None, build_storage(settings), settings)  # type: ignore[arg-type]  # receive() needs no database
    with pytest.raises(PayloadTooLarge):
        await store.receive(_Upload(BIG), image_only=False)
    listed = ElementTree.fromstring(httpx.get(f"{s3_endpoint}/{BUCKET}", params={"list-type": "2"}).content)
    # The other tests delete what they store: nothing of the 413 is kept.
    assert listed.findtext("{http://s3.amazonaws.com/doc/2006-03-01/}KeyCount") == "0"
    stored = await store.receive(_Upload(b"\x89PNG\r\n\x1a\n" + BIG[:100]), image_only=True)
    assert stored.content_type == "image/png"
    assert await _read(store.storage, stored.id) == b"\x89PNG\r\n\x1a\n" + BIG[:100]
