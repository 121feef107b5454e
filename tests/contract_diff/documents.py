"""Small OpenAPI 3.1 documents for the contract-diff tests, and a helper that diffs two of them."""

from __future__ import annotations

import copy
from typing import Any

from scripts.diff_operations import diff_contracts


def document(
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    *,
    parameters: list[dict[str, Any]] | None = None,
    security: list[dict[str, list[str]]] | None = None,
    schemas: dict[str, Any] | None = None,
    version: str = "1.0.0",
) -> dict[str, Any]:
    """Return a document with `POST /things/{thing_id}`: body `#/components/schemas/In`, 200 `#/components/schemas/Out`.

    Both schemas are reached through a $ref, so every rule is exercised through reference resolution.
    """
    operation: dict[str, Any] = {
        "operationId": "createThing",
        "parameters": [
            {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "integer"}},
            *(parameters or []),
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}},
        },
        "responses": {
            "200": {
                "description": "The thing.",
                "headers": {"Location": {"schema": {"type": "string"}}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Out"}}},
            },
            "404": {"description": "No such thing."},
        },
    }
    if security is not None:
        operation["security"] = security
    return {
        "openapi": "3.1.0",
        "info": {"title": "Things", "version": version},
        "paths": {"/things/{thing_id}": {"post": operation}},
        "components": {
            "schemas": {
                "In": request
                if request is not None
                else {"type": "object", "properties": {"name": {"type": "string"}}},
                "Out": response
                if response is not None
                else {"type": "object", "properties": {"id": {"type": "integer"}}},
                **(schemas or {}),
            },
            "securitySchemes": {
                "OAuth2": {
                    "type": "oauth2",
                    "flows": {"password": {"tokenUrl": "/token", "scopes": {"read": "Read.", "write": "Write."}}},
                },
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }


def with_field(schema: dict[str, Any], *, required: bool = False) -> dict[str, Any]:
    """Return an object schema whose property `value` is `schema` (required when asked)."""
    out: dict[str, Any] = {"type": "object", "properties": {"value": copy.deepcopy(schema)}}
    if required:
        out["required"] = ["value"]
    return out


def diff(base: dict[str, Any], head: dict[str, Any]) -> list[str]:
    """Return the report lines of the breaking changes from `base` to `head`."""
    return [finding.line() for finding in diff_contracts(base, head)]
