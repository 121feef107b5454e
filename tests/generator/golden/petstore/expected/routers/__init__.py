"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from .. import runtime as _rt
from ..protocols import Services
from ..runtime import Authenticator, OperationInfo
from . import pets as _pets
from . import store as _store

OPERATIONS: tuple[OperationInfo, ...] = (
    _pets.OP_LIST_PETS,
    _pets.OP_CREATE_PET,
    _pets.OP_LIST_PETS_BY_KIND,
    _pets.OP_GET_PETS_MINE,
    _pets.OP_DELETE_PET,
    _pets.OP_GET_PET,
    _pets.OP_GET_PHOTO,
    _pets.OP_UPLOAD_PHOTO,
    _store.OP_GET_INVENTORY,
    _store.OP_PLACE_ORDER,
)


def _endpoints(services: Services, authenticator: Authenticator | None) -> list[_rt.Endpoint[Any, Any]]:
    return [
        *_pets.bind(services.pets, authenticator),
        *_store.bind(services.store, authenticator),
    ]


def build_routers(services: Services | None = None, *, authenticator: Authenticator | None = None) -> list[APIRouter]:
    """Every route of the contract, each calling its service in `services` (all 501 without them)."""
    bound = services if services is not None else Services.unimplemented()
    return [_rt.build_router(_endpoints(bound, authenticator))]


def implemented_operations(services: Services) -> frozenset[OperationInfo]:
    """The operations whose method `services` implements (not inherited from an `Unimplemented...` base)."""
    return frozenset(e.operation for e in _endpoints(services, None) if e.implemented)


__all__ = ["OPERATIONS", "build_routers", "implemented_operations"]
