"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from typing import Annotated

from pydantic import MISSING, BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr


class Thing(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    id: Annotated[StrictInt, Field(ge=-2147483648, le=2147483647)]
    label: StrictStr | MISSING | None = MISSING
    size: Annotated[StrictFloat | MISSING, Field(gt=0.0)] = MISSING


__all__ = [
    "Thing",
]
