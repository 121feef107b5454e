"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

import uuid
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Cookie, Depends, File, Form, Header, Path, Query, Request, UploadFile
from pydantic import TypeAdapter
from starlette.responses import Response

from .. import models
from .. import runtime as _rt
from ..protocols import PetsService
from ..runtime import Authenticator, OperationInfo, Principal

OP_LIST_PETS = OperationInfo(
    operation_id="listPets",
    method="GET",
    path="/pets",
    tag="pets",
    security=(),
    success_status=200,
)
_ADAPTER_LIST_PETS: TypeAdapter[list[models.Pet]] = TypeAdapter(list[models.Pet])

OP_CREATE_PET = OperationInfo(
    operation_id="createPet",
    method="POST",
    path="/pets",
    tag="pets",
    security=({"bearer": ("pets:write",)},),
    success_status=201,
)
_ADAPTER_CREATE_PET: TypeAdapter[models.Pet] = TypeAdapter(models.Pet)

OP_LIST_PETS_BY_KIND = OperationInfo(
    operation_id="listPetsByKind",
    method="GET",
    path="/pets/by-kind/{kind}/{ownerId}",
    tag="pets",
    security=({"bearer": ()},),
    success_status=200,
)
_ADAPTER_LIST_PETS_BY_KIND: TypeAdapter[list[models.Animal]] = TypeAdapter(list[models.Animal])

OP_GET_PETS_MINE = OperationInfo(
    operation_id="get_pets_mine",
    method="GET",
    path="/pets/mine",
    tag="pets",
    security=({"bearer": ()},),
    success_status=200,
)
_ADAPTER_GET_PETS_MINE: TypeAdapter[models.GetPetsMineResponse] = TypeAdapter(models.GetPetsMineResponse)

OP_DELETE_PET = OperationInfo(
    operation_id="deletePet",
    method="DELETE",
    path="/pets/{petId}",
    tag="pets",
    security=({"bearer": ()},),
    success_status=204,
)

OP_GET_PET = OperationInfo(
    operation_id="getPet",
    method="GET",
    path="/pets/{petId}",
    tag="pets",
    security=({"bearer": ()},),
    success_status=200,
)
_ADAPTER_GET_PET: TypeAdapter[models.Pet] = TypeAdapter(models.Pet)

OP_GET_PHOTO = OperationInfo(
    operation_id="getPhoto",
    method="GET",
    path="/pets/{petId}/photo",
    tag="pets",
    security=({"bearer": ()},),
    success_status=200,
)

OP_UPLOAD_PHOTO = OperationInfo(
    operation_id="uploadPhoto",
    method="PUT",
    path="/pets/{petId}/photo",
    tag="pets",
    security=({"bearer": ()},),
    success_status=204,
)

OPERATIONS: tuple[OperationInfo, ...] = (
    OP_LIST_PETS,
    OP_CREATE_PET,
    OP_LIST_PETS_BY_KIND,
    OP_GET_PETS_MINE,
    OP_DELETE_PET,
    OP_GET_PET,
    OP_GET_PHOTO,
    OP_UPLOAD_PHOTO,
)


