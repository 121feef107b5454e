"""Unit tests of parse_security.py: the contract's security schemes and scopes as constants."""

from __future__ import annotations

from typing import Any

from scripts.parse_security import Scope, SecurityScheme, parse_security

_OK = {"200": {"description": "ok"}}


def _spec(schemes: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, **extra}
    if schemes is not None:
        spec["components"] = {"securitySchemes": schemes}
    return spec


def _oauth(**flows: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "oauth2",
        "flows": {name: {"tokenUrl": "/token", "scopes": scopes} for name, scopes in flows.items()},
    }


def test_parse_security_without_schemes_or_requirements_is_empty() -> None:
    assert parse_security(_spec()) == ((), ())


def test_parse_security_schemes_are_sorted_by_name_with_upper_snake_constants() -> None:
    schemes, _ = parse_security(
        _spec(
            {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "OAuth2PasswordBearer": _oauth(password={}),
                "api_key": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://example.com/.well-known"},
                "mtls": {"type": "mutualTLS"},
            }
        )
    )
    assert schemes == (
        SecurityScheme("OAuth2PasswordBearer", "SCHEME_OAUTH2_PASSWORD_BEARER", "oauth2", None, None, None, (), {}),
        SecurityScheme("api_key", "SCHEME_API_KEY", "apiKey", "header", "X-API-Key", None, (), {}),
        SecurityScheme("bearerAuth", "SCHEME_BEARER_AUTH", "http", None, None, "bearer", (), {}),
        SecurityScheme("mtls", "SCHEME_MTLS", "mutualTLS", None, None, None, (), {}),
        SecurityScheme("oidc", "SCHEME_OIDC", "openIdConnect", None, None, None, (), {}),
    )


def test_parse_security_colliding_or_empty_constant_names_are_made_unique() -> None:
    schemes, _ = parse_security(
        _spec(
            {
                "apiKey": {"type": "apiKey", "in": "query", "name": "key"},
                "api_key": {"type": "apiKey", "in": "cookie", "name": "key"},
                "--": {"type": "http", "scheme": "basic"},
            }
        )
    )
    assert [(s.name, s.const) for s in schemes] == [
        ("--", "SCHEME_UNNAMED"),
        ("apiKey", "SCHEME_API_KEY"),
        ("api_key", "SCHEME_API_KEY_2"),
    ]


def test_parse_security_unknown_types_are_skipped_and_refs_are_followed() -> None:
    spec = _spec(
        {
            "custom": {"type": "magic"},
            "broken": "not a scheme",
            "viaRef": {"$ref": "#/components/x-schemes/key"},
        }
    )
    spec["components"]["x-schemes"] = {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}
    schemes, _ = parse_security(spec)
    assert [(s.name, s.type, s.location, s.parameter) for s in schemes] == [("viaRef", "apiKey", "header", "X-Key")]


def test_parse_security_api_key_without_a_valid_location_has_no_parameter() -> None:
    (scheme,), _ = parse_security(_spec({"k": {"type": "apiKey", "in": "body", "name": "token"}}))
    assert (scheme.location, scheme.parameter) == (None, None)


def test_parse_security_oauth2_scopes_are_the_union_of_every_flow_sorted() -> None:
    schemes, scopes = parse_security(
        _spec(
            {
                "oauth": _oauth(
                    password={"pets:write": "w", "pets:read": "r"},
                    clientCredentials={"admin": "a", "pets:read": "r"},
                ),
                "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
            }
        )
    )
    assert {s.name: s.scopes for s in schemes} == {"key": (), "oauth": ("admin", "pets:read", "pets:write")}
    assert scopes == (
        Scope("admin", "SCOPE_ADMIN"),
        Scope("pets:read", "SCOPE_PETS_READ"),
        Scope("pets:write", "SCOPE_PETS_WRITE"),
    )


def test_parse_security_scopes_named_only_by_requirements_are_collected() -> None:
    paths = {
        "/a": {"get": {"security": [{"oauth": ["op:scope"]}, {}], "responses": _OK}},
        "/b": {"$ref": "#/components/pathItems/B"},
        "/c": {"parameters": [], "summary": "no operation carries security here"},
    }
    spec = _spec({"oauth": _oauth(password={"flow:scope": ""}), "key": {"type": "apiKey", "in": "query", "name": "k"}})
    spec["paths"] = paths
    spec["security"] = [{"oauth": ["root:scope"]}]
    # OpenAPI 3.1: the roles of a non-OAuth scheme are listed the same way.
    spec["components"]["pathItems"] = {"B": {"post": {"security": [{"key": ["role:admin"]}], "responses": _OK}}}
    schemes, scopes = parse_security(spec)
    assert [s.value for s in scopes] == ["flow:scope", "op:scope", "role:admin", "root:scope"]
    assert {s.name: s.scopes for s in schemes} == {"key": (), "oauth": ("flow:scope",)}


def test_parse_security_scope_constants_never_collide() -> None:
    _, scopes = parse_security(_spec({"oauth": _oauth(implicit={"items:read": "", "items.read": "", "": ""})}))
    assert scopes == (
        Scope("", "SCOPE_UNNAMED"),
        Scope("items.read", "SCOPE_ITEMS_READ"),
        Scope("items:read", "SCOPE_ITEMS_READ_2"),
    )


def test_parse_security_keeps_only_string_valued_x_extensions_sorted() -> None:
    (scheme,), _ = parse_security(
        _spec(
            {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "sid",
                    "x-csrf-header": "X-CSRF-Token",
                    "x-csrf-cookie": "csrf_token",
                    "x-ttl": 3600,
                    "x-nested": {"a": "b"},
                    "description": "not an extension",
                }
            }
        )
    )
    assert scheme.extensions == {"x-csrf-cookie": "csrf_token", "x-csrf-header": "X-CSRF-Token"}
    assert list(scheme.extensions) == ["x-csrf-cookie", "x-csrf-header"]
