"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Body, Depends, File, Form, Header, Path, Query, Request, UploadFile
from pydantic import TypeAdapter
from starlette.responses import Response

from .. import models
from .. import runtime as _rt
from ..protocols import ItemsService
from ..runtime import Authenticator, OperationInfo, Principal

OP_LIST_ITEMS = OperationInfo(
    operation_id="listItems",
    method="GET",
    path="/items",
    tag="items",
    security=({}, {"OAuth2PasswordBearer": ("items:read",)}, {"CookieSession": ("items:read",)}),
    success_status=200,
)
_ADAPTER_LIST_ITEMS: TypeAdapter[list[models.Item]] = TypeAdapter(list[models.Item])

OP_CREATE_ITEM = OperationInfo(
    operation_id="createItem",
    method="POST",
    path="/items",
    tag="items",
    security=({"OAuth2PasswordBearer": ("items:write",)}, {"CookieSession": ("items:write",)}),
    success_status=201,
)
_ADAPTER_CREATE_ITEM: TypeAdapter[models.Item] = TypeAdapter(models.Item)

OP_DELETE_ITEM = OperationInfo(
    operation_id="deleteItem",
    method="DELETE",
    path="/items/{item_id}",
    tag="items",
    security=({"OAuth2PasswordBearer": ("items:write",)}, {"CookieSession": ("items:write",)}),
    success_status=204,
)

OP_GET_ITEM = OperationInfo(
    operation_id="getItem",
    method="GET",
    path="/items/{item_id}",
    tag="items",
    security=({}, {"OAuth2PasswordBearer": ("items:read",)}, {"CookieSession": ("items:read",)}),
    success_status=200,
)
_ADAPTER_GET_ITEM: TypeAdapter[models.Item] = TypeAdapter(models.Item)

OP_UPDATE_ITEM = OperationInfo(
    operation_id="updateItem",
    method="PATCH",
    path="/items/{item_id}",
    tag="items",
    security=({"OAuth2PasswordBearer": ("items:write",)}, {"CookieSession": ("items:write",)}),
    success_status=200,
)
_ADAPTER_UPDATE_ITEM: TypeAdapter[models.Item] = TypeAdapter(models.Item)

OP_REPLACE_ITEM = OperationInfo(
    operation_id="replaceItem",
    method="PUT",
    path="/items/{item_id}",
    tag="items",
    security=({"OAuth2PasswordBearer": ("items:write",)}, {"CookieSession": ("items:write",)}),
    success_status=200,
)
_ADAPTER_REPLACE_ITEM: TypeAdapter[models.Item] = TypeAdapter(models.Item)

OP_UPLOAD_ITEM_IMAGE = OperationInfo(
    operation_id="uploadItemImage",
    method="POST",
    path="/items/{item_id}/images",
    tag="items",
    security=({"OAuth2PasswordBearer": ("items:write",)}, {"CookieSession": ("items:write",)}),
    success_status=201,
)
_ADAPTER_UPLOAD_ITEM_IMAGE: TypeAdapter[models.Item] = TypeAdapter(models.Item)

OPERATIONS: tuple[OperationInfo, ...] = (
    OP_LIST_ITEMS,
    OP_CREATE_ITEM,
    OP_DELETE_ITEM,
    OP_GET_ITEM,
    OP_UPDATE_ITEM,
    OP_REPLACE_ITEM,
    OP_UPLOAD_ITEM_IMAGE,
)