def build_router(
    provide: Callable[..., PetsService] | None = None, *, authenticator: Authenticator | None = None
) -> APIRouter:
    """Return the router of the operations tagged "pets", served by the service `provide` gives."""
    router = APIRouter()
    service_dependency = _rt.service_dependency(provide)

    @router.get(
        "/pets",
        operation_id="listPets",
        status_code=200,
        response_model=list[models.Pet],
        responses={
            "default": {"description": "A problem."},
        },
        summary="List pets, newest first.",
    )
    async def list_pets(
        request: Request,
        *,
        limit: Annotated[int, Query(alias="limit", ge=1, le=100)] = 20,
        tag: Annotated[list[str] | None, Query(alias="tag", description="Only pets with all these tags.")] = None,
        status: Annotated[models.PetStatus | None, Query(alias="status")] = None,
        x_request_id: Annotated[uuid.UUID | None, Header(alias="X-Request-ID")] = None,
        session: Annotated[str | None, Cookie(alias="session")] = None,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_LIST_PETS))],
        service: Annotated[PetsService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_LIST_PETS, principal=principal)
        impl = getattr(service, "list_pets", None)
        if impl is None:
            return _rt.not_implemented(request, OP_LIST_PETS)
        try:
            result = await impl(ctx, limit=limit, tag=tag, status=status, x_request_id=x_request_id, session=session)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_LIST_PETS)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_LIST_PETS,
            statuses=None,
        )

    @router.post(
        "/pets",
        operation_id="createPet",
        status_code=201,
        response_model=models.Pet,
        responses={
            422: {"description": "A problem."},
        },
        summary="Add a pet.",
        dependencies=[Depends(_rt.require_json)],
    )
    async def create_pet(
        request: Request,
        *,
        body: Annotated[models.NewPet, Body()],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_CREATE_PET))],
        service: Annotated[PetsService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_CREATE_PET, principal=principal)
        impl = getattr(service, "create_pet", None)
        if impl is None:
            return _rt.not_implemented(request, OP_CREATE_PET)
        try:
            result = await impl(ctx, body=body)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_CREATE_PET)
        _rt.link_location(ctx, request, result, "/pets/{petId}", (("petId", "id"),))
        return _rt.respond(
            ctx,
            result,
            status_code=201,
            adapter=_ADAPTER_CREATE_PET,
            statuses=(201, 422),
        )

    @router.get(
        "/pets/by-kind/{kind}/{ownerId}",
        operation_id="listPetsByKind",
        status_code=200,
        response_model=list[models.Animal],
    )
    async def list_pets_by_kind(
        request: Request,
        *,
        kind: Annotated[Literal["cat", "dog"], Path(alias="kind")],
        owner_id: Annotated[uuid.UUID, Path(alias="ownerId")],
        class_: Annotated[int, Query(alias="class", ge=0, lt=10)] = 1,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_LIST_PETS_BY_KIND))],
        service: Annotated[PetsService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_LIST_PETS_BY_KIND, principal=principal)
        impl = getattr(service, "list_pets_by_kind", None)
        if impl is None:
            return _rt.not_implemented(request, OP_LIST_PETS_BY_KIND)
        try:
            result = await impl(ctx, kind=kind, owner_id=owner_id, class_=class_)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_LIST_PETS_BY_KIND)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_LIST_PETS_BY_KIND,
            statuses=(200,),
        )

    @router.get(
        "/pets/mine",
        operation_id="get_pets_mine",
        status_code=200,
        response_model=models.GetPetsMineResponse,
        summary="Pets of the caller.",
    )
    async def get_pets_mine(
        request: Request,
        *,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_GET_PETS_MINE))],
        service: Annotated[PetsService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_GET_PETS_MINE, principal=principal)
        impl = getattr(service, "get_pets_mine", None)
        if impl is None:
            return _rt.not_implemented(request, OP_GET_PETS_MINE)
        try:
            result = await impl(ctx)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_GET_PETS_MINE)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_GET_PETS_MINE,
            statuses=(200,),
        )

    @router.delete(
        "/pets/{petId}",
        operation_id="deletePet",
        status_code=204,
        response_model=None,
        responses={
            404: {"description": "A problem."},
        },
        deprecated=True,
    )
    async def delete_pet(
        request: Request,
        *,
        pet_id: Annotated[int, Path(alias="petId", ge=1, le=9223372036854775807)],
        if_match: Annotated[str, Header(alias="If-Match")],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_DELETE_PET))],
        service: Annotated[PetsService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_DELETE_PET, principal=principal)
        impl = getattr(service, "delete_pet", None)
        if impl is None:
            return _rt.not_implemented(request, OP_DELETE_PET)
        try:
            result = await impl(ctx, pet_id=pet_id, if_match=if_match)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_DELETE_PET)
        return _rt.respond(
            ctx,
            result,
            status_code=204,
            adapter=None,
            statuses=(204, 404),
        )

    @router.get(
        "/pets/{petId}",
        operation_id="getPet",
        status_code=200,
        response_model=models.Pet,
        responses={
            404: {"description": "A problem."},
        },
        summary="One pet.",
    )
    async def get_pet(
        request: Request,
        *,
        pet_id: Annotated[int, Path(alias="petId", ge=1, le=9223372036854775807)],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_GET_PET))],
        service: Annotated[PetsService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_GET_PET, principal=principal)
        impl = getattr(service, "get_pet", None)
        if impl is None:
            return _rt.not_implemented(request, OP_GET_PET)
        try:
            result = await impl(ctx, pet_id=pet_id)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_GET_PET)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_GET_PET,
            statuses=(200, 404),
        )

    @router.get(
        "/pets/{petId}/photo",
        operation_id="getPhoto",
        status_code=200,
        response_model=None,
    )
    async def get_photo(
        request: Request,
        *,
        pet_id: Annotated[int, Path(alias="petId", ge=1, le=9223372036854775807)],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_GET_PHOTO))],
        service: Annotated[PetsService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_GET_PHOTO, principal=principal)
        impl = getattr(service, "get_photo", None)
        if impl is None:
            return _rt.not_implemented(request, OP_GET_PHOTO)
        try:
            result = await impl(ctx, pet_id=pet_id)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_GET_PHOTO)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=None,
            statuses=(200,),
        )

    @router.put(
        "/pets/{petId}/photo",
        operation_id="uploadPhoto",
        status_code=204,
        response_model=None,
    )
    async def upload_photo(
        request: Request,
        *,
        pet_id: Annotated[int, Path(alias="petId", ge=1, le=9223372036854775807)],
        file: Annotated[UploadFile, File(alias="file")],
        caption: Annotated[str | None, Form(alias="caption", max_length=100)] = None,
        extras: Annotated[list[UploadFile] | None, File(alias="extras")] = None,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_UPLOAD_PHOTO))],
        service: Annotated[PetsService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_UPLOAD_PHOTO, principal=principal)
        impl = getattr(service, "upload_photo", None)
        if impl is None:
            return _rt.not_implemented(request, OP_UPLOAD_PHOTO)
        try:
            result = await impl(ctx, pet_id=pet_id, file=file, caption=caption, extras=extras)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_UPLOAD_PHOTO)
        return _rt.respond(
            ctx,
            result,
            status_code=204,
            adapter=None,
            statuses=(204,),
        )

    return router


__all__ = [
    "OPERATIONS",
    "OP_CREATE_PET",
    "OP_DELETE_PET",
    "OP_GET_PET",
    "OP_GET_PETS_MINE",
    "OP_GET_PHOTO",
    "OP_LIST_PETS",
    "OP_LIST_PETS_BY_KIND",
    "OP_UPLOAD_PHOTO",
    "build_router",
]
