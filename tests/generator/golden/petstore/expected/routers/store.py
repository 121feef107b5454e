"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter

from .. import models
from .. import runtime as _rt
from ..protocols import StoreService, UnimplementedStoreService
from ..runtime import Authenticator, OperationInfo, RequestContext

OP_GET_INVENTORY = OperationInfo(
    operation_id="getInventory",
    method="GET",
    path="/store/inventory",
    tag="store",
    security=({"apiKey": (), "bearer": ("store:read",)}, {}),
    success_status=200,
    statuses=(200,),
)

OP_PLACE_ORDER = OperationInfo(
    operation_id="placeOrder",
    method="POST",
    path="/store/orders",
    tag="store",
    security=({"bearer": ()},),
    success_status=200,
    statuses=(200,),
)


class PlaceOrderForm(BaseModel):
    pet_id: Annotated[int, _rt.from_text("integer"), Field(ge=-9223372036854775808, le=9223372036854775807)]
    quantity: Annotated[int, _rt.from_text("integer"), Field(ge=1)]
    note: str | None = None


OPERATIONS: tuple[OperationInfo, ...] = (
    OP_GET_INVENTORY,
    OP_PLACE_ORDER,
)

_GET_INVENTORY_RESPONDER = _rt.Responder(
    OP_GET_INVENTORY,
    TypeAdapter(models.GetInventoryResponse),
)

_PLACE_ORDER_FIELDS = _rt.FormFields(
    PlaceOrderForm,
    (
        _rt.Part("pet_id", "petId"),
        _rt.Part("quantity", "quantity"),
        _rt.Part("note", "note"),
    ),
    accepted=_rt.FORM_MEDIA_TYPE,
)
_PLACE_ORDER_BODY = _rt.FormModel(_PLACE_ORDER_FIELDS, TypeAdapter(models.PlaceOrderRequest))
_PLACE_ORDER_RESPONDER = _rt.Responder(
    OP_PLACE_ORDER,
    TypeAdapter(models.Order),
)


def bind(service: StoreService, authenticator: Authenticator | None = None) -> tuple[_rt.Endpoint[Any, Any], ...]:
    """The operations tagged "store", each calling its method of `service` directly."""

    async def get_inventory(ctx: RequestContext, p: None, body: None) -> object:
        return await service.get_inventory(ctx)

    async def place_order(ctx: RequestContext, p: None, body: models.PlaceOrderRequest) -> object:
        return await service.place_order(ctx, body=body)

    return (
        _rt.Endpoint(
            OP_GET_INVENTORY,
            get_inventory,
            parameters=_rt.NoParameters(),
            body=_rt.NoBody(),
            responder=_GET_INVENTORY_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).get_inventory is not UnimplementedStoreService.get_inventory,
        ),
        _rt.Endpoint(
            OP_PLACE_ORDER,
            place_order,
            parameters=_rt.NoParameters(),
            body=_PLACE_ORDER_BODY,
            responder=_PLACE_ORDER_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).place_order is not UnimplementedStoreService.place_order,
        ),
    )


__all__ = ["OPERATIONS", "OP_GET_INVENTORY", "OP_PLACE_ORDER", "bind"]
