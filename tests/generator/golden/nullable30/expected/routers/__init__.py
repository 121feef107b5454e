"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import cast

from fastapi import APIRouter

from .. import protocols
from ..runtime import Authenticator, OperationInfo
from . import default as _default

OPERATIONS: tuple[OperationInfo, ...] = (_default.OP_GET_THINGS_THING_ID,)


def build_routers(
    providers: Mapping[str, Callable[..., object]] | None = None, *, authenticator: Authenticator | None = None
) -> list[APIRouter]:
    """Return every generated APIRouter; each tag's service comes from `providers[<router module name>]`."""
    found = providers or {}
    return [
        _default.build_router(
            cast("Callable[..., protocols.DefaultService] | None", found.get("default")),
            authenticator=authenticator,
        ),
    ]


__all__ = ["OPERATIONS", "build_routers"]
