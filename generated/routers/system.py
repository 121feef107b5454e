"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from .. import models
from .. import runtime as _rt
from ..protocols import SystemService, UnimplementedSystemService
from ..runtime import Authenticator, OperationInfo, RequestContext

OP_READ_ROOT = OperationInfo(
    operation_id="readRoot",
    method="GET",
    path="/",
    tag="system",
    security=(),
    success_status=200,
    statuses=(200, 500, 503),
)

OP_GET_HEALTH = OperationInfo(
    operation_id="getHealth",
    method="GET",
    path="/healthz",
    tag="system",
    security=(),
    success_status=200,
    statuses=(200, 500, 503),
)

OP_GET_METRICS = OperationInfo(
    operation_id="getMetrics",
    method="GET",
    path="/metrics",
    tag="system",
    security=(),
    success_status=200,
    statuses=(200, 500, 503),
)

OP_GET_READINESS = OperationInfo(
    operation_id="getReadiness",
    method="GET",
    path="/readyz",
    tag="system",
    security=(),
    success_status=200,
    statuses=(200, 500, 503),
)

OP_GET_PUBLIC_SETTINGS = OperationInfo(
    operation_id="getPublicSettings",
    method="GET",
    path="/settings",
    tag="system",
    security=(),
    success_status=200,
    statuses=(200, 500, 503),
)

OPERATIONS: tuple[OperationInfo, ...] = (
    OP_READ_ROOT,
    OP_GET_HEALTH,
    OP_GET_METRICS,
    OP_GET_READINESS,
    OP_GET_PUBLIC_SETTINGS,
)

_READ_ROOT_RESPONDER = _rt.Responder(
    OP_READ_ROOT,
    TypeAdapter(models.Message),
)

_GET_HEALTH_RESPONDER = _rt.Responder(
    OP_GET_HEALTH,
    TypeAdapter(models.Health),
)

_GET_METRICS_RESPONDER = _rt.Responder(
    OP_GET_METRICS,
    None,
)

_GET_READINESS_RESPONDER = _rt.Responder(
    OP_GET_READINESS,
    TypeAdapter(models.Health),
)

_GET_PUBLIC_SETTINGS_RESPONDER = _rt.Responder(
    OP_GET_PUBLIC_SETTINGS,
    TypeAdapter(models.PublicSettings),
)


def bind(service: SystemService, authenticator: Authenticator | None = None) -> tuple[_rt.Endpoint[Any, Any], ...]:
    """The operations tagged "system", each calling its method of `service` directly."""

    async def read_root(ctx: RequestContext, p: None, body: None) -> object:
        return await service.read_root(ctx)

    async def get_health(ctx: RequestContext, p: None, body: None) -> object:
        return await service.get_health(ctx)

    async def get_metrics(ctx: RequestContext, p: None, body: None) -> object:
        return await service.get_metrics(ctx)

    async def get_readiness(ctx: RequestContext, p: None, body: None) -> object:
        return await service.get_readiness(ctx)

    async def get_public_settings(ctx: RequestContext, p: None, body: None) -> object:
        return await service.get_public_settings(ctx)

    return (
        _rt.Endpoint(
            OP_READ_ROOT,
            read_root,
            parameters=_rt.NoParameters(),
            body=_rt.NoBody(),
            responder=_READ_ROOT_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).read_root is not UnimplementedSystemService.read_root,
        ),
        _rt.Endpoint(
            OP_GET_HEALTH,
            get_health,
            parameters=_rt.NoParameters(),
            body=_rt.NoBody(),
            responder=_GET_HEALTH_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).get_health is not UnimplementedSystemService.get_health,
        ),
        _rt.Endpoint(
            OP_GET_METRICS,
            get_metrics,
            parameters=_rt.NoParameters(),
            body=_rt.NoBody(),
            responder=_GET_METRICS_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).get_metrics is not UnimplementedSystemService.get_metrics,
        ),
        _rt.Endpoint(
            OP_GET_READINESS,
            get_readiness,
            parameters=_rt.NoParameters(),
            body=_rt.NoBody(),
            responder=_GET_READINESS_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).get_readiness is not UnimplementedSystemService.get_readiness,
        ),
        _rt.Endpoint(
            OP_GET_PUBLIC_SETTINGS,
            get_public_settings,
            parameters=_rt.NoParameters(),
            body=_rt.NoBody(),
            responder=_GET_PUBLIC_SETTINGS_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).get_public_settings is not UnimplementedSystemService.get_public_settings,
        ),
    )


__all__ = [
    "OPERATIONS",
    "OP_GET_HEALTH",
    "OP_GET_METRICS",
    "OP_GET_PUBLIC_SETTINGS",
    "OP_GET_READINESS",
    "OP_READ_ROOT",
    "bind",
]
