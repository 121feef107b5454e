"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import cast

from fastapi import APIRouter

from .. import protocols
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


def build_routers(
    providers: Mapping[str, Callable[..., object]] | None = None, *, authenticator: Authenticator | None = None
) -> list[APIRouter]:
    """Return every generated APIRouter; each tag's service comes from `providers[<router module name>]`."""
    found = providers or {}
    return [
        _pets.build_router(
            cast("Callable[..., protocols.PetsService] | None", found.get("pets")),
            authenticator=authenticator,
        ),
        _store.build_router(
            cast("Callable[..., protocols.StoreService] | None", found.get("store")),
            authenticator=authenticator,
        ),
    ]


__all__ = ["OPERATIONS", "build_routers"]
