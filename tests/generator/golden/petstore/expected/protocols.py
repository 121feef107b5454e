"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from . import models
from .runtime import Download, NotImplementedOperation, RequestContext, UploadedFile


class PetsService(Protocol):
    """Pets and their photos."""

    async def create_pet(self, ctx: RequestContext, *, body: models.NewPet) -> models.Pet:
        """Add a pet."""
        ...

    async def delete_pet(self, ctx: RequestContext, *, pet_id: int, if_match: str) -> None:
        """deletePet"""
        ...

    async def get_pet(self, ctx: RequestContext, *, pet_id: int) -> models.Pet:
        """One pet."""
        ...

    async def get_pets_mine(self, ctx: RequestContext) -> models.GetPetsMineResponse:
        """Pets of the caller."""
        ...

    async def get_photo(self, ctx: RequestContext, *, pet_id: int) -> Download:
        """getPhoto"""
        ...

    async def list_pets(
        self,
        ctx: RequestContext,
        *,
        limit: int,
        tag: list[str] | None,
        status: models.PetStatus | None,
        x_request_id: uuid.UUID | None,
        session: str | None,
    ) -> list[models.Pet]:
        """List pets, newest first."""
        ...

    async def list_pets_by_kind(
        self, ctx: RequestContext, *, kind: Literal["cat", "dog"], owner_id: uuid.UUID, class_: int
    ) -> list[models.Animal]:
        """listPetsByKind"""
        ...

    async def upload_photo(
        self,
        ctx: RequestContext,
        *,
        pet_id: int,
        file: UploadedFile,
        caption: str | None,
        extras: Sequence[UploadedFile] | None,
    ) -> None:
        """uploadPhoto"""
        ...


class UnimplementedPetsService:
    """Every operation of PetsService answering 501: subclass it to implement a part on purpose."""

    async def create_pet(self, ctx: RequestContext, *, body: models.NewPet) -> models.Pet:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def delete_pet(self, ctx: RequestContext, *, pet_id: int, if_match: str) -> None:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def get_pet(self, ctx: RequestContext, *, pet_id: int) -> models.Pet:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def get_pets_mine(self, ctx: RequestContext) -> models.GetPetsMineResponse:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def get_photo(self, ctx: RequestContext, *, pet_id: int) -> Download:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def list_pets(
        self,
        ctx: RequestContext,
        *,
        limit: int,
        tag: list[str] | None,
        status: models.PetStatus | None,
        x_request_id: uuid.UUID | None,
        session: str | None,
    ) -> list[models.Pet]:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def list_pets_by_kind(
        self, ctx: RequestContext, *, kind: Literal["cat", "dog"], owner_id: uuid.UUID, class_: int
    ) -> list[models.Animal]:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def upload_photo(
        self,
        ctx: RequestContext,
        *,
        pet_id: int,
        file: UploadedFile,
        caption: str | None,
        extras: Sequence[UploadedFile] | None,
    ) -> None:
        raise NotImplementedOperation(ctx.operation.operation_id)


class StoreService(Protocol):
    """The service behind the operations tagged "store"."""

    async def get_inventory(self, ctx: RequestContext) -> models.GetInventoryResponse:
        """getInventory"""
        ...

    async def place_order(self, ctx: RequestContext, *, body: models.PlaceOrderRequest) -> models.Order:
        """placeOrder"""
        ...


class UnimplementedStoreService:
    """Every operation of StoreService answering 501: subclass it to implement a part on purpose."""

    async def get_inventory(self, ctx: RequestContext) -> models.GetInventoryResponse:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def place_order(self, ctx: RequestContext, *, body: models.PlaceOrderRequest) -> models.Order:
        raise NotImplementedOperation(ctx.operation.operation_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    """The implementation of the contract, one service per tag: the one typed binding of code to contract."""

    pets: PetsService

    store: StoreService

    @classmethod
    def unimplemented(cls) -> Services:
        """Services answering 501 for every operation (a runnable stub of the contract)."""
        return cls(
            pets=UnimplementedPetsService(),
            store=UnimplementedStoreService(),
        )


__all__ = ["PetsService", "Services", "StoreService", "UnimplementedPetsService", "UnimplementedStoreService"]
