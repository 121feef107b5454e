"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from starlette.datastructures import UploadFile

from .. import models
from .. import runtime as _rt
from ..protocols import FilesService, UnimplementedFilesService
from ..runtime import Authenticator, OperationInfo, RequestContext

OP_UPLOAD_FILE = OperationInfo(
    operation_id="uploadFile",
    method="POST",
    path="/files",
    tag="files",
    security=({"OAuth2PasswordBearer": ("items:write",)}, {"CookieSession": ("items:write",)}),
    success_status=201,
    statuses=(201, 400, 401, 403, 413, 415, 422, 500, 503),
    accepts_upload=True,
)


class UploadFileParts(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    file: UploadFile


OP_GET_FILE = OperationInfo(
    operation_id="getFile",
    method="GET",
    path="/files/{file_id}",
    tag="files",
    security=({}, {"OAuth2PasswordBearer": ("items:read",)}, {"CookieSession": ("items:read",)}),
    success_status=200,
    statuses=(200, 401, 403, 404, 422, 500, 503),
)


class GetFileParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    file_id: uuid.UUID


OP_DOWNLOAD_FILE = OperationInfo(
    operation_id="downloadFile",
    method="GET",
    path="/files/{file_id}/content",
    tag="files",
    security=({}, {"OAuth2PasswordBearer": ("items:read",)}, {"CookieSession": ("items:read",)}),
    success_status=200,
    statuses=(200, 206, 304, 401, 403, 404, 416, 422, 500, 503),
)


class DownloadFileParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    file_id: uuid.UUID
    if_none_match: Annotated[str | None, Field(max_length=1024)] = None
    range: Annotated[str | None, Field(max_length=1024)] = None


OPERATIONS: tuple[OperationInfo, ...] = (
    OP_UPLOAD_FILE,
    OP_GET_FILE,
    OP_DOWNLOAD_FILE,
)

_UPLOAD_FILE_PARTS = _rt.FormFields(
    UploadFileParts,
    (_rt.Part("file", "file"),),
    accepted=_rt.MULTIPART_MEDIA_TYPE,
)
_UPLOAD_FILE_RESPONDER = _rt.Responder(
    OP_UPLOAD_FILE,
    TypeAdapter(models.FileInfo),
    location=_rt.LocationLink("/files/{file_id}", (("file_id", "id"),)),
)

_GET_FILE_PARAMETERS = _rt.Parameters(
    GetFileParameters,
    (_rt.Param("file_id", "path", "file_id", "file_id"),),
)
_GET_FILE_RESPONDER = _rt.Responder(
    OP_GET_FILE,
    TypeAdapter(models.FileInfo),
)

_DOWNLOAD_FILE_PARAMETERS = _rt.Parameters(
    DownloadFileParameters,
    (
        _rt.Param("file_id", "path", "file_id", "file_id"),
        _rt.Param("if_none_match", "header", "If-None-Match", "If-None-Match"),
        _rt.Param("range", "header", "Range", "Range"),
    ),
)
_DOWNLOAD_FILE_RESPONDER = _rt.Responder(
    OP_DOWNLOAD_FILE,
    None,
)


def bind(service: FilesService, authenticator: Authenticator | None = None) -> tuple[_rt.Endpoint[Any, Any], ...]:
    """The operations tagged "files", each calling its method of `service` directly."""

    async def upload_file(ctx: RequestContext, p: None, body: UploadFileParts) -> object:
        return await service.upload_file(ctx, file=body.file)

    async def get_file(ctx: RequestContext, p: GetFileParameters, body: None) -> object:
        return await service.get_file(ctx, file_id=p.file_id)

    async def download_file(ctx: RequestContext, p: DownloadFileParameters, body: None) -> object:
        return await service.download_file(ctx, file_id=p.file_id, if_none_match=p.if_none_match, range=p.range)

    return (
        _rt.Endpoint(
            OP_UPLOAD_FILE,
            upload_file,
            parameters=_rt.NoParameters(),
            body=_UPLOAD_FILE_PARTS,
            responder=_UPLOAD_FILE_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).upload_file is not UnimplementedFilesService.upload_file,
        ),
        _rt.Endpoint(
            OP_GET_FILE,
            get_file,
            parameters=_GET_FILE_PARAMETERS,
            body=_rt.NoBody(),
            responder=_GET_FILE_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).get_file is not UnimplementedFilesService.get_file,
        ),
        _rt.Endpoint(
            OP_DOWNLOAD_FILE,
            download_file,
            parameters=_DOWNLOAD_FILE_PARAMETERS,
            body=_rt.NoBody(),
            responder=_DOWNLOAD_FILE_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).download_file is not UnimplementedFilesService.download_file,
        ),
    )


__all__ = ["OPERATIONS", "OP_DOWNLOAD_FILE", "OP_GET_FILE", "OP_UPLOAD_FILE", "bind"]
