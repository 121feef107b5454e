"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .. import models
from .. import runtime as _rt
from ..protocols import UnimplementedUsersService, UsersService
from ..runtime import Authenticator, OperationInfo, RequestContext

OP_LIST_USERS = OperationInfo(
    operation_id="listUsers",
    method="GET",
    path="/users",
    tag="users",
    security=({"OAuth2PasswordBearer": ("users:admin",)}, {"CookieSession": ("users:admin",)}),
    success_status=200,
    statuses=(200, 401, 403, 422, 500, 503),
)


class ListUsersParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    skip: Annotated[int, _rt.from_text("integer"), Field(ge=0, le=1000000)] = 0
    limit: Annotated[int, _rt.from_text("integer"), Field(ge=1, le=100)] = 20


OP_CREATE_USER = OperationInfo(
    operation_id="createUser",
    method="POST",
    path="/users",
    tag="users",
    security=(),
    success_status=201,
    statuses=(201, 400, 409, 413, 415, 422, 429, 500, 503),
)

OP_READ_CURRENT_USER = OperationInfo(
    operation_id="readCurrentUser",
    method="GET",
    path="/users/me",
    tag="users",
    security=({"OAuth2PasswordBearer": ("users:read",)}, {"CookieSession": ("users:read",)}),
    success_status=200,
    statuses=(200, 401, 403, 500, 503),
)

OP_UPDATE_CURRENT_USER = OperationInfo(
    operation_id="updateCurrentUser",
    method="PATCH",
    path="/users/me",
    tag="users",
    security=({"OAuth2PasswordBearer": ("users:write",)}, {"CookieSession": ("users:write",)}),
    success_status=200,
    statuses=(200, 400, 401, 403, 409, 413, 415, 422, 429, 500, 503),
)

OP_DELETE_USER = OperationInfo(
    operation_id="deleteUser",
    method="DELETE",
    path="/users/{user_id}",
    tag="users",
    security=(
        {"OAuth2PasswordBearer": ("users:write",)},
        {"CookieSession": ("users:write",)},
        {"OAuth2PasswordBearer": ("users:admin",)},
        {"CookieSession": ("users:admin",)},
    ),
    success_status=204,
    statuses=(204, 400, 401, 403, 404, 413, 415, 422, 429, 500, 503),
)


class DeleteUserParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: Annotated[int, _rt.from_text("integer"), Field(ge=1, le=9223372036854775807)]


OP_GET_USER = OperationInfo(
    operation_id="getUser",
    method="GET",
    path="/users/{user_id}",
    tag="users",
    security=(
        {"OAuth2PasswordBearer": ("users:read",)},
        {"CookieSession": ("users:read",)},
        {"OAuth2PasswordBearer": ("users:admin",)},
        {"CookieSession": ("users:admin",)},
    ),
    success_status=200,
    statuses=(200, 401, 403, 404, 422, 500, 503),
)


class GetUserParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: Annotated[int, _rt.from_text("integer"), Field(ge=1, le=9223372036854775807)]


OP_UPDATE_USER = OperationInfo(
    operation_id="updateUser",
    method="PATCH",
    path="/users/{user_id}",
    tag="users",
    security=({"OAuth2PasswordBearer": ("users:admin",)}, {"CookieSession": ("users:admin",)}),
    success_status=200,
    statuses=(200, 400, 401, 403, 404, 409, 413, 415, 422, 500, 503),
)


class UpdateUserParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: Annotated[int, _rt.from_text("integer"), Field(ge=1, le=9223372036854775807)]


OPERATIONS: tuple[OperationInfo, ...] = (
    OP_LIST_USERS,
    OP_CREATE_USER,
    OP_READ_CURRENT_USER,
    OP_UPDATE_CURRENT_USER,
    OP_DELETE_USER,
    OP_GET_USER,
    OP_UPDATE_USER,
)

_LIST_USERS_PARAMETERS = _rt.Parameters(
    ListUsersParameters,
    (
        _rt.Param("skip", "query", "skip", "skip"),
        _rt.Param("limit", "query", "limit", "limit"),
    ),
)
_LIST_USERS_RESPONDER = _rt.Responder(
    OP_LIST_USERS,
    TypeAdapter(list[models.User]),
)

_CREATE_USER_BODY = _rt.JsonBody(TypeAdapter(models.UserCreate))
_CREATE_USER_RESPONDER = _rt.Responder(
    OP_CREATE_USER,
    TypeAdapter(models.User),
    location=_rt.LocationLink("/users/{user_id}", (("user_id", "id"),)),
)

_READ_CURRENT_USER_RESPONDER = _rt.Responder(
    OP_READ_CURRENT_USER,
    TypeAdapter(models.User),
)

_UPDATE_CURRENT_USER_BODY = _rt.JsonBody(TypeAdapter(models.UserUpdate))
_UPDATE_CURRENT_USER_RESPONDER = _rt.Responder(
    OP_UPDATE_CURRENT_USER,
    TypeAdapter(models.User),
)

