"""readOnly is relaxed in request models, writeOnly in response models (issue 11, class 4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from scripts.generate import generate
from scripts.schemas import prepare
from tests.generator.helpers import OK, import_package, inline_spec

FIXTURE = Path(__file__).parent / "fidelity" / "class04-read-write-only.yaml"

_ACCOUNT = {
    "type": "object",
    "required": ["id", "name", "password"],
    "properties": {
        "id": {"type": "integer", "readOnly": True},
        "name": {"type": "string"},
        "password": {"type": "string", "writeOnly": True},
    },
}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "ok", "content": {"application/json": {"schema": schema}}}


def test_schema_used_both_ways_gets_an_input_copy_and_serves_responses_itself() -> None:
    ref = {"$ref": "#/components/schemas/Account"}
    spec = inline_spec(
        {"/a": {"post": {"requestBody": _body(ref), "responses": {"200": _json(ref)}}}}, {"Account": _ACCOUNT}
    )
    out = prepare(spec)
    schemas = out["components"]["schemas"]
    assert schemas["AccountInput"]["required"] == ["name", "password"]
    # After the request copy, Account is left to the response: writeOnly relaxed in place, no Output copy.
    assert schemas["Account"]["required"] == ["id", "name"]
    assert "AccountOutput" not in schemas
    op = out["paths"]["/a"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/AccountInput"}
    assert op["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Account"}


def test_schema_used_one_way_is_relaxed_in_place_and_nested_refs_follow() -> None:
    team = {
        "type": "object",
        "required": ["lead"],
        "properties": {"lead": {"$ref": "#/components/schemas/Account"}},
    }
    spec = inline_spec(
        {
            "/a": {"get": {"responses": {"200": _json({"$ref": "#/components/schemas/Account"})}}},
            "/t": {
                "put": {
                    "requestBody": _body({"type": "array", "items": {"$ref": "#/components/schemas/Team"}}),
                    "responses": OK,
                }
            },
        },
        {"Account": _ACCOUNT, "Team": team},
    )
    schemas = prepare(spec)["components"]["schemas"]
    # Team only in requests: relaxed where it is; Account both ways: its request copy is what Team refers to.
    assert schemas["Team"]["properties"]["lead"] == {"$ref": "#/components/schemas/AccountInput"}
    assert schemas["AccountInput"]["required"] == ["name", "password"]
    # Account is left to the response: writeOnly relaxed in place, no Output copy.
    assert schemas["Account"]["required"] == ["id", "name"]
    assert "AccountOutput" not in schemas


def test_nothing_changes_without_readonly_or_writeonly_in_required() -> None:
    account = {**_ACCOUNT, "required": ["name"]}
    ref = {"$ref": "#/components/schemas/Account"}
    spec = inline_spec(
        {"/a": {"post": {"requestBody": _body(ref), "responses": {"200": _json(ref)}}}}, {"Account": account}
    )
    assert prepare(spec)["components"]["schemas"] == {"Account": account}


def test_generated_models_relax_each_direction(tmp_path: Path) -> None:
    generate(FIXTURE, tmp_path / "gen_class04", display="class04.yaml")
    models = import_package(tmp_path, "gen_class04.models")
    models.AccountInput.model_validate({"name": "a", "password": "p"})
    models.Account.model_validate({"id": 1, "name": "a"})
    models.Secret.model_validate({"value": "v"})  # request only: relaxed in place
    with pytest.raises(ValidationError):
        models.AccountInput.model_validate({"id": 1, "name": "a"})  # writeOnly stays required in requests
    with pytest.raises(ValidationError):
        models.Account.model_validate({"name": "a", "password": "p"})  # readOnly stays required in responses
    with pytest.raises(ValidationError):
        models.AccountInput.model_validate({"id": "x", "name": "a", "password": "p"})  # still typed when sent


def test_writeonly_schema_used_both_ways_gets_an_output_copy() -> None:
    cred = {
        "type": "object",
        "required": ["user", "password"],
        "properties": {"user": {"type": "string"}, "password": {"type": "string", "writeOnly": True}},
    }
    ref = {"$ref": "#/components/schemas/Cred"}
    spec = inline_spec({"/c": {"post": {"requestBody": _body(ref), "responses": {"200": _json(ref)}}}}, {"Cred": cred})
    out = prepare(spec)
    schemas = out["components"]["schemas"]
    assert schemas["Cred"]["required"] == ["user", "password"]
    assert schemas["CredOutput"]["required"] == ["user"]
    response = out["paths"]["/c"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert response == {"$ref": "#/components/schemas/CredOutput"}
