"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from starlette.datastructures import UploadFile

from .. import models
from .. import runtime as _rt
from ..protocols import ItemsService, UnimplementedItemsService
from ..runtime import Authenticator, OperationInfo, RequestContext

OP_LIST_ITEMS = OperationInfo(
    operation_id="listItems",
    method="GET",
    path="/items",
    tag="items",
    security=({}, {"OAuth2PasswordBearer": ("items:read",)}, {"CookieSession": ("items:read",)}),
    success_status=200,
    statuses=(200, 401, 422, 500, 503),
)


class ListItemsParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    skip: Annotated[int, _rt.from_text("integer"), Field(ge=0, le=1000000)] = 0
    limit: Annotated[int, _rt.from_text("integer"), Field(ge=1, le=100)] = 20
    q: Annotated[str | None, Field(max_length=100, min_length=1, pattern="^[^\\x00-\\x1F\\x7F]+$")] = None
    mine: Annotated[bool, _rt.from_text("boolean")] = False


OP_CREATE_ITEM = OperationInfo(
    operation_id="createItem",
    method="POST",
    path="/items",
    tag="items",
    security=({"OAuth2PasswordBearer": ("items:write",)}, {"CookieSession": ("items:write",)}),
    success_status=201,
    statuses=(201, 400, 401, 403, 409, 413, 415, 422, 500, 503),
)


class CreateItemParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    idempotency_key: Annotated[str | None, Field(max_length=255, min_length=1, pattern="^[\\x21-\\x7E]+$")] = None


OP_DELETE_ITEM = OperationInfo(
    operation_id="deleteItem",
    method="DELETE",
    path="/items/{item_id}",
    tag="items",
    security=({"OAuth2PasswordBearer": ("items:write",)}, {"CookieSession": ("items:write",)}),
    success_status=204,
    statuses=(204, 401, 403, 404, 412, 422, 500, 503),
)


class DeleteItemParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_id: Annotated[int, _rt.from_text("integer"), Field(ge=1, le=9223372036854775807)]
    if_match: Annotated[str | None, Field(max_length=1024, min_length=1)] = None


OP_GET_ITEM = OperationInfo(
    operation_id="getItem",
    method="GET",
    path="/items/{item_id}",
    tag="items",
    security=({}, {"OAuth2PasswordBearer": ("items:read",)}, {"CookieSession": ("items:read",)}),
    success_status=200,
    statuses=(200, 401, 404, 422, 500, 503),
)


class GetItemParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_id: Annotated[int, _rt.from_text("integer"), Field(ge=1, le=9223372036854775807)]


OP_UPDATE_ITEM = OperationInfo(
    operation_id="updateItem",
    method="PATCH",
    path="/items/{item_id}",
    tag="items",
    security=({"OAuth2PasswordBearer": ("items:write",)}, {"CookieSession": ("items:write",)}),
    success_status=200,
    statuses=(200, 400, 401, 403, 404, 412, 413, 415, 422, 500, 503),
)


class UpdateItemParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_id: Annotated[int, _rt.from_text("integer"), Field(ge=1, le=9223372036854775807)]
    if_match: Annotated[str | None, Field(max_length=1024, min_length=1)] = None


OP_REPLACE_ITEM = OperationInfo(
    operation_id="replaceItem",
    method="PUT",
    path="/items/{item_id}",
    tag="items",
    security=({"OAuth2PasswordBearer": ("items:write",)}, {"CookieSession": ("items:write",)}),
    success_status=200,
    statuses=(200, 400, 401, 403, 404, 412, 413, 415, 422, 500, 503),
)


class ReplaceItemParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_id: Annotated[int, _rt.from_text("integer"), Field(ge=1, le=9223372036854775807)]
    if_match: Annotated[str | None, Field(max_length=1024, min_length=1)] = None


OP_UPLOAD_ITEM_IMAGE = OperationInfo(
    operation_id="uploadItemImage",
    method="POST",
    path="/items/{item_id}/images",
    tag="items",
    security=({"OAuth2PasswordBearer": ("items:write",)}, {"CookieSession": ("items:write",)}),
    success_status=201,
    statuses=(201, 400, 401, 403, 404, 409, 413, 415, 422, 500, 503),
    accepts_upload=True,
)


class UploadItemImageParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_id: Annotated[int, _rt.from_text("integer"), Field(ge=1, le=9223372036854775807)]


class UploadItemImageParts(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    file: UploadFile
    name: Annotated[str | None, Field(max_length=100, min_length=1, pattern="^[^\\x00-\\x1F\\x7F]+$")] = None


OPERATIONS: tuple[OperationInfo, ...] = (
    OP_LIST_ITEMS,
    OP_CREATE_ITEM,
    OP_DELETE_ITEM,
    OP_GET_ITEM,
    OP_UPDATE_ITEM,
    OP_REPLACE_ITEM,
    OP_UPLOAD_ITEM_IMAGE,
)

_LIST_ITEMS_PARAMETERS = _rt.Parameters(
    ListItemsParameters,
    (
        _rt.Param("skip", "query", "skip", "skip"),
        _rt.Param("limit", "query", "limit", "limit"),
        _rt.Param("q", "query", "q", "q"),
        _rt.Param("mine", "query", "mine", "mine"),
    ),
)
_LIST_ITEMS_RESPONDER = _rt.Responder(
    OP_LIST_ITEMS,
    TypeAdapter(list[models.Item]),
)

_CREATE_ITEM_PARAMETERS = _rt.Parameters(
    CreateItemParameters,
    (_rt.Param("idempotency_key", "header", "Idempotency-Key", "Idempotency-Key"),),
)
_CREATE_ITEM_BODY = _rt.JsonBody(TypeAdapter(models.ItemCreate))
_CREATE_ITEM_RESPONDER = _rt.Responder(
    OP_CREATE_ITEM,
    TypeAdapter(models.Item),
    location=_rt.LocationLink("/items/{item_id}", (("item_id", "id"),)),
)

_DELETE_ITEM_PARAMETERS = _rt.Parameters(
    DeleteItemParameters,
    (
        _rt.Param("item_id", "path", "item_id", "item_id"),
        _rt.Param("if_match", "header", "If-Match", "If-Match"),
    ),
)
_DELETE_ITEM_RESPONDER = _rt.Responder(
    OP_DELETE_ITEM,
    None,
)

_GET_ITEM_PARAMETERS = _rt.Parameters(
    GetItemParameters,
    (_rt.Param("item_id", "path", "item_id", "item_id"),),
)
_GET_ITEM_RESPONDER = _rt.Responder(
    OP_GET_ITEM,
    TypeAdapter(models.Item),
)

_UPDATE_ITEM_PARAMETERS = _rt.Parameters(
    UpdateItemParameters,
    (
        _rt.Param("item_id", "path", "item_id", "item_id"),
        _rt.Param("if_match", "header", "If-Match", "If-Match"),
    ),
)
_UPDATE_ITEM_BODY = _rt.JsonBody(TypeAdapter(models.ItemPatch))
_UPDATE_ITEM_RESPONDER = _rt.Responder(
    OP_UPDATE_ITEM,
    TypeAdapter(models.Item),
)

_REPLACE_ITEM_PARAMETERS = _rt.Parameters(
    ReplaceItemParameters,
    (
        _rt.Param("item_id", "path", "item_id", "item_id"),
        _rt.Param("if_match", "header", "If-Match", "If-Match"),
    ),
)
_REPLACE_ITEM_BODY = _rt.JsonBody(TypeAdapter(models.ItemCreate))
_REPLACE_ITEM_RESPONDER = _rt.Responder(
    OP_REPLACE_ITEM,
    TypeAdapter(models.Item),
)

_UPLOAD_ITEM_IMAGE_PARAMETERS = _rt.Parameters(
    UploadItemImageParameters,
    (_rt.Param("item_id", "path", "item_id", "item_id"),),
)
_UPLOAD_ITEM_IMAGE_PARTS = _rt.FormFields(
    UploadItemImageParts,
    (
        _rt.Part("file", "file"),
        _rt.Part("name", "name"),
    ),
    accepted=_rt.MULTIPART_MEDIA_TYPE,
)
_UPLOAD_ITEM_IMAGE_RESPONDER = _rt.Responder(
    OP_UPLOAD_ITEM_IMAGE,
    TypeAdapter(models.Item),
)


def bind(service: ItemsService, authenticator: Authenticator | None = None) -> tuple[_rt.Endpoint[Any, Any], ...]:
    """The operations tagged "items", each calling its method of `service` directly."""

    async def list_items(ctx: RequestContext, p: ListItemsParameters, body: None) -> object:
        return await service.list_items(ctx, skip=p.skip, limit=p.limit, q=p.q, mine=p.mine)

    async def create_item(ctx: RequestContext, p: CreateItemParameters, body: models.ItemCreate) -> object:
        return await service.create_item(ctx, idempotency_key=p.idempotency_key, body=body)

    async def delete_item(ctx: RequestContext, p: DeleteItemParameters, body: None) -> object:
        await service.delete_item(ctx, item_id=p.item_id, if_match=p.if_match)
        return None

    async def get_item(ctx: RequestContext, p: GetItemParameters, body: None) -> object:
        return await service.get_item(ctx, item_id=p.item_id)

    async def update_item(ctx: RequestContext, p: UpdateItemParameters, body: models.ItemPatch) -> object:
        return await service.update_item(ctx, item_id=p.item_id, if_match=p.if_match, body=body)

    async def replace_item(ctx: RequestContext, p: ReplaceItemParameters, body: models.ItemCreate) -> object:
        return await service.replace_item(ctx, item_id=p.item_id, if_match=p.if_match, body=body)

    async def upload_item_image(
        ctx: RequestContext, p: UploadItemImageParameters, body: UploadItemImageParts
    ) -> object:
        return await service.upload_item_image(ctx, item_id=p.item_id, file=body.file, name=body.name)

    return (
        _rt.Endpoint(
            OP_LIST_ITEMS,
            list_items,
            parameters=_LIST_ITEMS_PARAMETERS,
            body=_rt.NoBody(),
            responder=_LIST_ITEMS_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).list_items is not UnimplementedItemsService.list_items,
        ),
        _rt.Endpoint(
            OP_CREATE_ITEM,
            create_item,
            parameters=_CREATE_ITEM_PARAMETERS,
            body=_CREATE_ITEM_BODY,
            responder=_CREATE_ITEM_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).create_item is not UnimplementedItemsService.create_item,
        ),
        _rt.Endpoint(
            OP_DELETE_ITEM,
            delete_item,
            parameters=_DELETE_ITEM_PARAMETERS,
            body=_rt.NoBody(),
            responder=_DELETE_ITEM_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).delete_item is not UnimplementedItemsService.delete_item,
        ),
        _rt.Endpoint(
            OP_GET_ITEM,
            get_item,
            parameters=_GET_ITEM_PARAMETERS,
            body=_rt.NoBody(),
            responder=_GET_ITEM_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).get_item is not UnimplementedItemsService.get_item,
        ),
        _rt.Endpoint(
            OP_UPDATE_ITEM,
            update_item,
            parameters=_UPDATE_ITEM_PARAMETERS,
            body=_UPDATE_ITEM_BODY,
            responder=_UPDATE_ITEM_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).update_item is not UnimplementedItemsService.update_item,
        ),
        _rt.Endpoint(
            OP_REPLACE_ITEM,
            replace_item,
            parameters=_REPLACE_ITEM_PARAMETERS,
            body=_REPLACE_ITEM_BODY,
            responder=_REPLACE_ITEM_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).replace_item is not UnimplementedItemsService.replace_item,
        ),
        _rt.Endpoint(
            OP_UPLOAD_ITEM_IMAGE,
            upload_item_image,
            parameters=_UPLOAD_ITEM_IMAGE_PARAMETERS,
            body=_UPLOAD_ITEM_IMAGE_PARTS,
            responder=_UPLOAD_ITEM_IMAGE_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).upload_item_image is not UnimplementedItemsService.upload_item_image,
        ),
    )


__all__ = [
    "OPERATIONS",
    "OP_CREATE_ITEM",
    "OP_DELETE_ITEM",
    "OP_GET_ITEM",
    "OP_LIST_ITEMS",
    "OP_REPLACE_ITEM",
    "OP_UPDATE_ITEM",
    "OP_UPLOAD_ITEM_IMAGE",
    "bind",
]