def build_router(
    provide: Callable[..., ItemsService] | None = None, *, authenticator: Authenticator | None = None
) -> APIRouter:
    """Return the router of the operations tagged "items", served by the service `provide` gives."""
    router = APIRouter()
    service_dependency = _rt.service_dependency(provide)

    @router.get(
        "/items",
        operation_id="listItems",
        status_code=200,
        response_model=list[models.Item],
        responses={
            401: {"description": "Missing or invalid credentials."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="List items",
        description=(
            "Items ordered by id (stable across pages), optionally filtered by a case-insensitive name search."
        ),
    )
    async def list_items(
        request: Request,
        *,
        skip: Annotated[int, Query(alias="skip", description="Number of records to skip.", ge=0, le=1000000)] = 0,
        limit: Annotated[
            int, Query(alias="limit", description="Maximum number of records to return.", ge=1, le=100)
        ] = 20,
        q: Annotated[
            str | None,
            Query(
                alias="q",
                description="Case-insensitive substring of the item name.",
                max_length=100,
                min_length=1,
                pattern="^[^\\x00-\\x1F\\x7F]+$",
            ),
        ] = None,
        mine: Annotated[
            bool, Query(alias="mine", description="Only the caller's own items (requires authentication).")
        ] = False,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_LIST_ITEMS))],
        service: Annotated[ItemsService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_LIST_ITEMS, principal=principal)
        impl = getattr(service, "list_items", None)
        if impl is None:
            return _rt.not_implemented(request, OP_LIST_ITEMS)
        try:
            result = await impl(ctx, skip=skip, limit=limit, q=q, mine=mine)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_LIST_ITEMS)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_LIST_ITEMS,
            statuses=(200, 401, 422, 500),
        )

    @router.post(
        "/items",
        operation_id="createItem",
        status_code=201,
        response_model=models.Item,
        responses={
            400: {"description": "The body is not well-formed (e.g. malformed JSON or not UTF-8)."},
            401: {"description": "Missing or invalid credentials."},
            403: {
                "description": (
                    "Authenticated, but not allowed (insufficient scope, not the owner, or a missing CSRF token)."
                )
            },
            409: {"description": "The `Idempotency-Key` was already used with a different request body."},
            413: {"description": "The body is larger than the configured limit."},
            415: {"description": "The body's Content-Type is not the one this operation accepts."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Create an item",
        description=(
            "Creates an item owned by the caller. With an `Idempotency-Key`, a retried "
            "request returns the item\ncreated by the first one instead of creating a "
            "duplicate."
        ),
        dependencies=[Depends(_rt.require_json)],
    )
    async def create_item(
        request: Request,
        *,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                description=("Client-chosen key that makes retries safe (printable ASCII, at most 255 characters)."),
                max_length=255,
                min_length=1,
                pattern="^[\\x21-\\x7E]+$",
            ),
        ] = None,
        body: Annotated[models.ItemCreate, Body()],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_CREATE_ITEM))],
        service: Annotated[ItemsService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_CREATE_ITEM, principal=principal)
        impl = getattr(service, "create_item", None)
        if impl is None:
            return _rt.not_implemented(request, OP_CREATE_ITEM)
        try:
            result = await impl(ctx, idempotency_key=idempotency_key, body=body)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_CREATE_ITEM)
        _rt.link_location(ctx, request, result, "/items/{item_id}", (("item_id", "id"),))
        return _rt.respond(
            ctx,
            result,
            status_code=201,
            adapter=_ADAPTER_CREATE_ITEM,
            statuses=(201, 400, 401, 403, 409, 413, 415, 422, 500),
        )

    @router.delete(
        "/items/{item_id}",
        operation_id="deleteItem",
        status_code=204,
        response_model=None,
        responses={
            401: {"description": "Missing or invalid credentials."},
            403: {
                "description": (
                    "Authenticated, but not allowed (insufficient scope, not the owner, or a missing CSRF token)."
                )
            },
            404: {"description": "No such resource."},
            412: {"description": "`If-Match` does not match the current `ETag`."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Delete an item",
        description="Honours `If-Match`.",
    )
    async def delete_item(
        request: Request,
        *,
        item_id: Annotated[int, Path(alias="item_id", description="The item's id.", ge=1, le=9223372036854775807)],
        if_match: Annotated[
            str | None,
            Header(
                alias="If-Match",
                description="Apply the change only if the item's current `ETag` is one of these (or `*`).",
                max_length=1024,
                min_length=1,
            ),
        ] = None,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_DELETE_ITEM))],
        service: Annotated[ItemsService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_DELETE_ITEM, principal=principal)
        impl = getattr(service, "delete_item", None)
        if impl is None:
            return _rt.not_implemented(request, OP_DELETE_ITEM)
        try:
            result = await impl(ctx, item_id=item_id, if_match=if_match)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_DELETE_ITEM)
        return _rt.respond(
            ctx,
            result,
            status_code=204,
            adapter=None,
            statuses=(204, 401, 403, 404, 412, 422, 500),
        )

    @router.get(
        "/items/{item_id}",
        operation_id="getItem",
        status_code=200,
        response_model=models.Item,
        responses={
            401: {"description": "Missing or invalid credentials."},
            404: {"description": "No such resource."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Get one item",
    )
    async def get_item(
        request: Request,
        *,
        item_id: Annotated[int, Path(alias="item_id", description="The item's id.", ge=1, le=9223372036854775807)],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_GET_ITEM))],
        service: Annotated[ItemsService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_GET_ITEM, principal=principal)
        impl = getattr(service, "get_item", None)
        if impl is None:
            return _rt.not_implemented(request, OP_GET_ITEM)
        try:
            result = await impl(ctx, item_id=item_id)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_GET_ITEM)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_GET_ITEM,
            statuses=(200, 401, 404, 422, 500),
        )

    @router.patch(
        "/items/{item_id}",
        operation_id="updateItem",
        status_code=200,
        response_model=models.Item,
        responses={
            400: {"description": "The body is not well-formed (e.g. malformed JSON or not UTF-8)."},
            401: {"description": "Missing or invalid credentials."},
            403: {
                "description": (
                    "Authenticated, but not allowed (insufficient scope, not the owner, or a missing CSRF token)."
                )
            },
            404: {"description": "No such resource."},
            412: {"description": "`If-Match` does not match the current `ETag`."},
            413: {"description": "The body is larger than the configured limit."},
            415: {"description": "The body's Content-Type is not the one this operation accepts."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Update some fields of an item",
        description="Changes only the fields present in the body. Honours `If-Match`.",
        dependencies=[Depends(_rt.require_json)],
    )
    async def update_item(
        request: Request,
        *,
        item_id: Annotated[int, Path(alias="item_id", description="The item's id.", ge=1, le=9223372036854775807)],
        if_match: Annotated[
            str | None,
            Header(
                alias="If-Match",
                description="Apply the change only if the item's current `ETag` is one of these (or `*`).",
                max_length=1024,
                min_length=1,
            ),
        ] = None,
        body: Annotated[models.ItemPatch, Body()],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_UPDATE_ITEM))],
        service: Annotated[ItemsService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_UPDATE_ITEM, principal=principal)
        impl = getattr(service, "update_item", None)
        if impl is None:
            return _rt.not_implemented(request, OP_UPDATE_ITEM)
        try:
            result = await impl(ctx, item_id=item_id, if_match=if_match, body=body)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_UPDATE_ITEM)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_UPDATE_ITEM,
            statuses=(200, 400, 401, 403, 404, 412, 413, 415, 422, 500),
        )

    @router.put(
        "/items/{item_id}",
        operation_id="replaceItem",
        status_code=200,
        response_model=models.Item,
        responses={
            400: {"description": "The body is not well-formed (e.g. malformed JSON or not UTF-8)."},
            401: {"description": "Missing or invalid credentials."},
            403: {
                "description": (
                    "Authenticated, but not allowed (insufficient scope, not the owner, or a missing CSRF token)."
                )
            },
            404: {"description": "No such resource."},
            412: {"description": "`If-Match` does not match the current `ETag`."},
            413: {"description": "The body is larger than the configured limit."},
            415: {"description": "The body's Content-Type is not the one this operation accepts."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Replace an item",
        description="Replaces every field; fields left out get their defaults. Honours `If-Match`.",
        dependencies=[Depends(_rt.require_json)],
    )
    async def replace_item(
        request: Request,
        *,
        item_id: Annotated[int, Path(alias="item_id", description="The item's id.", ge=1, le=9223372036854775807)],
        if_match: Annotated[
            str | None,
            Header(
                alias="If-Match",
                description="Apply the change only if the item's current `ETag` is one of these (or `*`).",
                max_length=1024,
                min_length=1,
            ),
        ] = None,
        body: Annotated[models.ItemCreate, Body()],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_REPLACE_ITEM))],
        service: Annotated[ItemsService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_REPLACE_ITEM, principal=principal)
        impl = getattr(service, "replace_item", None)
        if impl is None:
            return _rt.not_implemented(request, OP_REPLACE_ITEM)
        try:
            result = await impl(ctx, item_id=item_id, if_match=if_match, body=body)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_REPLACE_ITEM)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_REPLACE_ITEM,
            statuses=(200, 400, 401, 403, 404, 412, 413, 415, 422, 500),
        )

    @router.post(
        "/items/{item_id}/images",
        operation_id="uploadItemImage",
        status_code=201,
        response_model=models.Item,
        responses={
            400: {"description": "The body is not well-formed (e.g. malformed JSON or not UTF-8)."},
            401: {"description": "Missing or invalid credentials."},
            403: {
                "description": (
                    "Authenticated, but not allowed (insufficient scope, not the owner, or a missing CSRF token)."
                )
            },
            404: {"description": "No such resource."},
            413: {"description": "The body is larger than the configured limit."},
            415: {"description": "The body's Content-Type is not the one this operation accepts."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Attach an image to an item",
    )
    async def upload_item_image(
        request: Request,
        *,
        item_id: Annotated[int, Path(alias="item_id", description="The item's id.", ge=1, le=9223372036854775807)],
        file: Annotated[UploadFile, File(alias="file", description="The image: PNG, JPEG, GIF or WebP.")],
        name: Annotated[
            str | None,
            Form(alias="name", description="Caption; defaults to the file name.", max_length=100, min_length=1),
        ] = None,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_UPLOAD_ITEM_IMAGE))],
        service: Annotated[ItemsService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_UPLOAD_ITEM_IMAGE, principal=principal)
        impl = getattr(service, "upload_item_image", None)
        if impl is None:
            return _rt.not_implemented(request, OP_UPLOAD_ITEM_IMAGE)
        try:
            result = await impl(ctx, item_id=item_id, file=file, name=name)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_UPLOAD_ITEM_IMAGE)
        return _rt.respond(
            ctx,
            result,
            status_code=201,
            adapter=_ADAPTER_UPLOAD_ITEM_IMAGE,
            statuses=(201, 400, 401, 403, 404, 413, 415, 422, 500),
        )

    return router


__all__ = [
    "OPERATIONS",
    "OP_CREATE_ITEM",
    "OP_DELETE_ITEM",
    "OP_GET_ITEM",
    "OP_LIST_ITEMS",
    "OP_REPLACE_ITEM",
    "OP_UPDATE_ITEM",
    "OP_UPLOAD_ITEM_IMAGE",
    "build_router",
]
