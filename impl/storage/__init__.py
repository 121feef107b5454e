"""Where uploaded bytes live: a small interface, a local directory by default, S3-compatible when configured."""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from impl.settings import Settings

# Keys are ids the service generates (uuid4 hex with dashes); anything else is refused, so no key is ever a path.
_KEY = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CHUNK_SIZE = 1024 * 1024


class InvalidKey(ValueError):
    """A storage key that is not one the service generates."""


class ObjectMissing(LookupError):
    """The key names no stored object."""


def checked_key(key: str) -> str:
    """`key` when it has the shape of a generated id; raises InvalidKey otherwise."""
    if not _KEY.match(key):
        raise InvalidKey(f"not a storage key: {key!r}")
    return key


@dataclass(frozen=True, slots=True)
class ByteRange:
    """Bytes `start` to `end` (exclusive) of an object."""

    start: int
    end: int


class Storage(Protocol):
    """Stores opaque byte streams under generated keys."""

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        """Store the stream under `key`; if the stream raises, nothing stays stored and the error propagates."""
        ...

    def open(self, key: str, byte_range: ByteRange | None = None) -> AsyncIterator[bytes]:
        """The object's bytes (or a range of them) in chunks; raises ObjectMissing when iterated if absent."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; absent already is fine."""
        ...

    async def stat(self, key: str) -> int | None:
        """The object's size in bytes, or None when it is absent."""
        ...


def build_storage(settings: Settings) -> Storage:
    """S3-compatible storage when `S3_BUCKET` is set, else the local `STORAGE_DIR`."""
    if settings.s3_bucket:
        from impl.storage.s3 import S3Storage

        return S3Storage.from_settings(settings)
    from impl.storage.local import LocalStorage

    return LocalStorage(settings.storage_dir)


__all__ = [
    "CHUNK_SIZE",
    "ByteRange",
    "InvalidKey",
    "ObjectMissing",
    "Storage",
    "build_storage",
    "checked_key",
]
