"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from .. import runtime as _rt
from ..protocols import Services
from ..runtime import Authenticator, OperationInfo
from . import default as _default

OPERATIONS: tuple[OperationInfo, ...] = (_default.OP_GET_THINGS_THING_ID,)


def _endpoints(services: Services, authenticator: Authenticator | None) -> list[_rt.Endpoint[Any, Any]]:
    return [
        *_default.bind(services.default, authenticator),
    ]


def build_routers(services: Services | None = None, *, authenticator: Authenticator | None = None) -> list[APIRouter]:
    """Every route of the contract, each calling its service in `services` (all 501 without them)."""
    bound = services if services is not None else Services.unimplemented()
    return [_rt.build_router(_endpoints(bound, authenticator))]


def implemented_operations(services: Services) -> frozenset[OperationInfo]:
    """The operations whose method `services` implements (not inherited from an `Unimplemented...` base)."""
    return frozenset(e.operation for e in _endpoints(services, None) if e.implemented)


__all__ = ["OPERATIONS", "build_routers", "implemented_operations"]
