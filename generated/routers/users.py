"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from .. import models
from .. import runtime as _rt
from ..protocols import UsersService
from ..runtime import Authenticator, OperationInfo, Principal

OP_LIST_USERS = OperationInfo(
    operation_id="listUsers",
    method="GET",
    path="/users",
    tag="users",
    security=({"OAuth2PasswordBearer": ("users:admin",)}, {"CookieSession": ("users:admin",)}),
    success_status=200,
)
_ADAPTER_LIST_USERS: TypeAdapter[list[models.User]] = TypeAdapter(list[models.User])

OP_CREATE_USER = OperationInfo(
    operation_id="createUser",
    method="POST",
    path="/users",
    tag="users",
    security=(),
    success_status=201,
)
_ADAPTER_CREATE_USER: TypeAdapter[models.User] = TypeAdapter(models.User)

OP_READ_CURRENT_USER = OperationInfo(
    operation_id="readCurrentUser",
    method="GET",
    path="/users/me",
    tag="users",
    security=({"OAuth2PasswordBearer": ()}, {"CookieSession": ()}),
    success_status=200,
)
_ADAPTER_READ_CURRENT_USER: TypeAdapter[models.User] = TypeAdapter(models.User)

OP_UPDATE_CURRENT_USER = OperationInfo(
    operation_id="updateCurrentUser",
    method="PATCH",
    path="/users/me",
    tag="users",
    security=({"OAuth2PasswordBearer": ()}, {"CookieSession": ()}),
    success_status=200,
)
_ADAPTER_UPDATE_CURRENT_USER: TypeAdapter[models.User] = TypeAdapter(models.User)

OP_DELETE_USER = OperationInfo(
    operation_id="deleteUser",
    method="DELETE",
    path="/users/{user_id}",
    tag="users",
    security=({"OAuth2PasswordBearer": ()}, {"CookieSession": ()}),
    success_status=204,
)

OP_GET_USER = OperationInfo(
    operation_id="getUser",
    method="GET",
    path="/users/{user_id}",
    tag="users",
    security=({"OAuth2PasswordBearer": ()}, {"CookieSession": ()}),
    success_status=200,
)
_ADAPTER_GET_USER: TypeAdapter[models.User] = TypeAdapter(models.User)

OPERATIONS: tuple[OperationInfo, ...] = (
    OP_LIST_USERS,
    OP_CREATE_USER,
    OP_READ_CURRENT_USER,
    OP_UPDATE_CURRENT_USER,
    OP_DELETE_USER,
    OP_GET_USER,
)


