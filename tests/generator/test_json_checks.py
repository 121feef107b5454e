"""JSON bodies whose schema the models cannot fully enforce get a JSON Schema check too (issue 11, class 12)."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.json_checks import closure, json_schema, needs_check
from scripts.runtime import InvalidRequest, SchemaCheck
from scripts.schemas import prepare
from tests.generator.helpers import OK, inline_spec, only_operation

_SHAPES = {
    "Circle": {"type": "object", "required": ["radius"], "properties": {"radius": {"type": "number"}}},
    "Square": {"type": "object", "properties": {"side": {"type": "number"}}},
    "Shape": {"oneOf": [{"$ref": "#/components/schemas/Circle"}, {"$ref": "#/components/schemas/Square"}]},
    "Box": {"type": "object", "properties": {"shape": {"$ref": "#/components/schemas/Shape"}}},
    "Plain": {"type": "object", "properties": {"n": {"anyOf": [{"type": "integer"}, {"type": "string"}]}}},
}


def _spec(schema: dict[str, Any]) -> dict[str, Any]:
    body = {"required": True, "content": {"application/json": {"schema": schema}}}
    return inline_spec({"/s": {"post": {"requestBody": body, "responses": OK}}}, dict(_SHAPES))


def test_a_oneof_reached_through_refs_needs_a_check_and_plain_models_do_not() -> None:
    spec = prepare(_spec({"$ref": "#/components/schemas/Box"}))
    assert needs_check(spec, {"$ref": "#/components/schemas/Box"})
    assert closure(spec, {"$ref": "#/components/schemas/Box"}) == {"Box", "Shape", "Circle", "Square"}
    assert not needs_check(spec, {"$ref": "#/components/schemas/Plain"})
    assert needs_check(spec, {"type": "array", "prefixItems": [{"type": "integer"}]})


def test_the_parsed_body_carries_its_schema_and_refs_only_when_needed() -> None:
    op = only_operation(_spec({"$ref": "#/components/schemas/Box"}))
    assert op.body is not None and op.body.check == {"$ref": "#/components/schemas/Box"}
    assert op.body.check_refs == ("Box", "Circle", "Shape", "Square")
    plain = only_operation(_spec({"$ref": "#/components/schemas/Plain"}))
    assert plain.body is not None and plain.body.check is None and plain.body.check_refs == ()


def test_openapi30_nullable_becomes_or_null_and_31_schemas_stay_as_they_are() -> None:
    node = {"type": "object", "properties": {"a": {"type": "string", "nullable": True, "example": {"nullable": True}}}}
    assert json_schema(node, openapi31=False) == {
        "type": "object",
        "properties": {"a": {"anyOf": [{"type": "null"}, {"type": "string", "example": {"nullable": True}}]}},
    }
    assert json_schema(node, openapi31=True) == node


def _components() -> dict[str, Any]:
    return {name: json_schema(schema, openapi31=True) for name, schema in _SHAPES.items()}


def _errors(check: SchemaCheck, document: object) -> list[dict[str, Any]]:
    with pytest.raises(InvalidRequest) as caught:
        check.validate(document)
    errors: list[dict[str, Any]] = caught.value.extensions["errors"]
    return errors


def test_schema_check_enforces_exactly_one_oneof_alternative() -> None:
    check = SchemaCheck({"$ref": "#/components/schemas/Box"}, _components(), draft="2020-12")
    check.validate({"shape": {"radius": 1, "side": "x"}})  # a Circle only: `side` must be a number for a Square
    assert _errors(check, {"shape": {"radius": 1}}) == [
        {
            "loc": ["body", "shape"],
            "msg": "Input should match exactly one of the oneOf alternatives, not 2",
            "type": "json_schema_oneOf",
        }
    ]
    assert _errors(check, {"shape": {"side": "x"}})[0]["msg"].endswith("not none")


def test_schema_check_enforces_prefix_items_with_the_draft_of_the_document() -> None:
    pair = {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "items": False}
    check = SchemaCheck(pair, {}, draft="2020-12")
    check.validate([1, "a"])
    assert [e["loc"] for e in _errors(check, [1, 2])] == [["body", 1]]
    assert _errors(check, [1, "a", 3])[0]["type"] == "json_schema_items"
    # Draft 4 (3.0 documents) knows no prefixItems; nullable was rewritten to "or null" by the generator.
    draft4 = SchemaCheck(
        {"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 0, "exclusiveMinimum": True}]}, {}, draft="4"
    )
    draft4.validate(None)
    assert _errors(draft4, 0)[0]["type"] == "json_schema_anyOf"


def test_a_long_message_is_cut() -> None:
    check = SchemaCheck({"not": {"type": "string"}}, {}, draft="2020-12")
    (error,) = _errors(check, "x" * 1000)
    assert len(error["msg"]) <= 200 and error["msg"].endswith("...")


def test_an_allof_narrowing_a_property_needs_a_check_a_plain_merge_does_not() -> None:
    base = {"type": "object", "required": ["n"], "properties": {"n": {"type": "number"}}}
    spec = inline_spec({}, {"Base": base})
    narrowed = {"allOf": [{"$ref": "#/components/schemas/Base"}, {"properties": {"n": {"type": "integer"}}}]}
    merged = {"allOf": [{"$ref": "#/components/schemas/Base"}, {"properties": {"m": {"type": "integer"}}}]}
    assert needs_check(spec, narrowed)
    assert not needs_check(spec, merged)
    check = SchemaCheck(narrowed, {"Base": base}, draft="2020-12")
    check.validate({"n": 2})
    assert _errors(check, {"n": 2.5})[0]["loc"] == ["body", "n"]
