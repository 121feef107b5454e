"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class SecurityScheme:
    """A security scheme of the contract: how credentials travel, and (oauth2) the scopes it defines."""

    name: str
    type: Literal["apiKey", "http", "oauth2", "openIdConnect", "mutualTLS"]
    location: Literal["header", "query", "cookie"] | None = None
    parameter: str | None = None
    http_scheme: str | None = None
    scopes: tuple[str, ...] = ()
    extensions: dict[str, str] = field(default_factory=dict)


SCHEMES: dict[str, SecurityScheme] = {}
SCOPES: frozenset[str] = frozenset(())


__all__ = [
    "SCHEMES",
    "SCOPES",
    "SecurityScheme",
]
