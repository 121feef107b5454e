"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Request, UploadFile
from pydantic import TypeAdapter
from starlette.responses import Response

from .. import models
from .. import runtime as _rt
from ..protocols import FilesService
from ..runtime import Authenticator, OperationInfo, Principal

OP_UPLOAD_FILE = OperationInfo(
    operation_id="uploadFile",
    method="POST",
    path="/files",
    tag="files",
    security=({"OAuth2PasswordBearer": ("items:write",)}, {"CookieSession": ("items:write",)}),
    success_status=201,
)
_ADAPTER_UPLOAD_FILE: TypeAdapter[models.FileInfo] = TypeAdapter(models.FileInfo)

OP_GET_FILE = OperationInfo(
    operation_id="getFile",
    method="GET",
    path="/files/{file_id}",
    tag="files",
    security=({"OAuth2PasswordBearer": ("items:read",)}, {"CookieSession": ("items:read",)}),
    success_status=200,
)
_ADAPTER_GET_FILE: TypeAdapter[models.FileInfo] = TypeAdapter(models.FileInfo)

OP_DOWNLOAD_FILE = OperationInfo(
    operation_id="downloadFile",
    method="GET",
    path="/files/{file_id}/content",
    tag="files",
    security=({"OAuth2PasswordBearer": ("items:read",)}, {"CookieSession": ("items:read",)}),
    success_status=200,
)

OPERATIONS: tuple[OperationInfo, ...] = (
    OP_UPLOAD_FILE,
    OP_GET_FILE,
    OP_DOWNLOAD_FILE,
)


def build_router(
    provide: Callable[..., FilesService] | None = None, *, authenticator: Authenticator | None = None
) -> APIRouter:
    """Return the router of the operations tagged "files", served by the service `provide` gives."""
    router = APIRouter()
    service_dependency = _rt.service_dependency(provide)

    @router.post(
        "/files",
        operation_id="uploadFile",
        status_code=201,
        response_model=models.FileInfo,
        responses={
            400: {"description": "The body is not well-formed (e.g. malformed JSON or not UTF-8)."},
            401: {"description": "Missing or invalid credentials."},
            403: {
                "description": (
                    "Authenticated, but not allowed (insufficient scope, not the owner, or a missing CSRF token)."
                )
            },
            413: {"description": "The body is larger than the configured limit."},
            415: {"description": "The body's Content-Type is not the one this operation accepts."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Upload a file",
        description="The file is streamed to storage; larger than the configured limit gives 413.",
    )
    async def upload_file(
        request: Request,
        *,
        file: Annotated[UploadFile, File(alias="file")],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_UPLOAD_FILE))],
        service: Annotated[FilesService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_UPLOAD_FILE, principal=principal)
        impl = getattr(service, "upload_file", None)
        if impl is None:
            return _rt.not_implemented(request, OP_UPLOAD_FILE)
        try:
            result = await impl(ctx, file=file)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_UPLOAD_FILE)
        _rt.link_location(ctx, request, result, "/files/{file_id}", (("file_id", "id"),))
        return _rt.respond(
            ctx,
            result,
            status_code=201,
            adapter=_ADAPTER_UPLOAD_FILE,
            statuses=(201, 400, 401, 403, 413, 415, 422, 500),
        )

    @router.get(
        "/files/{file_id}",
        operation_id="getFile",
        status_code=200,
        response_model=models.FileInfo,
        responses={
            401: {"description": "Missing or invalid credentials."},
            403: {
                "description": (
                    "Authenticated, but not allowed (insufficient scope, not the owner, or a missing CSRF token)."
                )
            },
            404: {"description": "No such resource."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Get a file's metadata",
    )
    async def get_file(
        request: Request,
        *,
        file_id: Annotated[uuid.UUID, Path(alias="file_id", description="The file's id.")],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_GET_FILE))],
        service: Annotated[FilesService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_GET_FILE, principal=principal)
        impl = getattr(service, "get_file", None)
        if impl is None:
            return _rt.not_implemented(request, OP_GET_FILE)
        try:
            result = await impl(ctx, file_id=file_id)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_GET_FILE)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_GET_FILE,
            statuses=(200, 401, 403, 404, 422, 500),
        )

    @router.get(
        "/files/{file_id}/content",
        operation_id="downloadFile",
        status_code=200,
        response_model=None,
        responses={
            401: {"description": "Missing or invalid credentials."},
            403: {
                "description": (
                    "Authenticated, but not allowed (insufficient scope, not the owner, or a missing CSRF token)."
                )
            },
            404: {"description": "No such resource."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Download a file",
    )
    async def download_file(
        request: Request,
        *,
        file_id: Annotated[uuid.UUID, Path(alias="file_id", description="The file's id.")],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_DOWNLOAD_FILE))],
        service: Annotated[FilesService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_DOWNLOAD_FILE, principal=principal)
        impl = getattr(service, "download_file", None)
        if impl is None:
            return _rt.not_implemented(request, OP_DOWNLOAD_FILE)
        try:
            result = await impl(ctx, file_id=file_id)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_DOWNLOAD_FILE)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=None,
            statuses=(200, 401, 403, 404, 422, 500),
        )

    return router


__all__ = ["OPERATIONS", "OP_DOWNLOAD_FILE", "OP_GET_FILE", "OP_UPLOAD_FILE", "build_router"]
