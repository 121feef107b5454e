"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .. import models
from .. import runtime as _rt
from ..protocols import DemoService, UnimplementedDemoService
from ..runtime import Authenticator, OperationInfo, RequestContext

OP_READ_LAST_QUERY = OperationInfo(
    operation_id="readLastQuery",
    method="GET",
    path="/last-query",
    tag="demo",
    security=(),
    success_status=200,
    statuses=(200, 422, 500, 503),
)


class ReadLastQueryParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    q: Annotated[str | None, Field(max_length=100, pattern="^[^\\x00-\\x1F\\x7F]*$")] = None
    last_query: Annotated[str | None, Field(max_length=1200, pattern="^[A-Za-z0-9%._~-]*$")] = None


OP_GET_MODEL = OperationInfo(
    operation_id="getModel",
    method="GET",
    path="/models/{model_name}",
    tag="demo",
    security=(),
    success_status=200,
    statuses=(200, 422, 500, 503),
)


class GetModelParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    model_name: models.ModelName


OP_SEND_NOTIFICATION = OperationInfo(
    operation_id="sendNotification",
    method="POST",
    path="/send-notification/{email}",
    tag="demo",
    security=({"OAuth2PasswordBearer": ("notifications:send",)}, {"CookieSession": ("notifications:send",)}),
    success_status=202,
    statuses=(202, 401, 403, 422, 429, 500, 503),
)


class SendNotificationParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    email: Annotated[str, Field(max_length=254)]
    q: Annotated[str | None, Field(max_length=200)] = None


OP_GET_UNICORN = OperationInfo(
    operation_id="getUnicorn",
    method="GET",
    path="/unicorns/{name}",
    tag="demo",
    security=(),
    success_status=200,
    statuses=(200, 418, 422, 500, 503),
)


class GetUnicornParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: Annotated[str, Field(max_length=50, min_length=1)]


OPERATIONS: tuple[OperationInfo, ...] = (
    OP_READ_LAST_QUERY,
    OP_GET_MODEL,
    OP_SEND_NOTIFICATION,
    OP_GET_UNICORN,
)

_READ_LAST_QUERY_PARAMETERS = _rt.Parameters(
    ReadLastQueryParameters,
    (
        _rt.Param("q", "query", "q", "q"),
        _rt.Param("last_query", "cookie", "last_query", "last_query"),
    ),
)
_READ_LAST_QUERY_RESPONDER = _rt.Responder(
    OP_READ_LAST_QUERY,
    TypeAdapter(models.LastQuery),
)

_GET_MODEL_PARAMETERS = _rt.Parameters(
    GetModelParameters,
    (_rt.Param("model_name", "path", "model_name", "model_name"),),
)
_GET_MODEL_RESPONDER = _rt.Responder(
    OP_GET_MODEL,
    TypeAdapter(models.ModelInfo),
)

_SEND_NOTIFICATION_PARAMETERS = _rt.Parameters(
    SendNotificationParameters,
    (
        _rt.Param("email", "path", "email", "email"),
        _rt.Param("q", "query", "q", "q"),
    ),
)
_SEND_NOTIFICATION_RESPONDER = _rt.Responder(
    OP_SEND_NOTIFICATION,
    TypeAdapter(models.Message),
)

_GET_UNICORN_PARAMETERS = _rt.Parameters(
    GetUnicornParameters,
    (_rt.Param("name", "path", "name", "name"),),
)
_GET_UNICORN_RESPONDER = _rt.Responder(
    OP_GET_UNICORN,
    TypeAdapter(models.Unicorn),
)


def bind(service: DemoService, authenticator: Authenticator | None = None) -> tuple[_rt.Endpoint[Any, Any], ...]:
    """The operations tagged "demo", each calling its method of `service` directly."""

    async def read_last_query(ctx: RequestContext, p: ReadLastQueryParameters, body: None) -> object:
        return await service.read_last_query(ctx, q=p.q, last_query=p.last_query)

    async def get_model(ctx: RequestContext, p: GetModelParameters, body: None) -> object:
        return await service.get_model(ctx, model_name=p.model_name)

    async def send_notification(ctx: RequestContext, p: SendNotificationParameters, body: None) -> object:
        return await service.send_notification(ctx, email=p.email, q=p.q)

    async def get_unicorn(ctx: RequestContext, p: GetUnicornParameters, body: None) -> object:
        return await service.get_unicorn(ctx, name=p.name)

    return (
        _rt.Endpoint(
            OP_READ_LAST_QUERY,
            read_last_query,
            parameters=_READ_LAST_QUERY_PARAMETERS,
            body=_rt.NoBody(),
            responder=_READ_LAST_QUERY_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).read_last_query is not UnimplementedDemoService.read_last_query,
        ),
        _rt.Endpoint(
            OP_GET_MODEL,
            get_model,
            parameters=_GET_MODEL_PARAMETERS,
            body=_rt.NoBody(),
            responder=_GET_MODEL_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).get_model is not UnimplementedDemoService.get_model,
        ),
        _rt.Endpoint(
            OP_SEND_NOTIFICATION,
            send_notification,
            parameters=_SEND_NOTIFICATION_PARAMETERS,
            body=_rt.NoBody(),
            responder=_SEND_NOTIFICATION_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).send_notification is not UnimplementedDemoService.send_notification,
        ),
        _rt.Endpoint(
            OP_GET_UNICORN,
            get_unicorn,
            parameters=_GET_UNICORN_PARAMETERS,
            body=_rt.NoBody(),
            responder=_GET_UNICORN_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).get_unicorn is not UnimplementedDemoService.get_unicorn,
        ),
    )


__all__ = ["OPERATIONS", "OP_GET_MODEL", "OP_GET_UNICORN", "OP_READ_LAST_QUERY", "OP_SEND_NOTIFICATION", "bind"]
