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


SCHEME_API_KEY = SecurityScheme(
    name="apiKey",
    type="apiKey",
    location="header",
    parameter="X-API-Key",
)

SCHEME_BEARER = SecurityScheme(
    name="bearer",
    type="http",
    http_scheme="bearer",
)

SCHEMES: dict[str, SecurityScheme] = {
    "apiKey": SCHEME_API_KEY,
    "bearer": SCHEME_BEARER,
}
SCOPE_PETS_WRITE = "pets:write"
SCOPE_STORE_READ = "store:read"
SCOPES: frozenset[str] = frozenset(
    (
        SCOPE_PETS_WRITE,
        SCOPE_STORE_READ,
    )
)


__all__ = [
    "SCHEMES",
    "SCHEME_API_KEY",
    "SCHEME_BEARER",
    "SCOPES",
    "SCOPE_PETS_WRITE",
    "SCOPE_STORE_READ",
    "SecurityScheme",
]
