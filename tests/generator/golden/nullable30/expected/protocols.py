"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Protocol

from . import models
from .runtime import NotImplementedOperation, RequestContext


class DefaultService(Protocol):
    """The service behind the operations tagged "default"."""

    async def get_things_thing_id(
        self, ctx: RequestContext, *, thing_id: int, since: datetime.datetime | None
    ) -> models.Thing:
        """get_things_thing_id"""
        ...


class UnimplementedDefaultService:
    """Every operation of DefaultService answering 501: subclass it to implement a part on purpose."""

    async def get_things_thing_id(
        self, ctx: RequestContext, *, thing_id: int, since: datetime.datetime | None
    ) -> models.Thing:
        raise NotImplementedOperation(ctx.operation.operation_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    """The implementation of the contract, one service per tag: the one typed binding of code to contract."""

    default: DefaultService

    @classmethod
    def unimplemented(cls) -> Services:
        """Services answering 501 for every operation (a runnable stub of the contract)."""
        return cls(
            default=UnimplementedDefaultService(),
        )


__all__ = ["DefaultService", "Services", "UnimplementedDefaultService"]
