"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

import datetime
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from .. import models
from .. import runtime as _rt
from ..protocols import DefaultService
from ..runtime import Authenticator, OperationInfo, Principal

OP_GET_THINGS_THING_ID = OperationInfo(
    operation_id="get_things_thing_id",
    method="GET",
    path="/things/{thing-id}",
    tag="default",
    security=(),
    success_status=200,
)
_ADAPTER_GET_THINGS_THING_ID: TypeAdapter[models.Thing] = TypeAdapter(models.Thing)

OPERATIONS: tuple[OperationInfo, ...] = (OP_GET_THINGS_THING_ID,)


def build_router(
    provide: Callable[..., DefaultService] | None = None, *, authenticator: Authenticator | None = None
) -> APIRouter:
    """Return the router of the operations tagged "default", served by the service `provide` gives."""
    router = APIRouter()
    service_dependency = _rt.service_dependency(provide)

    @router.get(
        "/things/{thing_id}",
        operation_id="get_things_thing_id",
        status_code=200,
        response_model=models.Thing,
    )
    async def get_things_thing_id(
        request: Request,
        *,
        thing_id: Annotated[int, Path(alias="thing_id", ge=-2147483648, le=2147483647)],
        since: Annotated[datetime.datetime | None, Query(alias="since")] = None,
        principal: Annotated[
            Principal | None, Depends(_rt.principal_dependency(authenticator, OP_GET_THINGS_THING_ID))
        ],
        service: Annotated[DefaultService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_GET_THINGS_THING_ID, principal=principal)
        impl = getattr(service, "get_things_thing_id", None)
        if impl is None:
            return _rt.not_implemented(request, OP_GET_THINGS_THING_ID)
        try:
            result = await impl(ctx, thing_id=thing_id, since=since)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_GET_THINGS_THING_ID)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_GET_THINGS_THING_ID,
            statuses=(200,),
        )

    return router


__all__ = ["OPERATIONS", "OP_GET_THINGS_THING_ID", "build_router"]
