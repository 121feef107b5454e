"""RFC 9457 problem documents: the one place that builds them, and the errors generated routes answer with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import orjson
from starlette.responses import Response

PROBLEM_MEDIA_TYPE = "application/problem+json"
_URI_SAFE = "/:@!$&'()*+,;=-._~"


def instance_uri(path: str) -> str:
    """The request path as a valid URI reference (the decoded path may hold spaces or non-ASCII)."""
    return quote(path, safe=_URI_SAFE)


def problem_response(
    *,
    status: int,
    type_: str,
    title: str,
    detail: str | None = None,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, object] | None = None,
) -> Response:
    """One `application/problem+json` response; `instance` is the request path, quoted here."""
    body: dict[str, object] = {"type": type_, "title": title, "status": status}
    if detail is not None:
        body["detail"] = detail
    if instance is not None:
        body["instance"] = instance_uri(instance)
    if extensions:
        body.update(extensions)
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


class ErrorResponse(Exception):
    """An error that knows its own response; generated routes answer with it instead of propagating it."""

    def response(self, path: str) -> Response:
        """The response to send for a request to `path`."""
        raise NotImplementedError


class ProblemError(ErrorResponse):
    """Base of every problem the API reports; subclasses set `status`, `type` and `title`."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "about:blank"
    title: ClassVar[str] = "Internal Server Error"

    def __init__(self, detail: str, *, headers: Mapping[str, str] | None = None, **extensions: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = extensions

    def response(self, path: str) -> Response:
        """This problem as `application/problem+json` for a request to `path`."""
        return problem_response(
            status=self.status,
            type_=self.type,
            title=self.title,
            detail=self.detail,
            instance=path,
            headers=self.headers,
            extensions=self.extensions,
        )


class MalformedRequest(ProblemError):
    status, type, title = 400, "/problems/bad-request", "Malformed request"


class MethodNotAllowed(ProblemError):
    status, type, title = 405, "/problems/method-not-allowed", "Method not allowed"


class UnsupportedMediaType(ProblemError):
    status, type, title = 415, "/problems/unsupported-media-type", "Unsupported media type"


class InvalidRequest(ProblemError):
    """422 with an `errors` list naming each invalid field as `{loc, msg, type}`."""

    status, type, title = 422, "/problems/validation", "Request validation failed"

    @classmethod
    def from_errors(cls, errors: Sequence[Mapping[str, Any]], *, prefix: tuple[str | int, ...] = ()) -> InvalidRequest:
        """The 422 of pydantic errors, each `loc` prefixed (e.g. with `("body",)`)."""
        fields = [
            {
                "loc": [*prefix, *(part if isinstance(part, int) else str(part) for part in error.get("loc", ()))],
                "msg": str(error.get("msg", "")),
                "type": str(error.get("type", "")),
            }
            for error in errors
        ]
        noun = "field" if len(fields) == 1 else "fields"
        return cls(f"{len(fields)} invalid {noun}", errors=fields)


class NotImplementedOperation(ProblemError):
    """What an operation answers until its service method is implemented."""

    status, type, title = 501, "about:blank", "Not Implemented"

    def __init__(self, operation_id: str) -> None:
        super().__init__(f"operation {operation_id} is not implemented")


__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "ErrorResponse",
    "InvalidRequest",
    "MalformedRequest",
    "MethodNotAllowed",
    "NotImplementedOperation",
    "ProblemError",
    "UnsupportedMediaType",
    "instance_uri",
    "problem_response",
]
