"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Path, Query, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from .. import models
from .. import runtime as _rt
from ..protocols import DemoService
from ..runtime import Authenticator, OperationInfo, Principal

OP_READ_LAST_QUERY = OperationInfo(
    operation_id="readLastQuery",
    method="GET",
    path="/last-query",
    tag="demo",
    security=(),
    success_status=200,
)
_ADAPTER_READ_LAST_QUERY: TypeAdapter[models.LastQuery] = TypeAdapter(models.LastQuery)

OP_GET_MODEL = OperationInfo(
    operation_id="getModel",
    method="GET",
    path="/models/{model_name}",
    tag="demo",
    security=(),
    success_status=200,
)
_ADAPTER_GET_MODEL: TypeAdapter[models.ModelInfo] = TypeAdapter(models.ModelInfo)

OP_SEND_NOTIFICATION = OperationInfo(
    operation_id="sendNotification",
    method="POST",
    path="/send-notification/{email}",
    tag="demo",
    security=(),
    success_status=202,
)
_ADAPTER_SEND_NOTIFICATION: TypeAdapter[models.Message] = TypeAdapter(models.Message)

OP_GET_UNICORN = OperationInfo(
    operation_id="getUnicorn",
    method="GET",
    path="/unicorns/{name}",
    tag="demo",
    security=(),
    success_status=200,
)
_ADAPTER_GET_UNICORN: TypeAdapter[models.Unicorn] = TypeAdapter(models.Unicorn)

OPERATIONS: tuple[OperationInfo, ...] = (
    OP_READ_LAST_QUERY,
    OP_GET_MODEL,
    OP_SEND_NOTIFICATION,
    OP_GET_UNICORN,
)


def build_router(
    provide: Callable[..., DemoService] | None = None, *, authenticator: Authenticator | None = None
) -> APIRouter:
    """Return the router of the operations tagged "demo", served by the service `provide` gives."""
    router = APIRouter()
    service_dependency = _rt.service_dependency(provide)

    @router.get(
        "/last-query",
        operation_id="readLastQuery",
        status_code=200,
        response_model=models.LastQuery,
        responses={
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="A query-or-cookie sub-dependency",
        description=(
            "Returns `q` from the query, else the `last_query` cookie; a query value is remembered in the cookie."
        ),
    )
    async def read_last_query(
        request: Request,
        *,
        q: Annotated[str | None, Query(alias="q", max_length=100)] = None,
        last_query: Annotated[str | None, Cookie(alias="last_query", max_length=100)] = None,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_READ_LAST_QUERY))],
        service: Annotated[DemoService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_READ_LAST_QUERY, principal=principal)
        impl = getattr(service, "read_last_query", None)
        if impl is None:
            return _rt.not_implemented(request, OP_READ_LAST_QUERY)
        try:
            result = await impl(ctx, q=q, last_query=last_query)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_READ_LAST_QUERY)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_READ_LAST_QUERY,
            statuses=(200, 422, 500),
        )

    @router.get(
        "/models/{model_name}",
        operation_id="getModel",
        status_code=200,
        response_model=models.ModelInfo,
        responses={
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Describe a model (enum path parameter)",
    )
    async def get_model(
        request: Request,
        *,
        model_name: Annotated[models.ModelName, Path(alias="model_name")],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_GET_MODEL))],
        service: Annotated[DemoService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_GET_MODEL, principal=principal)
        impl = getattr(service, "get_model", None)
        if impl is None:
            return _rt.not_implemented(request, OP_GET_MODEL)
        try:
            result = await impl(ctx, model_name=model_name)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_GET_MODEL)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_GET_MODEL,
            statuses=(200, 422, 500),
        )

    @router.post(
        "/send-notification/{email}",
        operation_id="sendNotification",
        status_code=202,
        response_model=models.Message,
        responses={
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Queue a notification e-mail (background task)",
    )
    async def send_notification(
        request: Request,
        *,
        email: Annotated[str, Path(alias="email", max_length=254)],
        q: Annotated[
            str | None, Query(alias="q", description="Optional text added to the message.", max_length=200)
        ] = None,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_SEND_NOTIFICATION))],
        service: Annotated[DemoService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_SEND_NOTIFICATION, principal=principal)
        impl = getattr(service, "send_notification", None)
        if impl is None:
            return _rt.not_implemented(request, OP_SEND_NOTIFICATION)
        try:
            result = await impl(ctx, email=email, q=q)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_SEND_NOTIFICATION)
        return _rt.respond(
            ctx,
            result,
            status_code=202,
            adapter=_ADAPTER_SEND_NOTIFICATION,
            statuses=(202, 422, 500),
        )

    @router.get(
        "/unicorns/{name}",
        operation_id="getUnicorn",
        status_code=200,
        response_model=models.Unicorn,
        responses={
            418: {"description": "The unicorn refuses (a custom exception's own status)."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary='Get a unicorn (418 for "yolo", raised as a custom exception)',
    )
    async def get_unicorn(
        request: Request,
        *,
        name: Annotated[str, Path(alias="name", max_length=50, min_length=1)],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_GET_UNICORN))],
        service: Annotated[DemoService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_GET_UNICORN, principal=principal)
        impl = getattr(service, "get_unicorn", None)
        if impl is None:
            return _rt.not_implemented(request, OP_GET_UNICORN)
        try:
            result = await impl(ctx, name=name)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_GET_UNICORN)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_GET_UNICORN,
            statuses=(200, 418, 422, 500),
        )

    return router


__all__ = ["OPERATIONS", "OP_GET_MODEL", "OP_GET_UNICORN", "OP_READ_LAST_QUERY", "OP_SEND_NOTIFICATION", "build_router"]
