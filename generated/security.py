"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

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


SCHEME_COOKIE_SESSION = SecurityScheme(
    name="CookieSession",
    type="apiKey",
    location="cookie",
    parameter="access_token",
    extensions={"x-csrf-cookie": "csrf_token", "x-csrf-header": "X-CSRF-Token"},
)

SCHEME_OAUTH2_PASSWORD_BEARER = SecurityScheme(
    name="OAuth2PasswordBearer",
    type="oauth2",
    scopes=("items:read", "items:write", "notifications:send", "users:admin", "users:read", "users:write"),
)

SCHEMES: dict[str, SecurityScheme] = {
    "CookieSession": SCHEME_COOKIE_SESSION,
    "OAuth2PasswordBearer": SCHEME_OAUTH2_PASSWORD_BEARER,
}
SCOPE_ITEMS_READ = "items:read"
SCOPE_ITEMS_WRITE = "items:write"
SCOPE_NOTIFICATIONS_SEND = "notifications:send"
SCOPE_USERS_ADMIN = "users:admin"
SCOPE_USERS_READ = "users:read"
SCOPE_USERS_WRITE = "users:write"
SCOPES: frozenset[str] = frozenset(
    (
        SCOPE_ITEMS_READ,
        SCOPE_ITEMS_WRITE,
        SCOPE_NOTIFICATIONS_SEND,
        SCOPE_USERS_ADMIN,
        SCOPE_USERS_READ,
        SCOPE_USERS_WRITE,
    )
)


__all__ = [
    "SCHEMES",
    "SCHEME_COOKIE_SESSION",
    "SCHEME_OAUTH2_PASSWORD_BEARER",
    "SCOPES",
    "SCOPE_ITEMS_READ",
    "SCOPE_ITEMS_WRITE",
    "SCOPE_NOTIFICATIONS_SEND",
    "SCOPE_USERS_ADMIN",
    "SCOPE_USERS_READ",
    "SCOPE_USERS_WRITE",
    "SecurityScheme",
]
