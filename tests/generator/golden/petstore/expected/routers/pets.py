"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from starlette.datastructures import UploadFile

from .. import models
from .. import runtime as _rt
from ..protocols import PetsService, UnimplementedPetsService
from ..runtime import Authenticator, OperationInfo, RequestContext

OP_LIST_PETS = OperationInfo(
    operation_id="listPets",
    method="GET",
    path="/pets",
    tag="pets",
    security=(),
    success_status=200,
    statuses=None,
)


class ListPetsParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    limit: Annotated[int, _rt.from_text("integer"), Field(ge=1, le=100)] = 20
    tag: list[str] | None = None
    status: models.PetStatus | None = None
    x_request_id: uuid.UUID | None = None
    session: str | None = None


OP_CREATE_PET = OperationInfo(
    operation_id="createPet",
    method="POST",
    path="/pets",
    tag="pets",
    security=({"bearer": ("pets:write",)},),
    success_status=201,
    statuses=(201, 422),
)

OP_LIST_PETS_BY_KIND = OperationInfo(
    operation_id="listPetsByKind",
    method="GET",
    path="/pets/by-kind/{kind}/{ownerId}",
    tag="pets",
    security=({"bearer": ()},),
    success_status=200,
    statuses=(200,),
)


class ListPetsByKindParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["cat", "dog"]
    owner_id: uuid.UUID
    class_: Annotated[int, _rt.from_text("integer"), Field(ge=0, lt=10)] = 1


OP_GET_PETS_MINE = OperationInfo(
    operation_id="get_pets_mine",
    method="GET",
    path="/pets/mine",
    tag="pets",
    security=({"bearer": ()},),
    success_status=200,
    statuses=(200,),
)

OP_DELETE_PET = OperationInfo(
    operation_id="deletePet",
    method="DELETE",
    path="/pets/{petId}",
    tag="pets",
    security=({"bearer": ()},),
    success_status=204,
    statuses=(204, 404),
)


class DeletePetParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    pet_id: Annotated[int, _rt.from_text("integer"), Field(ge=1, le=9223372036854775807)]
    if_match: str


OP_GET_PET = OperationInfo(
    operation_id="getPet",
    method="GET",
    path="/pets/{petId}",
    tag="pets",
    security=({"bearer": ()},),
    success_status=200,
    statuses=(200, 404),
)


class GetPetParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    pet_id: Annotated[int, _rt.from_text("integer"), Field(ge=1, le=9223372036854775807)]


OP_GET_PHOTO = OperationInfo(
    operation_id="getPhoto",
    method="GET",
    path="/pets/{petId}/photo",
    tag="pets",
    security=({"bearer": ()},),
    success_status=200,
    statuses=(200,),
)


class GetPhotoParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    pet_id: Annotated[int, _rt.from_text("integer"), Field(ge=1, le=9223372036854775807)]


OP_UPLOAD_PHOTO = OperationInfo(
    operation_id="uploadPhoto",
    method="PUT",
    path="/pets/{petId}/photo",
    tag="pets",
    security=({"bearer": ()},),
    success_status=204,
    statuses=(204,),
    accepts_upload=True,
)


class UploadPhotoParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    pet_id: Annotated[int, _rt.from_text("integer"), Field(ge=1, le=9223372036854775807)]