_DELETE_USER_PARAMETERS = _rt.Parameters(
    DeleteUserParameters,
    (_rt.Param("user_id", "path", "user_id", "user_id"),),
)
_DELETE_USER_BODY = _rt.OptionalJsonBody(TypeAdapter(models.AccountDeletion))
_DELETE_USER_RESPONDER = _rt.Responder(
    OP_DELETE_USER,
    None,
)

_GET_USER_PARAMETERS = _rt.Parameters(
    GetUserParameters,
    (_rt.Param("user_id", "path", "user_id", "user_id"),),
)
_GET_USER_RESPONDER = _rt.Responder(
    OP_GET_USER,
    TypeAdapter(models.User),
)

_UPDATE_USER_PARAMETERS = _rt.Parameters(
    UpdateUserParameters,
    (_rt.Param("user_id", "path", "user_id", "user_id"),),
)
_UPDATE_USER_BODY = _rt.JsonBody(TypeAdapter(models.UserAdminUpdate))
_UPDATE_USER_RESPONDER = _rt.Responder(
    OP_UPDATE_USER,
    TypeAdapter(models.User),
)


def bind(service: UsersService, authenticator: Authenticator | None = None) -> tuple[_rt.Endpoint[Any, Any], ...]:
    """The operations tagged "users", each calling its method of `service` directly."""

    async def list_users(ctx: RequestContext, p: ListUsersParameters, body: None) -> object:
        return await service.list_users(ctx, skip=p.skip, limit=p.limit)

    async def create_user(ctx: RequestContext, p: None, body: models.UserCreate) -> object:
        return await service.create_user(ctx, body=body)

    async def read_current_user(ctx: RequestContext, p: None, body: None) -> object:
        return await service.read_current_user(ctx)

    async def update_current_user(ctx: RequestContext, p: None, body: models.UserUpdate) -> object:
        return await service.update_current_user(ctx, body=body)

    async def delete_user(ctx: RequestContext, p: DeleteUserParameters, body: models.AccountDeletion | None) -> object:
        await service.delete_user(ctx, user_id=p.user_id, body=body)
        return None

    async def get_user(ctx: RequestContext, p: GetUserParameters, body: None) -> object:
        return await service.get_user(ctx, user_id=p.user_id)

    async def update_user(ctx: RequestContext, p: UpdateUserParameters, body: models.UserAdminUpdate) -> object:
        return await service.update_user(ctx, user_id=p.user_id, body=body)

    return (
        _rt.Endpoint(
            OP_LIST_USERS,
            list_users,
            parameters=_LIST_USERS_PARAMETERS,
            body=_rt.NoBody(),
            responder=_LIST_USERS_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).list_users is not UnimplementedUsersService.list_users,
        ),
        _rt.Endpoint(
            OP_CREATE_USER,
            create_user,
            parameters=_rt.NoParameters(),
            body=_CREATE_USER_BODY,
            responder=_CREATE_USER_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).create_user is not UnimplementedUsersService.create_user,
        ),
        _rt.Endpoint(
            OP_READ_CURRENT_USER,
            read_current_user,
            parameters=_rt.NoParameters(),
            body=_rt.NoBody(),
            responder=_READ_CURRENT_USER_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).read_current_user is not UnimplementedUsersService.read_current_user,
        ),
        _rt.Endpoint(
            OP_UPDATE_CURRENT_USER,
            update_current_user,
            parameters=_rt.NoParameters(),
            body=_UPDATE_CURRENT_USER_BODY,
            responder=_UPDATE_CURRENT_USER_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).update_current_user is not UnimplementedUsersService.update_current_user,
        ),
        _rt.Endpoint(
            OP_DELETE_USER,
            delete_user,
            parameters=_DELETE_USER_PARAMETERS,
            body=_DELETE_USER_BODY,
            responder=_DELETE_USER_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).delete_user is not UnimplementedUsersService.delete_user,
        ),
        _rt.Endpoint(
            OP_GET_USER,
            get_user,
            parameters=_GET_USER_PARAMETERS,
            body=_rt.NoBody(),
            responder=_GET_USER_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).get_user is not UnimplementedUsersService.get_user,
        ),
        _rt.Endpoint(
            OP_UPDATE_USER,
            update_user,
            parameters=_UPDATE_USER_PARAMETERS,
            body=_UPDATE_USER_BODY,
            responder=_UPDATE_USER_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).update_user is not UnimplementedUsersService.update_user,
        ),
    )


__all__ = [
    "OPERATIONS",
    "OP_CREATE_USER",
    "OP_DELETE_USER",
    "OP_GET_USER",
    "OP_LIST_USERS",
    "OP_READ_CURRENT_USER",
    "OP_UPDATE_CURRENT_USER",
    "OP_UPDATE_USER",
    "bind",
]
