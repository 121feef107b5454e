"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from .. import models
from .. import runtime as _rt
from ..protocols import SystemService
from ..runtime import Authenticator, OperationInfo, Principal

OP_READ_ROOT = OperationInfo(
    operation_id="readRoot",
    method="GET",
    path="/",
    tag="system",
    security=(),
    success_status=200,
)
_ADAPTER_READ_ROOT: TypeAdapter[models.Message] = TypeAdapter(models.Message)

OP_GET_HEALTH = OperationInfo(
    operation_id="getHealth",
    method="GET",
    path="/healthz",
    tag="system",
    security=(),
    success_status=200,
)
_ADAPTER_GET_HEALTH: TypeAdapter[models.Health] = TypeAdapter(models.Health)

OP_GET_METRICS = OperationInfo(
    operation_id="getMetrics",
    method="GET",
    path="/metrics",
    tag="system",
    security=(),
    success_status=200,
)

OP_GET_READINESS = OperationInfo(
    operation_id="getReadiness",
    method="GET",
    path="/readyz",
    tag="system",
    security=(),
    success_status=200,
)
_ADAPTER_GET_READINESS: TypeAdapter[models.Health] = TypeAdapter(models.Health)

OP_GET_PUBLIC_SETTINGS = OperationInfo(
    operation_id="getPublicSettings",
    method="GET",
    path="/settings",
    tag="system",
    security=(),
    success_status=200,
)
_ADAPTER_GET_PUBLIC_SETTINGS: TypeAdapter[models.PublicSettings] = TypeAdapter(models.PublicSettings)

OPERATIONS: tuple[OperationInfo, ...] = (
    OP_READ_ROOT,
    OP_GET_HEALTH,
    OP_GET_METRICS,
    OP_GET_READINESS,
    OP_GET_PUBLIC_SETTINGS,
)


def build_router(
    provide: Callable[..., SystemService] | None = None, *, authenticator: Authenticator | None = None
) -> APIRouter:
    """Return the router of the operations tagged "system", served by the service `provide` gives."""
    router = APIRouter()
    service_dependency = _rt.service_dependency(provide)

    @router.get(
        "/",
        operation_id="readRoot",
        status_code=200,
        response_model=models.Message,
        responses={
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Say hello",
    )
    async def read_root(
        request: Request,
        *,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_READ_ROOT))],
        service: Annotated[SystemService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_READ_ROOT, principal=principal)
        impl = getattr(service, "read_root", None)
        if impl is None:
            return _rt.not_implemented(request, OP_READ_ROOT)
        try:
            result = await impl(ctx)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_READ_ROOT)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_READ_ROOT,
            statuses=(200, 500),
        )

    @router.get(
        "/healthz",
        operation_id="getHealth",
        status_code=200,
        response_model=models.Health,
        responses={
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Liveness probe",
        description="Answers as long as the process serves requests; touches no dependency.",
    )
    async def get_health(
        request: Request,
        *,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_GET_HEALTH))],
        service: Annotated[SystemService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_GET_HEALTH, principal=principal)
        impl = getattr(service, "get_health", None)
        if impl is None:
            return _rt.not_implemented(request, OP_GET_HEALTH)
        try:
            result = await impl(ctx)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_GET_HEALTH)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_GET_HEALTH,
            statuses=(200, 500),
        )

    @router.get(
        "/metrics",
        operation_id="getMetrics",
        status_code=200,
        response_model=None,
        responses={
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Prometheus metrics",
    )
    async def get_metrics(
        request: Request,
        *,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_GET_METRICS))],
        service: Annotated[SystemService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_GET_METRICS, principal=principal)
        impl = getattr(service, "get_metrics", None)
        if impl is None:
            return _rt.not_implemented(request, OP_GET_METRICS)
        try:
            result = await impl(ctx)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_GET_METRICS)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=None,
            statuses=(200, 500),
        )

    @router.get(
        "/readyz",
        operation_id="getReadiness",
        status_code=200,
        response_model=models.Health,
        responses={
            500: {"description": "An unexpected error; the body never contains a traceback."},
            503: {"description": "A dependency (the database) does not answer."},
        },
        summary="Readiness probe",
        description="Checks that the database answers; 503 while it does not.",
    )
    async def get_readiness(
        request: Request,
        *,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_GET_READINESS))],
        service: Annotated[SystemService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_GET_READINESS, principal=principal)
        impl = getattr(service, "get_readiness", None)
        if impl is None:
            return _rt.not_implemented(request, OP_GET_READINESS)
        try:
            result = await impl(ctx)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_GET_READINESS)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_GET_READINESS,
            statuses=(200, 500, 503),
        )

    @router.get(
        "/settings",
        operation_id="getPublicSettings",
        status_code=200,
        response_model=models.PublicSettings,
        responses={
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Public settings",
        description="The non-secret part of the running configuration.",
    )
    async def get_public_settings(
        request: Request,
        *,
        principal: Annotated[
            Principal | None, Depends(_rt.principal_dependency(authenticator, OP_GET_PUBLIC_SETTINGS))
        ],
        service: Annotated[SystemService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_GET_PUBLIC_SETTINGS, principal=principal)
        impl = getattr(service, "get_public_settings", None)
        if impl is None:
            return _rt.not_implemented(request, OP_GET_PUBLIC_SETTINGS)
        try:
            result = await impl(ctx)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_GET_PUBLIC_SETTINGS)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_GET_PUBLIC_SETTINGS,
            statuses=(200, 500),
        )

    return router


__all__ = [
    "OPERATIONS",
    "OP_GET_HEALTH",
    "OP_GET_METRICS",
    "OP_GET_PUBLIC_SETTINGS",
    "OP_GET_READINESS",
    "OP_READ_ROOT",
    "build_router",
]
