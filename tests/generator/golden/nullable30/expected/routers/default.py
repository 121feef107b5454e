"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .. import models
from .. import runtime as _rt
from ..protocols import DefaultService, UnimplementedDefaultService
from ..runtime import Authenticator, OperationInfo, RequestContext

OP_GET_THINGS_THING_ID = OperationInfo(
    operation_id="get_things_thing_id",
    method="GET",
    path="/things/{thing-id}",
    tag="default",
    security=(),
    success_status=200,
    statuses=(200,),
)


class GetThingsThingIdParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    thing_id: Annotated[int, _rt.from_text("integer", "no-fraction"), Field(ge=-2147483648, le=2147483647)]
    since: Annotated[datetime.datetime | None, _rt.from_text("iso", "null", "string")] = None


OPERATIONS: tuple[OperationInfo, ...] = (OP_GET_THINGS_THING_ID,)

_GET_THINGS_THING_ID_PARAMETERS = _rt.Parameters(
    GetThingsThingIdParameters,
    (
        _rt.Param("thing_id", "path", "thing-id", "thing_id"),
        _rt.Param("since", "query", "since", "since"),
    ),
)
_GET_THINGS_THING_ID_RESPONDER = _rt.Responder(
    OP_GET_THINGS_THING_ID,
    TypeAdapter(models.Thing),
)


def bind(service: DefaultService, authenticator: Authenticator | None = None) -> tuple[_rt.Endpoint[Any, Any], ...]:
    """The operations tagged "default", each calling its method of `service` directly."""

    async def get_things_thing_id(ctx: RequestContext, p: GetThingsThingIdParameters, body: None) -> object:
        return await service.get_things_thing_id(ctx, thing_id=p.thing_id, since=p.since)

    return (
        _rt.Endpoint(
            OP_GET_THINGS_THING_ID,
            get_things_thing_id,
            parameters=_GET_THINGS_THING_ID_PARAMETERS,
            body=_rt.NoBody(),
            responder=_GET_THINGS_THING_ID_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).get_things_thing_id is not UnimplementedDefaultService.get_things_thing_id,
            route_path="/things/{thing_id}",
        ),
    )


__all__ = ["OPERATIONS", "OP_GET_THINGS_THING_ID", "bind"]