class UploadPhotoParts(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    file: UploadFile
    caption: Annotated[str | None, Field(max_length=100)] = None
    extras: list[UploadFile] | None = None


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

_LIST_PETS_PARAMETERS = _rt.Parameters(
    ListPetsParameters,
    (
        _rt.Param("limit", "query", "limit", "limit"),
        _rt.Param("tag", "query", "tag", "tag", many=True),
        _rt.Param("status", "query", "status", "status"),
        _rt.Param("x_request_id", "header", "X-Request-ID", "X-Request-ID"),
        _rt.Param("session", "cookie", "session", "session"),
    ),
)
_LIST_PETS_RESPONDER = _rt.Responder(
    OP_LIST_PETS,
    TypeAdapter(list[models.Pet]),
)

_CREATE_PET_BODY = _rt.JsonBody(TypeAdapter(models.NewPet))
_CREATE_PET_RESPONDER = _rt.Responder(
    OP_CREATE_PET,
    TypeAdapter(models.Pet),
    location=_rt.LocationLink("/pets/{petId}", (("petId", "id"),)),
)

_LIST_PETS_BY_KIND_PARAMETERS = _rt.Parameters(
    ListPetsByKindParameters,
    (
        _rt.Param("kind", "path", "kind", "kind"),
        _rt.Param("owner_id", "path", "ownerId", "ownerId"),
        _rt.Param("class_", "query", "class", "class"),
    ),
)
_LIST_PETS_BY_KIND_RESPONDER = _rt.Responder(
    OP_LIST_PETS_BY_KIND,
    TypeAdapter(list[models.Animal]),
)

_GET_PETS_MINE_RESPONDER = _rt.Responder(
    OP_GET_PETS_MINE,
    TypeAdapter(models.GetPetsMineResponse),
)

_DELETE_PET_PARAMETERS = _rt.Parameters(
    DeletePetParameters,
    (
        _rt.Param("pet_id", "path", "petId", "petId"),
        _rt.Param("if_match", "header", "If-Match", "If-Match"),
    ),
)
_DELETE_PET_RESPONDER = _rt.Responder(
    OP_DELETE_PET,
    None,
)

_GET_PET_PARAMETERS = _rt.Parameters(
    GetPetParameters,
    (_rt.Param("pet_id", "path", "petId", "petId"),),
)
_GET_PET_RESPONDER = _rt.Responder(
    OP_GET_PET,
    TypeAdapter(models.Pet),
)

_GET_PHOTO_PARAMETERS = _rt.Parameters(
    GetPhotoParameters,
    (_rt.Param("pet_id", "path", "petId", "petId"),),
)
_GET_PHOTO_RESPONDER = _rt.Responder(
    OP_GET_PHOTO,
    None,
)

_UPLOAD_PHOTO_PARAMETERS = _rt.Parameters(
    UploadPhotoParameters,
    (_rt.Param("pet_id", "path", "petId", "petId"),),
)
_UPLOAD_PHOTO_PARTS = _rt.FormFields(
    UploadPhotoParts,
    (
        _rt.Part("file", "file"),
        _rt.Part("caption", "caption"),
        _rt.Part("extras", "extras", many=True),
    ),
    accepted=_rt.MULTIPART_MEDIA_TYPE,
)
_UPLOAD_PHOTO_RESPONDER = _rt.Responder(
    OP_UPLOAD_PHOTO,
    None,
)


def bind(service: PetsService, authenticator: Authenticator | None = None) -> tuple[_rt.Endpoint[Any, Any], ...]:
    """The operations tagged "pets", each calling its method of `service` directly."""

    async def list_pets(ctx: RequestContext, p: ListPetsParameters, body: None) -> object:
        return await service.list_pets(
            ctx, limit=p.limit, tag=p.tag, status=p.status, x_request_id=p.x_request_id, session=p.session
        )

    async def create_pet(ctx: RequestContext, p: None, body: models.NewPet) -> object:
        return await service.create_pet(ctx, body=body)

    async def list_pets_by_kind(ctx: RequestContext, p: ListPetsByKindParameters, body: None) -> object:
        return await service.list_pets_by_kind(ctx, kind=p.kind, owner_id=p.owner_id, class_=p.class_)

    async def get_pets_mine(ctx: RequestContext, p: None, body: None) -> object:
        return await service.get_pets_mine(ctx)

    async def delete_pet(ctx: RequestContext, p: DeletePetParameters, body: None) -> object:
        await service.delete_pet(ctx, pet_id=p.pet_id, if_match=p.if_match)
        return None

    async def get_pet(ctx: RequestContext, p: GetPetParameters, body: None) -> object:
        return await service.get_pet(ctx, pet_id=p.pet_id)

    async def get_photo(ctx: RequestContext, p: GetPhotoParameters, body: None) -> object:
        return await service.get_photo(ctx, pet_id=p.pet_id)

    async def upload_photo(ctx: RequestContext, p: UploadPhotoParameters, body: UploadPhotoParts) -> object:
        await service.upload_photo(ctx, pet_id=p.pet_id, file=body.file, caption=body.caption, extras=body.extras)
        return None

    return (
        _rt.Endpoint(
            OP_LIST_PETS,
            list_pets,
            parameters=_LIST_PETS_PARAMETERS,
            body=_rt.NoBody(),
            responder=_LIST_PETS_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).list_pets is not UnimplementedPetsService.list_pets,
        ),
        _rt.Endpoint(
            OP_CREATE_PET,
            create_pet,
            parameters=_rt.NoParameters(),
            body=_CREATE_PET_BODY,
            responder=_CREATE_PET_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).create_pet is not UnimplementedPetsService.create_pet,
        ),
        _rt.Endpoint(
            OP_LIST_PETS_BY_KIND,
            list_pets_by_kind,
            parameters=_LIST_PETS_BY_KIND_PARAMETERS,
            body=_rt.NoBody(),
            responder=_LIST_PETS_BY_KIND_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).list_pets_by_kind is not UnimplementedPetsService.list_pets_by_kind,
        ),
        _rt.Endpoint(
            OP_GET_PETS_MINE,
            get_pets_mine,
            parameters=_rt.NoParameters(),
            body=_rt.NoBody(),
            responder=_GET_PETS_MINE_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).get_pets_mine is not UnimplementedPetsService.get_pets_mine,
        ),
        _rt.Endpoint(
            OP_DELETE_PET,
            delete_pet,
            parameters=_DELETE_PET_PARAMETERS,
            body=_rt.NoBody(),
            responder=_DELETE_PET_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).delete_pet is not UnimplementedPetsService.delete_pet,
        ),
        _rt.Endpoint(
            OP_GET_PET,
            get_pet,
            parameters=_GET_PET_PARAMETERS,
            body=_rt.NoBody(),
            responder=_GET_PET_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).get_pet is not UnimplementedPetsService.get_pet,
        ),
        _rt.Endpoint(
            OP_GET_PHOTO,
            get_photo,
            parameters=_GET_PHOTO_PARAMETERS,
            body=_rt.NoBody(),
            responder=_GET_PHOTO_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).get_photo is not UnimplementedPetsService.get_photo,
        ),
        _rt.Endpoint(
            OP_UPLOAD_PHOTO,
            upload_photo,
            parameters=_UPLOAD_PHOTO_PARAMETERS,
            body=_UPLOAD_PHOTO_PARTS,
            responder=_UPLOAD_PHOTO_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).upload_photo is not UnimplementedPetsService.upload_photo,
        ),
    )


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
    "bind",
]
