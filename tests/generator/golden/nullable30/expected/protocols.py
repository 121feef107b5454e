"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

import datetime
from typing import Protocol

from . import models
from .runtime import RequestContext


class DefaultService(Protocol):
    """The service behind the operations tagged "default"."""

    async def get_things_thing_id(
        self, ctx: RequestContext, *, thing_id: int, since: datetime.datetime | None
    ) -> models.Thing:
        """get_things_thing_id"""
        ...


__all__ = [
    "DefaultService",
]
