"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import MISSING, BaseModel, ConfigDict, Field, RootModel, StrictBool, StrictFloat, StrictStr

from .runtime import formats as _formats


class Id(RootModel[_formats.Integer]):
    root: Annotated[int, Field(ge=1, le=9223372036854775807), _formats.INTEGER]


class PetStatus(StrEnum):
    available = "available"
    pending = "pending"
    sold = "sold"


class NewPet(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    name: Annotated[StrictStr, Field(max_length=50, min_length=1)]
    tag: StrictStr | MISSING | None = MISSING
    status: PetStatus | MISSING = MISSING
    price: Annotated[StrictFloat | MISSING, Field(gt=0.0)] = MISSING
    attributes: dict[str, StrictStr] | MISSING = MISSING


class Photo(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    url: StrictStr | MISSING = MISSING
    width: _formats.Integer | MISSING = MISSING


class Pet(NewPet):
    """
    A pet in the store.
    """

    model_config = ConfigDict(
        validate_by_name=True,
    )
    id: Id
    photos: list[Photo] | MISSING = MISSING


class Cat(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    kind: Literal["cat"]
    indoor: StrictBool


class Dog(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    kind: Literal["dog"]
    goodBoy: StrictBool | MISSING = MISSING


class Animal(RootModel[Cat | Dog]):
    root: Annotated[Cat | Dog, Field(discriminator="kind")]


class Order(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    id: _formats.Integer
    petId: Annotated[int, Field(ge=-9223372036854775808, le=9223372036854775807), _formats.INTEGER]
    quantity: _formats.Integer
    note: StrictStr | MISSING | None = MISSING


class Problem(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    type: StrictStr
    title: StrictStr
    status: _formats.Integer
    detail: StrictStr | MISSING = MISSING
    instance: StrictStr | MISSING = MISSING


class GetPetsMineResponse(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    items: list[Pet]
    next: StrictStr | MISSING | None = MISSING


class PlaceOrderRequest(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    petId: Annotated[int, Field(ge=-9223372036854775808, le=9223372036854775807), _formats.INTEGER]
    quantity: Annotated[int, Field(ge=1), _formats.INTEGER]
    note: StrictStr | MISSING = MISSING


class GetInventoryResponse(RootModel[dict[str, _formats.Integer]]):
    root: dict[str, _formats.Integer]


class PetIdValue(RootModel[Id]):
    root: Id


__all__ = [
    "Animal",
    "Cat",
    "Dog",
    "GetInventoryResponse",
    "GetPetsMineResponse",
    "Id",
    "NewPet",
    "Order",
    "Pet",
    "PetIdValue",
    "PetStatus",
    "Photo",
    "PlaceOrderRequest",
    "Problem",
]
