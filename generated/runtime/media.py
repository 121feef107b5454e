"""Request bodies declared in several media types: each request is read by the reader of its `Content-Type`.

JSON alternatives are validated like the preferred JSON body; form and multipart alternatives of an object schema
are read as text fields into the same model; XML must be well-formed (parsed with defusedxml: no DTD, no entity
expansion) and is handed over as the bytes sent; any other declared type is handed over as bytes.
"""

from __future__ import annotations

from typing import Any, Protocol

from starlette.requests import Request

from .inputs import media_type
from .problems import InvalidRequest, MalformedRequest


class _Reader(Protocol):
    async def read(self, request: Request) -> Any: ...


def _matches(media: str, pattern: str) -> bool:
    if pattern == "*/*":
        return bool(media)
    if pattern.endswith("/*"):
        return media.startswith(pattern[:-1])
    return media == pattern


class MediaTypes:
    """Dispatches on the request's media type: an alternative declared exactly, then the preferred reader for its
    own type, then wildcard alternatives (`image/*`, `*/*`); anything else (and no body at all) goes to the
    preferred reader, which answers 415 or reads the absent body."""

    def __init__(self, preferred: _Reader, preferred_type: str, alternatives: tuple[tuple[str, _Reader], ...]) -> None:
        self._preferred = preferred
        self._preferred_type = preferred_type
        self._exact = tuple((p, r) for p, r in alternatives if "*" not in p)
        # `type/*` before `*/*`: the narrower range wins.
        self._ranges = tuple(sorted(((p, r) for p, r in alternatives if "*" in p), key=lambda a: a[0] == "*/*"))

    async def read(self, request: Request) -> Any:
        """The body as its media type's reader returns it."""
        media = media_type(request)
        for pattern, reader in self._exact:
            if media == pattern:
                return await reader.read(request)
        if media != self._preferred_type:
            for pattern, reader in self._ranges:
                if _matches(media, pattern):
                    return await reader.read(request)
        return await self._preferred.read(request)


class XmlBody:
    """An XML body: well-formed (DTDs and entities refused), handed over as the bytes sent (b"" when an optional
    body is absent, as `RawBody` does)."""

    def __init__(self, *, optional: bool = False) -> None:
        self._optional = optional

    async def read(self, request: Request) -> bytes:
        """The body's bytes; 400 when they are not well-formed XML, 422 when a required body is absent."""
        from defusedxml import DefusedXmlException  # type: ignore[import-untyped]  # no stubs
        from defusedxml.ElementTree import ParseError, fromstring  # type: ignore[import-untyped]  # no stubs

        body = await request.body()
        if not body:
            if self._optional:
                return body
            raise InvalidRequest.from_errors([{"loc": ("body",), "msg": "Field required", "type": "missing"}])
        try:
            fromstring(body, forbid_dtd=True)
        except DefusedXmlException as exc:
            raise MalformedRequest(f"the XML body is refused: {type(exc).__name__}") from None
        except (ParseError, ValueError) as exc:
            raise MalformedRequest(f"the request body is not well-formed XML: {exc}") from None
        return body


__all__ = ["MediaTypes", "XmlBody"]