def build_router(
    provide: Callable[..., UsersService] | None = None, *, authenticator: Authenticator | None = None
) -> APIRouter:
    """Return the router of the operations tagged "users", served by the service `provide` gives."""
    router = APIRouter()
    service_dependency = _rt.service_dependency(provide)

    @router.get(
        "/users",
        operation_id="listUsers",
        status_code=200,
        response_model=list[models.User],
        responses={
            401: {"description": "Missing or invalid credentials."},
            403: {
                "description": (
                    "Authenticated, but not allowed (insufficient scope, not the owner, or a missing CSRF token)."
                )
            },
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="List users (administrators only)",
    )
    async def list_users(
        request: Request,
        *,
        skip: Annotated[int, Query(alias="skip", description="Number of records to skip.", ge=0, le=1000000)] = 0,
        limit: Annotated[
            int, Query(alias="limit", description="Maximum number of records to return.", ge=1, le=100)
        ] = 20,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_LIST_USERS))],
        service: Annotated[UsersService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_LIST_USERS, principal=principal)
        impl = getattr(service, "list_users", None)
        if impl is None:
            return _rt.not_implemented(request, OP_LIST_USERS)
        try:
            result = await impl(ctx, skip=skip, limit=limit)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_LIST_USERS)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_LIST_USERS,
            statuses=(200, 401, 403, 422, 500),
        )

    @router.post(
        "/users",
        operation_id="createUser",
        status_code=201,
        response_model=models.User,
        responses={
            400: {"description": "The body is not well-formed (e.g. malformed JSON or not UTF-8)."},
            409: {"description": "The request conflicts with the current state (e.g. a duplicate e-mail)."},
            413: {"description": "The body is larger than the configured limit."},
            415: {"description": "The body's Content-Type is not the one this operation accepts."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Sign up",
        dependencies=[Depends(_rt.require_json)],
    )
    async def create_user(
        request: Request,
        *,
        body: Annotated[models.UserCreate, Body()],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_CREATE_USER))],
        service: Annotated[UsersService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_CREATE_USER, principal=principal)
        impl = getattr(service, "create_user", None)
        if impl is None:
            return _rt.not_implemented(request, OP_CREATE_USER)
        try:
            result = await impl(ctx, body=body)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_CREATE_USER)
        _rt.link_location(ctx, request, result, "/users/{user_id}", (("user_id", "id"),))
        return _rt.respond(
            ctx,
            result,
            status_code=201,
            adapter=_ADAPTER_CREATE_USER,
            statuses=(201, 400, 409, 413, 415, 422, 500),
        )

    @router.get(
        "/users/me",
        operation_id="readCurrentUser",
        status_code=200,
        response_model=models.User,
        responses={
            401: {"description": "Missing or invalid credentials."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="The authenticated user",
    )
    async def read_current_user(
        request: Request,
        *,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_READ_CURRENT_USER))],
        service: Annotated[UsersService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_READ_CURRENT_USER, principal=principal)
        impl = getattr(service, "read_current_user", None)
        if impl is None:
            return _rt.not_implemented(request, OP_READ_CURRENT_USER)
        try:
            result = await impl(ctx)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_READ_CURRENT_USER)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_READ_CURRENT_USER,
            statuses=(200, 401, 500),
        )

    @router.patch(
        "/users/me",
        operation_id="updateCurrentUser",
        status_code=200,
        response_model=models.User,
        responses={
            400: {"description": "The body is not well-formed (e.g. malformed JSON or not UTF-8)."},
            401: {"description": "Missing or invalid credentials."},
            409: {"description": "The request conflicts with the current state (e.g. a duplicate e-mail)."},
            413: {"description": "The body is larger than the configured limit."},
            415: {"description": "The body's Content-Type is not the one this operation accepts."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Change the authenticated user's name, email or password",
        description="Changing the password requires `current_password`.",
        dependencies=[Depends(_rt.require_json)],
    )
    async def update_current_user(
        request: Request,
        *,
        body: Annotated[models.UserUpdate, Body()],
        principal: Annotated[
            Principal | None, Depends(_rt.principal_dependency(authenticator, OP_UPDATE_CURRENT_USER))
        ],
        service: Annotated[UsersService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_UPDATE_CURRENT_USER, principal=principal)
        impl = getattr(service, "update_current_user", None)
        if impl is None:
            return _rt.not_implemented(request, OP_UPDATE_CURRENT_USER)
        try:
            result = await impl(ctx, body=body)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_UPDATE_CURRENT_USER)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_UPDATE_CURRENT_USER,
            statuses=(200, 400, 401, 409, 413, 415, 422, 500),
        )

    @router.delete(
        "/users/{user_id}",
        operation_id="deleteUser",
        status_code=204,
        response_model=None,
        responses={
            401: {"description": "Missing or invalid credentials."},
            404: {"description": "No such resource."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Delete a user (self or administrator)",
    )
    async def delete_user(
        request: Request,
        *,
        user_id: Annotated[int, Path(alias="user_id", description="The user's id.", ge=1, le=9223372036854775807)],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_DELETE_USER))],
        service: Annotated[UsersService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_DELETE_USER, principal=principal)
        impl = getattr(service, "delete_user", None)
        if impl is None:
            return _rt.not_implemented(request, OP_DELETE_USER)
        try:
            result = await impl(ctx, user_id=user_id)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_DELETE_USER)
        return _rt.respond(
            ctx,
            result,
            status_code=204,
            adapter=None,
            statuses=(204, 401, 404, 422, 500),
        )

    @router.get(
        "/users/{user_id}",
        operation_id="getUser",
        status_code=200,
        response_model=models.User,
        responses={
            401: {"description": "Missing or invalid credentials."},
            404: {"description": "No such resource."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Get a user (self or administrator)",
    )
    async def get_user(
        request: Request,
        *,
        user_id: Annotated[int, Path(alias="user_id", description="The user's id.", ge=1, le=9223372036854775807)],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_GET_USER))],
        service: Annotated[UsersService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_GET_USER, principal=principal)
        impl = getattr(service, "get_user", None)
        if impl is None:
            return _rt.not_implemented(request, OP_GET_USER)
        try:
            result = await impl(ctx, user_id=user_id)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_GET_USER)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_GET_USER,
            statuses=(200, 401, 404, 422, 500),
        )

    return router


__all__ = [
    "OPERATIONS",
    "OP_CREATE_USER",
    "OP_DELETE_USER",
    "OP_GET_USER",
    "OP_LIST_USERS",
    "OP_READ_CURRENT_USER",
    "OP_UPDATE_CURRENT_USER",
    "build_router",
]
