"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, RootModel, TypeAdapter, ValidationError
from starlette.background import BackgroundTasks
from starlette.responses import JSONResponse, Response, StreamingResponse

_JSON_SUFFIX = "+json"
_M = TypeVar("_M", bound=BaseModel)


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


@dataclass(slots=True)
class _Cookie:
    key: str
    value: str
    max_age: int | None
    path: str
    secure: bool
    httponly: bool
    samesite: Literal["lax", "strict", "none"] | None


@dataclass(slots=True)
class RequestContext:
    """Per-request state a service may read (principal) and set (status, headers, cookies, background tasks)."""

    operation: OperationInfo
    principal: Principal | None = None
    status_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    _cookies: list[_Cookie] = field(default_factory=list, repr=False)
    _tasks: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = field(default_factory=list, repr=False)

    def set_cookie(
        self,
        key: str,
        value: str,
        *,
        max_age: int | None = None,
        path: str = "/",
        secure: bool = False,
        httponly: bool = True,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
    ) -> None:
        """Set a cookie on the response."""
        self._cookies.append(_Cookie(key, value, max_age, path, secure, httponly, samesite))

    def delete_cookie(self, key: str, *, path: str = "/") -> None:
        """Expire a cookie on the response."""
        self._cookies.append(_Cookie(key, "", 0, path, False, True, "lax"))

    def add_background_task(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run `fn(*args, **kwargs)` after the response is sent."""
        self._tasks.append((fn, args, kwargs))


async def _anonymous(request: Request) -> Principal | None:
    return None


def principal_dependency(authenticator: Authenticator | None, operation: OperationInfo) -> Callable[[Request], Any]:
    """Return the FastAPI dependency yielding the request's Principal (always None without an authenticator)."""
    if authenticator is None:
        return _anonymous
    auth = authenticator

    async def principal(request: Request) -> Principal | None:
        return await auth(request, operation)

    return principal


async def _no_service() -> None:
    return None


def service_dependency(provide: Callable[..., Any] | None) -> Callable[..., Any]:
    """Return `provide`, or a dependency giving None (every operation then answers 501)."""
    return provide if provide is not None else _no_service


async def require_json(request: Request) -> None:
    """Route dependency: 415 when a request with a body does not send a JSON Content-Type."""
    headers = request.headers
    if headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers:
        return
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith(_JSON_SUFFIX):
        raise HTTPException(
            status_code=415, detail=f"unsupported media type {media or '(none)'}; send application/json"
        )


async def build_form_model(request: Request, model: type[_M], values: Mapping[str, object]) -> _M:
    """Return the body model built from already-converted form fields; 422 when it does not validate.

    FastAPI reads an empty optional form field as absent; a field the client did send is validated as sent
    (an empty string is not a valid enum value), so the raw form decides which fields are present.
    """
    sent = await request.form()
    present: dict[str, object] = {}
    for key, value in values.items():
        if value is not None:
            present[key] = value
        elif isinstance(sent.get(key), str):
            present[key] = sent[key]
    try:
        return model.model_validate(present)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False, include_context=False)]
        ) from None


def not_implemented(request: Request, operation: OperationInfo) -> JSONResponse:
    """Return the 501 problem+json answer of an operation without an implementation."""
    return JSONResponse(
        {
            "type": "about:blank",
            "title": "Not Implemented",
            "status": 501,
            "detail": f"operation {operation.operation_id} is not implemented",
            "instance": quote(request.url.path, safe="/:@!$&'()*+,;=-._~"),
        },
        status_code=501,
        media_type="application/problem+json",
    )


def _field_value(result: object, name: str) -> object:
    if isinstance(result, BaseModel):
        for attr, info in type(result).model_fields.items():
            if (info.alias or attr) == name:
                return getattr(result, attr)
        return None
    if isinstance(result, Mapping):
        return result.get(name)
    return getattr(result, name, None)


def link_location(
    ctx: RequestContext, request: Request, result: object, path: str, fields: tuple[tuple[str, str], ...]
) -> None:
    """Set ctx.headers["Location"] to `path` filled from the result's fields (unless the service set one)."""
    if any(k.lower() == "location" for k in ctx.headers):
        return
    for name, body_field in fields:
        value = _field_value(result, body_field)
        while isinstance(value, RootModel):
            value = value.root
        value = getattr(value, "value", value)
        if value is None:
            return
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    ctx.headers["Location"] = str(request.scope.get("root_path", "")) + path


def respond(
    ctx: RequestContext,
    result: object,
    *,
    status_code: int,
    adapter: TypeAdapter[Any] | None,
    media_type: str = "application/json",
    statuses: tuple[int, ...] | None = None,
) -> Response:
    """Return the one Response of an operation: JSON via `adapter`, empty for None, streamed for a Download."""
    status = status_code
    if ctx.status_code is not None:
        if statuses is not None and ctx.status_code not in statuses:
            raise ValueError(f"{ctx.operation.operation_id}: status {ctx.status_code} is not declared")
        status = ctx.status_code
    response: Response
    # Headers go in through the constructor: updating them afterwards costs more on every request.
    headers = ctx.headers
    if isinstance(result, Download):
        headers = {**result.headers, **headers}
        if result.filename is not None:
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(result.filename, safe='')}"
        if isinstance(result.content, bytes):
            response = Response(result.content, status_code=status, media_type=result.media_type, headers=headers)
        else:
            response = StreamingResponse(
                result.content, status_code=status, media_type=result.media_type, headers=headers
            )
    elif result is None or adapter is None:
        if result is not None:
            raise TypeError(f"{ctx.operation.operation_id}: expected a Download or None, got {type(result).__name__}")
        response = Response(status_code=status, headers=headers)
    else:
        body = adapter.dump_json(result, by_alias=True, exclude_unset=True)
        response = Response(body, status_code=status, media_type=media_type, headers=headers)
    for c in ctx._cookies:
        response.set_cookie(
            c.key, c.value, max_age=c.max_age, path=c.path, secure=c.secure, httponly=c.httponly, samesite=c.samesite
        )
    if ctx._tasks:
        tasks = BackgroundTasks()
        for fn, args, kwargs in ctx._tasks:
            tasks.add_task(fn, *args, **kwargs)
        response.background = tasks
    return response


__all__ = [
    "Authenticator",
    "Download",
    "OperationInfo",
    "Principal",
    "RequestContext",
    "UploadedFile",
    "build_form_model",
    "link_location",
    "not_implemented",
    "principal_dependency",
    "require_json",
    "respond",
    "service_dependency",
]
