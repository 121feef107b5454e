"""Schema rules in both directions: narrowing a request input breaks, widening a response output breaks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract_diff.documents import diff, document, with_field

# (case, base field schema, head field schema, text of the finding): every change narrows what the field allows,
# so on the request side (base -> head) it breaks and the mirror (head -> base) widens it, which does not.
NARROWINGS: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    (
        "nullable removed",
        {"type": ["string", "null"]},
        {"type": "string"},
        "type narrowed from [null, string] to string",
    ),
    ("number to integer", {"type": "number"}, {"type": "integer"}, "type narrowed from number to integer"),
    ("type added", {}, {"type": "string"}, "type narrowed from any type to string"),
    (
        "enum value removed",
        {"type": "string", "enum": ["a", "b"]},
        {"type": "string", "enum": ["a"]},
        'enum value(s) removed: "b"',
    ),
    ("enum added", {"type": "string"}, {"type": "string", "enum": ["a"]}, "enum constraint added"),
    ("const", {"type": "string", "enum": ["a", "b"]}, {"const": "a"}, 'enum value(s) removed: "b"'),
    ("format added", {"type": "string"}, {"type": "string", "format": "uuid"}, "format narrowed from none to uuid"),
    (
        "format int64 to int32",
        {"type": "integer", "format": "int64"},
        {"type": "integer", "format": "int32"},
        "format narrowed from int64 to int32",
    ),
    (
        "minimum raised",
        {"type": "integer", "minimum": 0},
        {"type": "integer", "minimum": 1},
        "minimum narrowed from minimum 0 to minimum 1",
    ),
    (
        "minimum made exclusive",
        {"type": "number", "minimum": 0},
        {"type": "number", "exclusiveMinimum": 0},
        "to exclusiveMinimum 0",
    ),
    (
        "maximum added",
        {"type": "integer"},
        {"type": "integer", "maximum": 10},
        "maximum narrowed from none to maximum 10",
    ),
    (
        "exclusiveMaximum lowered",
        {"type": "number", "exclusiveMaximum": 10},
        {"type": "number", "exclusiveMaximum": 9},
        "maximum narrowed",
    ),
    (
        "minLength raised",
        {"type": "string", "minLength": 1},
        {"type": "string", "minLength": 2},
        "minLength narrowed from 1 to 2",
    ),
    (
        "maxLength lowered",
        {"type": "string", "maxLength": 300},
        {"type": "string", "maxLength": 200},
        "maxLength narrowed from 300 to 200",
    ),
    ("minItems added", {"type": "array"}, {"type": "array", "minItems": 1}, "minItems narrowed from none to 1"),
    (
        "maxItems lowered",
        {"type": "array", "maxItems": 20},
        {"type": "array", "maxItems": 10},
        "maxItems narrowed from 20 to 10",
    ),
    (
        "pattern added",
        {"type": "string"},
        {"type": "string", "pattern": "^[a-z]+$"},
        "pattern changed from none to '^[a-z]+$'",
    ),
    (
        "multipleOf added",
        {"type": "integer"},
        {"type": "integer", "multipleOf": 5},
        "multipleOf narrowed from none to 5",
    ),
    ("uniqueItems added", {"type": "array"}, {"type": "array", "uniqueItems": True}, "uniqueItems narrowed"),
    (
        "array items narrowed",
        {"type": "array", "items": {"type": "string"}},
        {"type": "array", "items": {"type": "string", "maxLength": 5}},
        ".value[]: maxLength narrowed",
    ),
    (
        "oneOf alternative removed",
        {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        {"oneOf": [{"type": "string"}]},
        "type narrowed from integer to string",
    ),
    (
        "anyOf to one type",
        {"anyOf": [{"type": "string"}, {"type": "null"}]},
        {"type": "string"},
        "type narrowed from null to string",
    ),
    (
        "allOf adds a bound",
        {"type": "string"},
        {"allOf": [{"type": "string"}, {"maxLength": 3}]},
        "maxLength narrowed from none to 3",
    ),
    (
        "3.0 nullable removed",
        {"type": "string", "nullable": True},
        {"type": "string"},
        "type narrowed from [null, string] to string",
    ),
]

# (case, base object schema, head object schema, text): object-level narrowings of a request body.
OBJECT_NARROWINGS: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    (
        "new required field",
        {"type": "object", "properties": {"name": {"type": "string"}}},
        {"type": "object", "required": ["sku"], "properties": {"name": {"type": "string"}, "sku": {"type": "string"}}},
        "$.sku: new required field",
    ),
    (
        "optional field made required",
        {"type": "object", "properties": {"name": {"type": "string"}}},
        {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
        "$.name: optional field made required",
    ),
    (
        "additionalProperties false added",
        {"type": "object", "properties": {"name": {"type": "string"}}},
        {"type": "object", "additionalProperties": False, "properties": {"name": {"type": "string"}}},
        "additionalProperties: false added",
    ),
    (
        "property dropped from a closed object",
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "old": {"type": "string"}},
        },
        {"type": "object", "additionalProperties": False, "properties": {"name": {"type": "string"}}},
        "$.old: property removed",
    ),
    (
        "required field added through allOf",
        {"allOf": [{"$ref": "#/components/schemas/Base"}]},
        {"allOf": [{"$ref": "#/components/schemas/Base"}, {"required": ["name"]}]},
        "$.name: optional field made required",
    ),
]


def _request_field(field: dict[str, Any]) -> dict[str, Any]:
    # The field sits in an array of objects reached through a second $ref: nesting and refs are both crossed.
    return document(
        {"type": "object", "properties": {"list": {"type": "array", "items": {"$ref": "#/components/schemas/Row"}}}},
        schemas={"Row": with_field(field)},
    )


def _response_field(field: dict[str, Any]) -> dict[str, Any]:
    return document(
        response={"type": "object", "properties": {"row": {"$ref": "#/components/schemas/Row"}}},
        schemas={"Row": with_field(field, required=True)},
    )


@pytest.mark.parametrize(
    ("base", "head", "text"), [case[1:] for case in NARROWINGS], ids=[case[0] for case in NARROWINGS]
)
def test_narrowed_request_input_is_breaking_and_its_widening_is_not(
    base: dict[str, Any], head: dict[str, Any], text: str
) -> None:
    findings = diff(_request_field(base), _request_field(head))
    assert any(
        text in line and "POST /things/{thing_id} request body (application/json) $.list[].value" in line
        for line in findings
    ), findings
    assert diff(_request_field(head), _request_field(base)) == []


@pytest.mark.parametrize(
    ("base", "head", "text"), [case[1:] for case in NARROWINGS], ids=[case[0] for case in NARROWINGS]
)
def test_widened_response_output_is_breaking_and_its_narrowing_is_not(
    base: dict[str, Any], head: dict[str, Any], text: str
) -> None:
    # The mirror of a request narrowing: the response goes from the narrow schema (head above) to the wide one.
    findings = diff(_response_field(head), _response_field(base))
    assert any("response 200 (application/json) $.row.value" in line for line in findings), findings
    assert diff(_response_field(base), _response_field(head)) == []


@pytest.mark.parametrize(
    ("base", "head", "text"), [case[1:] for case in OBJECT_NARROWINGS], ids=[case[0] for case in OBJECT_NARROWINGS]
)
def test_narrowed_request_object_is_breaking_and_its_widening_is_not(
    base: dict[str, Any], head: dict[str, Any], text: str
) -> None:
    schemas = {"Base": {"type": "object", "properties": {"name": {"type": "string"}}}}
    findings = diff(document(base, schemas=schemas), document(head, schemas=schemas))
    assert any(text in line for line in findings), findings
    assert diff(document(head, schemas=schemas), document(base, schemas=schemas)) == []


def test_response_type_made_nullable_says_so() -> None:
    findings = diff(_response_field({"type": "string"}), _response_field({"type": ["string", "null"]}))
    assert findings == [
        "POST /things/{thing_id} response 200 (application/json) $.row.value: type widened from string to "
        "[null, string] — clients may now receive null values (made nullable)"
    ]


def test_response_enum_value_added_is_breaking() -> None:
    findings = diff(_response_field({"enum": ["a"]}), _response_field({"enum": ["a", "b"]}))
    assert findings == [
        'POST /things/{thing_id} response 200 (application/json) $.row.value: enum value(s) added: "b" — '
        "clients may now receive values they do not handle"
    ]


def test_removed_response_field_is_breaking_and_an_added_one_is_not() -> None:
    wide = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
    narrow = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
    findings = diff(document(response=wide), document(response=narrow))
    assert findings == [
        "POST /things/{thing_id} response 200 (application/json) $.name: response field removed — "
        "clients reading it no longer get it"
    ]
    assert diff(document(response=narrow), document(response=wide)) == []


def test_response_field_made_optional_is_breaking_and_made_required_is_not() -> None:
    required = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
    optional = {"type": "object", "properties": {"id": {"type": "integer"}}}
    findings = diff(document(response=required), document(response=optional))
    assert findings == [
        "POST /things/{thing_id} response 200 (application/json) $.id: field no longer required — "
        "clients relying on it may find it missing"
    ]
    assert diff(document(response=optional), document(response=required)) == []


def test_oneof_response_gaining_an_alternative_is_breaking_and_losing_one_is_not() -> None:
    schemas = {
        "Cat": {"type": "object", "required": ["meow"], "properties": {"meow": {"type": "string"}}},
        "Dog": {"type": "object", "required": ["bark"], "properties": {"bark": {"type": "integer"}}},
    }
    one = document(response={"oneOf": [{"$ref": "#/components/schemas/Cat"}]}, schemas=schemas)
    two = document(
        response={"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}]},
        schemas=schemas,
    )
    assert diff(one, two) != []
    assert diff(two, one) == []


def test_a_narrowed_oneof_alternative_is_reported_inside_it() -> None:
    def doc(dog_bark: dict[str, Any]) -> dict[str, Any]:
        schemas = {
            "Cat": {"type": "object", "required": ["meow"], "properties": {"meow": {"type": "string"}}},
            "Dog": {"type": "object", "required": ["bark"], "properties": {"bark": dog_bark}},
        }
        return document(
            {"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}]}, schemas=schemas
        )

    findings = diff(doc({"type": "integer"}), doc({"type": "integer", "maximum": 9}))
    assert any("$<oneOf[1]>.bark: maximum narrowed from none to maximum 9" in line for line in findings), findings
    assert diff(doc({"type": "integer", "maximum": 9}), doc({"type": "integer"})) == []


def test_recursive_schemas_terminate_and_report_a_change_deep_inside() -> None:
    def doc(name: dict[str, Any]) -> dict[str, Any]:
        tree = {
            "type": "object",
            "properties": {"name": name, "children": {"type": "array", "items": {"$ref": "#/components/schemas/In"}}},
        }
        return document(tree)

    assert diff(doc({"type": "string"}), doc({"type": "string"})) == []
    findings = diff(doc({"type": "string"}), doc({"type": "string", "maxLength": 5}))
    assert any("$.name: maxLength narrowed" in line for line in findings), findings


def test_read_only_fields_are_ignored_in_requests_and_write_only_fields_in_responses() -> None:
    base = {
        "type": "object",
        "properties": {"id": {"type": "integer", "readOnly": True}, "password": {"type": "string", "writeOnly": True}},
    }
    head = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer", "readOnly": True}}}
    assert diff(document(base, base), document(head, head)) == []


def test_widening_a_request_input_is_not_breaking() -> None:
    base = with_field({"type": "string", "enum": ["a"], "maxLength": 3, "format": "uuid"})
    head = with_field({"type": ["string", "integer", "null"], "enum": ["a", "b", 1, None], "maxLength": 30})
    assert diff(document(base), document(head)) == []


def test_new_optional_request_field_and_new_optional_response_field_are_not_breaking() -> None:
    base = {"type": "object", "properties": {"name": {"type": "string"}}}
    head = {"type": "object", "properties": {"name": {"type": "string"}, "note": {"type": "string", "maxLength": 5}}}
    assert diff(document(base, base), document(head, head)) == []
