"""RFC 9457 problem errors: the exception hierarchy services raise and the one handler that renders them."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar
from urllib.parse import quote

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

PROBLEM_MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger(__name__)


class ProblemError(Exception):
    """Base of every error the API reports. Hierarchy: ProblemError > NotFound | Conflict | InvalidInput | ..."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "about:blank"
    title: ClassVar[str] = "Internal Server Error"

    def __init__(self, detail: str, *, headers: Mapping[str, str] | None = None, **extensions: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = extensions


class BadRequest(ProblemError):
    status, type, title = 400, "/problems/bad-request", "Malformed request"


class Unauthorized(ProblemError):
    status, type, title = 401, "/problems/unauthorized", "Authentication required"

    def __init__(self, detail: str, *, invalid_token: bool = False, **extensions: object) -> None:
        # RFC 6750 §3: a bare challenge when no credentials came, `invalid_token` when bad ones did.
        challenge = 'Bearer error="invalid_token"' if invalid_token else "Bearer"
        super().__init__(detail, headers={"WWW-Authenticate": challenge}, **extensions)


class Forbidden(ProblemError):
    status, type, title = 403, "/problems/forbidden", "Forbidden"


class NotFound(ProblemError):
    status, type, title = 404, "/problems/not-found", "Resource not found"


class Conflict(ProblemError):
    status, type, title = 409, "/problems/conflict", "Conflict with the current state"


class PreconditionFailed(ProblemError):
    status, type, title = 412, "/problems/precondition-failed", "Precondition failed"


class InvalidInput(ProblemError):
    status, type, title = 422, "/problems/validation", "Request validation failed"


class TooManyRequests(ProblemError):
    status, type, title = 429, "/problems/too-many-requests", "Too many attempts"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(ProblemError):
    status, type, title = 503, "/problems/unavailable", "Service unavailable"


class OAuthError(Exception):
    """An RFC 6749 §5.2 error of the token endpoints: JSON `{error, error_description}`, not a problem document."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


_HTTP_TITLES: dict[int, tuple[str, str]] = {
    400: ("/problems/bad-request", "Malformed request"),
    404: ("/problems/not-found", "Resource not found"),
    405: ("/problems/method-not-allowed", "Method not allowed"),
    413: ("/problems/payload-too-large", "Payload too large"),
    415: ("/problems/unsupported-media-type", "Unsupported media type"),
}


def instance_uri(path: str) -> str:
    """The request path as a valid URI reference (the decoded path may hold spaces or non-ASCII)."""
    return quote(path, safe="/:@!$&'()*+,;=-._~")


def problem_response(
    request: Request | None,
    *,
    status: int,
    type_: str,
    title: str,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
    path: str | None = None,
    extensions: Mapping[str, object] | None = None,
) -> Response:
    """One `application/problem+json` response; `instance` is the request path."""
    body: dict[str, object] = {"type": type_, "title": title, "status": status}
    if detail is not None:
        body["detail"] = detail
    instance = path if path is not None else (request.url.path if request is not None else None)
    if instance is not None:
        body["instance"] = instance_uri(instance)
    body.update(extensions or {})
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _field_errors(errors: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for error in errors:
        loc = error.get("loc", ())
        loc_parts = (
            [part if isinstance(part, int) else str(part) for part in loc] if isinstance(loc, tuple | list) else []
        )
        out.append({"loc": loc_parts, "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))})
    return out


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request,
        status=exc.status,
        type_=exc.type,
        title=exc.title,
        detail=exc.detail,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def _on_oauth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OAuthError)
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="token"'
    body = orjson.dumps({"error": exc.error, "error_description": exc.description})
    return Response(body, status_code=exc.status, headers=headers, media_type="application/json")


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    # 400 not 422: a body that is not JSON at all is a syntax error, not a contract violation of a field.
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(
            request,
            status=400,
            type_="/problems/bad-request",
            title="Malformed request",
            detail="the request body is not valid JSON",
        )
    fields = _field_errors(errors)
    noun = "field" if len(fields) == 1 else "fields"
    return problem_response(
        request,
        status=InvalidInput.status,
        type_=InvalidInput.type,
        title=InvalidInput.title,
        detail=f"{len(fields)} invalid {noun}",
        extensions={"errors": fields},
    )


def _methods_matching(routes: Iterable[BaseRoute], scope: Scope) -> set[str]:
    methods: set[str] = set()
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.NONE:
            continue
        # FastAPI keeps included routers as nested route groups: look inside the one whose path matched.
        nested = getattr(route, "original_router", None)
        if nested is not None:
            methods |= _methods_matching(nested.routes, scope)
        else:
            methods.update(getattr(route, "methods", None) or ())
    return methods


def _allowed_methods(request: Request) -> list[str]:
    """Every method served at this path, across all routes (Starlette only lists the first route's)."""
    return sorted(_methods_matching(request.app.router.routes, {**request.scope, "method": "__none__"}))


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    type_, title = _HTTP_TITLES.get(exc.status_code, ("about:blank", "HTTP error"))
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem_response(
        request, status=exc.status_code, type_=type_, title=title, detail=exc.detail, headers=headers
    )


async def _on_unicode_error(request: Request, exc: Exception) -> Response:
    return problem_response(
        request,
        status=400,
        type_="/problems/bad-request",
        title="Malformed request",
        detail="the request body is not valid UTF-8",
    )


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        request,
        status=500,
        type_="about:blank",
        title="Internal Server Error",
        detail="an unexpected error occurred; it has been logged",
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error the app can raise to a problem+json response."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(OAuthError, _on_oauth_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(UnicodeDecodeError, _on_unicode_error)
    app.add_exception_handler(Exception, _on_unexpected)
