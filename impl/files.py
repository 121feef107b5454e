"""Files: uploads streamed to storage in chunks (SHA-256 and size computed on the way), metadata in the database,
downloads streamed with ETag, If-None-Match and single byte ranges."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Delete, Select, bindparam, delete, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from generated import models
from generated.runtime import Download, MalformedRequest, RequestContext, UnsupportedMediaType, UploadedFile
from generated.security import SCOPE_USERS_ADMIN
from impl.concurrent_deletes import account_gone, raise_if_gone
from impl.db import Database, DbConnection
from impl.problems import NotFound, PayloadTooLarge, RangeNotSatisfiable
from impl.settings import Settings
from impl.storage import CHUNK_SIZE, ByteRange, ObjectMissing, Storage
from impl.tables import files_table as _files
from impl.tables import items_table as _items
from impl.tables import users_table as _users

logger = logging.getLogger(__name__)

_GET = select(_files).where(_files.c.id == bindparam("file_id"))
_INSERT = insert(_files)


def _file_rows(condition: ColumnElement[bool]) -> tuple[Select[tuple[str]], Delete]:
    """The ids of the file rows `condition` picks, and their deletion."""
    return select(_files.c.id).where(condition), delete(_files).where(condition)


_ITEM_IMAGES = _file_rows(_files.c.item_id == bindparam("item_id"))
# Images an account added to others' items pass to the item's owner: they belong to the item, not to the uploader.
_ADOPT_IMAGES = (
    update(_files)
    .where(
        _files.c.owner_id == bindparam("user_id"),
        _files.c.item_id.in_(select(_items.c.id).where(_items.c.owner_id.is_distinct_from(bindparam("user_id")))),
    )
    .values(owner_id=select(_items.c.owner_id).where(_items.c.id == _files.c.item_id).scalar_subquery())
)
# What an account's deletion takes with it: its uploads, and the images of its items (whoever uploaded them).
_ACCOUNT_FILES = _file_rows(
    or_(
        _files.c.owner_id == bindparam("user_id"),
        _files.c.item_id.in_(select(_items.c.id).where(_items.c.owner_id == bindparam("user_id"))),
    )
)

OCTET_STREAM = "application/octet-stream"
_MAX_FILENAME = 255
_MAX_CAPTION = 100
# A single byte range (RFC 9110 §14.1.2); several ranges or other units are ignored (the whole file is sent).
_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)")
# What a derived image URL may carry as its authority (Image.url's pattern has no room for IPv6 brackets).
_HOST = re.compile(r"[A-Za-z0-9\-._~]+(?::[0-9]{1,5})?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def sniff_image(head: bytes) -> str | None:
    """The image media type `head` (a file's first bytes) starts with: PNG, JPEG, GIF or WebP; None otherwise."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def clean_filename(name: str | None) -> str:
    """The client's name without path components, as valid text of at most 255 characters ('file' if none).

    Only ever metadata: storage keys are generated ids, and downloads quote the name (RFC 6266)."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = base.encode("utf-8", "replace").decode().replace("\x00", "")  # lone surrogates; NUL is no text in SQL
    return base[:_MAX_FILENAME] or "file"


def caption(name: str | None, filename: str) -> str:
    """An image's caption: the given name, else the file name without control characters (1-100 characters)."""
    if name is not None:
        return name
    return _CONTROL.sub("", filename)[:_MAX_CAPTION].strip() or "image"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one byte range `header` asks for within `size` bytes; None for the whole file (no header, several
    ranges, another unit or bad syntax: RFC 9110 §14.2 lets a server ignore those); 416 when unsatisfiable."""
    if header is None:
        return None
    found = _RANGE.fullmatch(header.strip())
    if found is None or found.groups() == ("", ""):
        return None
    first, last = found.groups()
    if first:
        start = int(first)
        if last and int(last) < start:
            return None
        if start >= size:
            raise RangeNotSatisfiable(f"the range starts past the end of the file ({size} bytes)", size=size)
        return ByteRange(start, min(int(last) + 1, size) if last else size)
    suffix = int(last)
    if suffix == 0 or size == 0:
        raise RangeNotSatisfiable(f"the range selects none of the file's {size} bytes", size=size)
    return ByteRange(max(size - suffix, 0), size)


def none_match(if_none_match: str | None, etag: str) -> bool:
    """Whether `If-None-Match` names `etag` (weak comparison, RFC 9110 §13.1.2) or is `*`."""
    if if_none_match is None:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags)


@dataclass(frozen=True, slots=True)
class StoredFile:
    """Bytes now in storage under `id`, with what was learnt while streaming them."""

    id: str
    filename: str
    content_type: str
    size: int
    sha256: str


class FileStore:
    """Streams uploads into storage and removes stored bytes; shared by the files and item-image operations."""

    def __init__(self, database: Database, storage: Storage, settings: Settings) -> None:
        self.database = database
        self.storage = storage
        self._max_bytes = settings.max_upload_bytes
        self._public_base_url = settings.public_base_url

    async def receive(self, file: UploadedFile, *, image_only: bool) -> StoredFile:
        """Copy the upload into storage in CHUNK_SIZE pieces; 415 when `image_only` and it is no image, 413 past
        MAX_UPLOAD_BYTES. Never holds more than a chunk in memory; on any error nothing stays stored."""
        limit = self._max_bytes
        if file.size is not None and file.size > limit:
            raise PayloadTooLarge(f"the file is larger than {limit} bytes")
        first = await file.read(CHUNK_SIZE)
        content_type = sniff_image(first)
        if content_type is None:
            if image_only:
                raise UnsupportedMediaType("the file is not a PNG, JPEG, GIF or WebP image (judged by its content)")
            content_type = OCTET_STREAM
        key = str(uuid.uuid4())
        digest = hashlib.sha256()
        size = 0
        too_large = False

        async def chunks() -> AsyncIterator[bytes]:
            nonlocal size, too_large
            chunk = first
            while chunk:
                size += len(chunk)
                if size > limit:
                    too_large = True
                    raise PayloadTooLarge(f"the file is larger than {limit} bytes")
                digest.update(chunk)
                yield chunk
                chunk = await file.read(CHUNK_SIZE)

        try:
            await self.storage.put(key, chunks())
        except BaseException:
            await self.discard([key])  # a backend that kept a partial object must not keep it
            if too_large:  # whatever the backend wrapped it in
                raise PayloadTooLarge(f"the file is larger than {limit} bytes") from None
            raise
        return StoredFile(key, clean_filename(file.filename), content_type, size, digest.hexdigest())

    @asynccontextmanager
    async def recording(self, stored: StoredFile) -> AsyncIterator[Callable[[DbConnection], Awaitable[None]]]:
        """The block records `stored` and commits with the function it is given. If the block fails before that
        commit, the stored bytes are deleted; if the commit itself fails, it may have landed all the same (a
        connection lost during COMMIT, a request cancelled while waiting for it), and the bytes are kept: an orphan
        object is harmless, a row without its bytes is a lost file."""
        committing = False

        async def commit(conn: DbConnection) -> None:
            nonlocal committing
            committing = True
            await conn.commit()

        try:
            yield commit
        except BaseException:
            if committing:
                logger.warning("file %s kept: the commit of its row failed, and may have landed", stored.id)
            else:
                await self.discard([stored.id])
            raise

    async def discard(self, keys: Iterable[str]) -> None:
        """Remove stored bytes; failures are logged (an orphan object is harmless, a failed request is not)."""
        for key in keys:
            try:
                await self.storage.delete(key)
            except Exception:
                logger.exception("could not delete stored file %s", key)

    def download_url(self, ctx: RequestContext, file_id: str) -> str:
        """The absolute URL of a file's content: PUBLIC_BASE_URL, else the request's scheme and Host."""
        base = self._public_base_url
        if base is None:
            host = ctx.request_headers.get("host", "")
            if not _HOST.fullmatch(host):
                raise MalformedRequest("the Host header is not host[:port]; set PUBLIC_BASE_URL for other hosts")
            base = f"{'https' if ctx.secure else 'http'}://{host}"
        return f"{base.rstrip('/')}/files/{file_id}/content"


async def insert_file(
    conn: DbConnection, stored: StoredFile, *, owner_id: int | None, item_id: int | None = None
) -> models.FileInfo:
    """Insert the metadata of stored bytes (the caller commits)."""
    values = {
        "id": stored.id,
        "filename": stored.filename,
        "content_type": stored.content_type,
        "size": stored.size,
        "sha256": stored.sha256,
        "owner_id": owner_id,
        "item_id": item_id,
        "created_at": dt.datetime.now(dt.UTC),
    }
    await conn.execute(_INSERT, values)
    return _to_info(values)


async def forget_item_images(conn: DbConnection, item_id: int) -> list[str]:
    """Delete the rows of an item's images (the caller commits, then discards the returned keys' bytes)."""
    return await _forget(conn, _ITEM_IMAGES, {"item_id": item_id})


async def forget_account_files(conn: DbConnection, user_id: int) -> list[str]:
    """Delete the rows of the files an account's deletion would cascade away (the caller deletes the account in the
    same transaction, commits, then discards the returned keys' bytes). Images it added to others' items stay: they
    pass to the items' owners."""
    await conn.execute(_ADOPT_IMAGES, {"user_id": user_id})
    return await _forget(conn, _ACCOUNT_FILES, {"user_id": user_id})


