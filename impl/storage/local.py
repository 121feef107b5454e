"""Storage in a local directory: one file per key, written under a temporary name and renamed when complete."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path

import anyio

from impl.storage import CHUNK_SIZE, ByteRange, ObjectMissing, checked_key


class LocalStorage:
    """Objects as files under `root/<first two characters of the key>/<key>`."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        key = checked_key(key)
        return self.root / key[:2] / key

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        """Write the stream to a temporary file, renamed into place only once it is complete."""
        final = self._path(key)
        # A partial file never has the final name: a reader sees the whole object or none.
        partial = final.with_name(f".{final.name}.{secrets.token_hex(4)}.part")
        await anyio.Path(final.parent).mkdir(parents=True, exist_ok=True)
        try:
            async with await anyio.open_file(partial, "wb") as out:
                async for chunk in chunks:
                    await out.write(chunk)
            await anyio.Path(partial).rename(final)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.Path(partial).unlink(missing_ok=True)
            raise

    async def open(self, key: str, byte_range: ByteRange | None = None) -> AsyncIterator[bytes]:
        """The object's bytes in chunks of at most CHUNK_SIZE."""
        path = self._path(key)
        try:
            handle = await anyio.open_file(path, "rb")
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        async with handle:
            start, end = (0, None) if byte_range is None else (byte_range.start, byte_range.end)
            if start:
                await handle.seek(start)
            position = start
            while end is None or position < end:
                wanted = CHUNK_SIZE if end is None else min(CHUNK_SIZE, end - position)
                chunk = await handle.read(wanted)
                if not chunk:
                    break
                position += len(chunk)
                yield chunk

    async def delete(self, key: str) -> None:
        """Remove the file (absent is fine)."""
        await anyio.Path(self._path(key)).unlink(missing_ok=True)

    async def stat(self, key: str) -> int | None:
        """The file's size, or None."""
        try:
            return (await anyio.Path(self._path(key)).stat()).st_size
        except FileNotFoundError:
            return None


__all__ = ["LocalStorage"]
