"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from .. import models
from .. import runtime as _rt
from ..protocols import StoreService
from ..runtime import Authenticator, OperationInfo, Principal

OP_GET_INVENTORY = OperationInfo(
    operation_id="getInventory",
    method="GET",
    path="/store/inventory",
    tag="store",
    security=({"apiKey": (), "bearer": ("store:read",)}, {}),
    success_status=200,
)
_ADAPTER_GET_INVENTORY: TypeAdapter[models.GetInventoryResponse] = TypeAdapter(models.GetInventoryResponse)

OP_PLACE_ORDER = OperationInfo(
    operation_id="placeOrder",
    method="POST",
    path="/store/orders",
    tag="store",
    security=({"bearer": ()},),
    success_status=200,
)
_ADAPTER_PLACE_ORDER: TypeAdapter[models.Order] = TypeAdapter(models.Order)

OPERATIONS: tuple[OperationInfo, ...] = (
    OP_GET_INVENTORY,
    OP_PLACE_ORDER,
)


def build_router(
    provide: Callable[..., StoreService] | None = None, *, authenticator: Authenticator | None = None
) -> APIRouter:
    """Return the router of the operations tagged "store", served by the service `provide` gives."""
    router = APIRouter()
    service_dependency = _rt.service_dependency(provide)

    @router.get(
        "/store/inventory",
        operation_id="getInventory",
        status_code=200,
        response_model=models.GetInventoryResponse,
    )
    async def get_inventory(
        request: Request,
        *,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_GET_INVENTORY))],
        service: Annotated[StoreService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_GET_INVENTORY, principal=principal)
        impl = getattr(service, "get_inventory", None)
        if impl is None:
            return _rt.not_implemented(request, OP_GET_INVENTORY)
        try:
            result = await impl(ctx)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_GET_INVENTORY)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_GET_INVENTORY,
            statuses=(200,),
        )

    @router.post(
        "/store/orders",
        operation_id="placeOrder",
        status_code=200,
        response_model=models.Order,
    )
    async def place_order(
        request: Request,
        *,
        pet_id: Annotated[int, Form(alias="petId", ge=-9223372036854775808, le=9223372036854775807)],
        quantity: Annotated[int, Form(alias="quantity", ge=1)],
        note: Annotated[str | None, Form(alias="note")] = None,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_PLACE_ORDER))],
        service: Annotated[StoreService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_PLACE_ORDER, principal=principal)
        impl = getattr(service, "place_order", None)
        if impl is None:
            return _rt.not_implemented(request, OP_PLACE_ORDER)
        body = await _rt.build_form_model(
            request,
            models.PlaceOrderRequest,
            {
                "petId": pet_id,
                "quantity": quantity,
                "note": note,
            },
        )
        try:
            result = await impl(ctx, body=body)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_PLACE_ORDER)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_PLACE_ORDER,
            statuses=(200,),
        )

    return router


__all__ = ["OPERATIONS", "OP_GET_INVENTORY", "OP_PLACE_ORDER", "build_router"]