async def _forget(
    conn: DbConnection, rows: tuple[Select[tuple[str]], Delete], parameters: dict[str, object]
) -> list[str]:
    """Delete the file rows `rows` picks; their storage keys."""
    ids, deletion = rows
    keys = [str(key) for key in (await conn.execute(ids, parameters)).scalars()]
    if keys:
        await conn.execute(deletion, parameters)
    return keys


def _to_info(values: dict[str, object]) -> models.FileInfo:
    return models.FileInfo.model_validate({key: values[key] for key in models.FileInfo.model_fields})


class SqlFilesService:
    """The files API: metadata in the database, bytes in `Storage` under generated ids.

    Who may read a file: an item's image is public like the item; any other file only its owner and
    administrators (others get the 404 of an unknown id, so ids reveal nothing).
    """

    def __init__(self, files: FileStore) -> None:
        self._files = files
        self._database = files.database

    async def upload_file(self, ctx: RequestContext, *, file: UploadedFile) -> models.FileInfo:
        """Stream the upload to storage and record it; 413 past the limit (nothing kept)."""
        owner_id = int(ctx.principal.subject) if ctx.principal is not None else None
        stored = await self._files.receive(file, image_only=False)
        async with self._files.recording(stored) as commit, self._database.connect() as conn:
            try:
                info = await insert_file(conn, stored, owner_id=owner_id)
            except IntegrityError:
                await raise_if_gone(conn, _users, owner_id, account_gone)  # deleted during the upload: 401
                raise
            await commit(conn)
        return info

    async def get_file(self, ctx: RequestContext, *, file_id: uuid.UUID) -> models.FileInfo:
        """The file's metadata; 404 when absent or not the caller's to read."""
        return await self._readable(ctx, file_id)

    async def download_file(
        self, ctx: RequestContext, *, file_id: uuid.UUID, if_none_match: str | None, range: str | None
    ) -> Download:
        """The file's bytes streamed (200), a range of them (206), 304 when `If-None-Match` holds its ETag."""
        info = await self._readable(ctx, file_id)
        media_type = info.content_type.value
        etag = f'"{info.sha256}"'
        ctx.headers["ETag"] = etag
        # RFC 9110 §13.2.2: If-None-Match is evaluated before Range.
        if none_match(if_none_match, etag):
            ctx.status_code = 304
            return Download(media_type, b"")
        byte_range = parse_range(range, info.size)
        ctx.headers["Accept-Ranges"] = "bytes"
        if byte_range is None:
            length = info.size
        else:
            length = byte_range.end - byte_range.start
            ctx.status_code = 206
            ctx.headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end - 1}/{info.size}"
        ctx.headers["Content-Length"] = str(length)
        stream = self._files.storage.open(str(info.id), byte_range)
        try:
            # The first chunk is read now: a missing object is an error response, not a broken stream.
            first = await anext(stream, b"")
        except ObjectMissing:
            # Deleted since its metadata was read (with its account or item): what a moment later would answer.
            if await self._row(file_id) is None:
                raise NotFound(f"file {file_id} does not exist") from None
            logger.error("file %s has metadata but no stored bytes", info.id)
            raise NotFound(f"the content of file {file_id} is missing") from None
        return Download(media_type, _prepend(first, stream), filename=info.filename)

    async def _readable(self, ctx: RequestContext, file_id: uuid.UUID) -> models.FileInfo:
        row = await self._row(file_id)
        if row is None or not _may_read(ctx, row.owner_id, row.item_id):
            raise NotFound(f"file {file_id} does not exist")
        return _to_info(dict(row._mapping))

    async def _row(self, file_id: uuid.UUID) -> Row[Any] | None:
        """The file's metadata row, None when there is none."""
        async with self._database.connect() as conn:
            return (await conn.execute(_GET, {"file_id": str(file_id)})).one_or_none()


def _may_read(ctx: RequestContext, owner_id: int | None, item_id: int | None) -> bool:
    if item_id is not None:
        return True  # an item's image is public like the item
    principal = ctx.principal
    if principal is None:
        return False
    return principal.subject == str(owner_id) or SCOPE_USERS_ADMIN in principal.scopes


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for chunk in rest:
        yield chunk


__all__ = [
    "FileStore",
    "SqlFilesService",
    "StoredFile",
    "caption",
    "clean_filename",
    "forget_item_images",
    "insert_file",
    "none_match",
    "parse_range",
    "sniff_image",
]
