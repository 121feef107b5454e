"""RFC 9457 problem errors: the exception hierarchy services raise and the handlers for errors raised elsewhere.

The bodies themselves are built in one place, `generated.runtime.problem_response`: generated routes answer
a raised `ProblemError` directly; the handlers here cover what happens outside them (unknown paths, bodies
over the limit, unexpected exceptions).
"""

from __future__ import annotations

import orjson
from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from typing_extensions import override

from generated.runtime import (
    ErrorResponse,
    InvalidRequest,
    MalformedRequest,
    MethodNotAllowed,
    ProblemError,
    UnsupportedMediaType,
    problem_response,
)

__all__ = [
    "Conflict",
    "DatabaseUnavailable",
    "Forbidden",
    "InternalError",
    "InvalidRequest",
    "NotFound",
    "OAuthError",
    "PayloadTooLarge",
    "PreconditionFailed",
    "ProblemError",
    "RangeNotSatisfiable",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "install_problem_handlers",
]


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


class PayloadTooLarge(ProblemError):
    status, type, title = 413, "/problems/payload-too-large", "Payload too large"


class RangeNotSatisfiable(ProblemError):
    status, type, title = 416, "/problems/range-not-satisfiable", "Range not satisfiable"

    def __init__(self, detail: str, *, size: int) -> None:
        # RFC 9110 §15.5.17: the current length, so the client can ask again.
        super().__init__(detail, headers={"Content-Range": f"bytes */{size}"})


class TooManyRequests(ProblemError):
    status, type, title = 429, "/problems/too-many-requests", "Too many attempts"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(ProblemError):
    status, type, title = 503, "/problems/unavailable", "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int | None = None) -> None:
        super().__init__(detail, headers=None if retry_after is None else {"Retry-After": str(retry_after)})


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot serve now (down, unreachable, too slow, locked, read-only, out of connections): a 503 the
    client may retry, never mistaken for an answer about the request (a conflict, a missing row)."""

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, retry_after=retry_after)


class InternalError(ProblemError):
    status, type, title = 500, "about:blank", "Internal Server Error"


class OAuthError(ErrorResponse):
    """An RFC 6749 §5.2 error of the token endpoints: JSON `{error, error_description}`, not a problem document."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    @override
    def response(self, path: str) -> Response:
        """The token endpoint's JSON error; never cached (RFC 6749 §5.1)."""
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="token"'
        body = orjson.dumps({"error": self.error, "error_description": self.description})
        return Response(body, status_code=self.status, headers=headers, media_type="application/json")


# Errors Starlette raises itself (routing, middleware), by status: the problem class that renders each.
_HTTP_PROBLEMS: dict[int, type[ProblemError]] = {
    400: MalformedRequest,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}


async def _on_error_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ErrorResponse)
    return exc.response(request.url.path)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    problem = _HTTP_PROBLEMS.get(exc.status_code)
    if problem is None:
        return problem_response(
            status=exc.status_code,
            type_="about:blank",
            title="HTTP error",
            detail=exc.detail,
            instance=request.url.path,
            headers=exc.headers,
        )
    return problem(exc.detail, headers=exc.headers).response(request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error the app can raise outside a generated route to a problem+json response."""
    app.add_exception_handler(ErrorResponse, _on_error_response)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    # Anything else is caught by impl.middleware.EdgeMiddleware: a logged 500 problem with the usual headers.
