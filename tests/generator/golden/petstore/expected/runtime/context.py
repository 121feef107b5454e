"""What a service sees of a request: the operation, the caller, and what it may add to the response."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from starlette.requests import Request

SameSite = Literal["lax", "strict", "none"]


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: subject, granted scopes and raw claims."""

    subject: str
    scopes: frozenset[str] = frozenset()
    claims: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OperationInfo:
    """Static facts about one operation; `security` is an OR of AND-maps (`()`: none declared, `{}`: optional)."""

    operation_id: str
    method: str
    path: str
    tag: str
    security: tuple[Mapping[str, tuple[str, ...]], ...]
    success_status: int
    # Statuses a service may choose with `ctx.status_code`; None when `default` allows any.
    statuses: tuple[int, ...] | None = None
    # The request body is an upload (multipart/form-data or application/octet-stream): the larger size limit applies.
    accepts_upload: bool = False

    def __hash__(self) -> int:
        # `security` holds mappings; an operation is identified by its method and path.
        return hash((self.method, self.path))


class Authenticator(Protocol):
    """Authenticates a request for an operation: a Principal, None (anonymous) or raises (401/403)."""

    async def __call__(self, request: Request, operation: OperationInfo) -> Principal | None: ...


class UploadedFile(Protocol):
    """An uploaded file as services see it (starlette's UploadFile satisfies it)."""

    @property
    def filename(self) -> str | None: ...

    @property
    def content_type(self) -> str | None: ...

    @property
    def size(self) -> int | None: ...

    async def read(self, size: int = -1) -> bytes: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Download:
    """A non-JSON success body: bytes or an async stream of bytes, with its media type."""

    media_type: str
    content: bytes | AsyncIterator[bytes]
    filename: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Cookie:
    """A cookie the response sets (or expires, with `max_age=0`)."""

    key: str
    value: str
    max_age: int | None = None
    path: str = "/"
    secure: bool = False
    httponly: bool = True
    samesite: SameSite | None = "lax"


@dataclass(slots=True)
class RequestContext:
    """Per-request state a service may read (caller, client) and set (status, headers, cookies, background tasks).

    `client_host` is the peer address as the server saw it (a trusted proxy layer may have rewritten it);
    `secure` says whether the request arrived over https; `request_headers` are the request's own headers
    (case-insensitive), for checks a contract cannot declare as parameters, such as `Origin` and `Sec-Fetch-Site`.
    """

    operation: OperationInfo
    principal: Principal | None = None
    client_host: str | None = None
    secure: bool = False
    request_headers: Mapping[str, str] = field(default_factory=dict)
    status_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[Cookie] = field(default_factory=list)
    tasks: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)

    def set_cookie(
        self,
        key: str,
        value: str,
        *,
        max_age: int | None = None,
        path: str = "/",
        secure: bool = False,
        httponly: bool = True,
        samesite: SameSite | None = "lax",
    ) -> None:
        """Set a cookie on the response."""
        self.cookies.append(Cookie(key, value, max_age, path, secure, httponly, samesite))

    def delete_cookie(self, key: str, *, path: str = "/", secure: bool = False, httponly: bool = True) -> None:
        """Expire a cookie on the response."""
        self.cookies.append(Cookie(key, "", 0, path, secure, httponly, "lax"))

    def add_background_task(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run `fn(*args, **kwargs)` after the response is sent."""
        self.tasks.append((fn, args, kwargs))


__all__ = [
    "Authenticator",
    "Cookie",
    "Download",
    "OperationInfo",
    "Principal",
    "RequestContext",
    "UploadedFile",
]
