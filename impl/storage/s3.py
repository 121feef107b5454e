"""S3-compatible object storage through obstore (multipart uploads streamed from an async iterator)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import TYPE_CHECKING

import obstore
from obstore.exceptions import NotFoundError
from obstore.store import S3Store

from impl.settings import Settings
from impl.storage import CHUNK_SIZE, ByteRange, ObjectMissing, checked_key

if TYPE_CHECKING:
    from obstore.store import ClientConfig, S3Config

# S3's smallest multipart part (except the last) is 5 MiB: a part is buffered before it is sent.
_PART_SIZE = 5 * 1024 * 1024


class S3Storage:
    """Objects in one bucket (optionally under a prefix), on AWS S3 or any S3-compatible server."""

    def __init__(self, store: S3Store) -> None:
        self._store = store

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        """A store for `S3_BUCKET` at `S3_ENDPOINT_URL` (default AWS) with the configured credentials."""
        assert settings.s3_bucket is not None
        config: S3Config = {"region": settings.s3_region}
        client: ClientConfig = {}
        if settings.s3_endpoint_url:
            config["endpoint"] = settings.s3_endpoint_url
            client["allow_http"] = settings.s3_endpoint_url.startswith("http://")
        if settings.s3_access_key_id and settings.s3_secret_access_key is not None:
            config["access_key_id"] = settings.s3_access_key_id
            config["secret_access_key"] = settings.s3_secret_access_key.get_secret_value()
        store = S3Store(settings.s3_bucket, prefix=settings.s3_prefix or None, config=config, client_options=client)
        return cls(store)

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        """Upload the stream (multipart in 5 MiB parts; an error aborts the upload, so nothing is stored)."""
        # At most two parts in flight: memory stays at a few parts whatever the object's size.
        await obstore.put_async(self._store, checked_key(key), chunks, chunk_size=_PART_SIZE, max_concurrency=2)

    async def open(self, key: str, byte_range: ByteRange | None = None) -> AsyncIterator[bytes]:
        """The object's bytes (or a range of them), streamed in chunks of about CHUNK_SIZE."""
        options = {} if byte_range is None else {"range": (byte_range.start, byte_range.end)}
        try:
            result = await obstore.get_async(self._store, checked_key(key), options=options)  # type: ignore[arg-type]  # a GetOptions TypedDict built conditionally
        except (NotFoundError, FileNotFoundError):
            raise ObjectMissing(key) from None
        async for chunk in result.stream(min_chunk_size=CHUNK_SIZE):
            yield bytes(chunk)

    async def delete(self, key: str) -> None:
        """Remove the object (S3 answers success for an absent one too)."""
        try:
            await obstore.delete_async(self._store, checked_key(key))
        except (NotFoundError, FileNotFoundError):
            pass

    async def stat(self, key: str) -> int | None:
        """The object's size, or None."""
        try:
            meta = await obstore.head_async(self._store, checked_key(key))
        except (NotFoundError, FileNotFoundError):
            return None
        return meta["size"]


__all__ = ["S3Storage"]
