"""Unit tests of parse_io.py: request bodies, form fields and responses of small inline specs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.generator.helpers import OK, inline_spec, only_operation, parse_inline


def test_parse_success_is_lowest_2xx_and_204_returns_none() -> None:
    op = only_operation(
        inline_spec(
            {
                "/x": {
                    "delete": {
                        "responses": {
                            "404": {"description": "no"},
                            "204": {"description": "gone"},
                            "202": {"description": "later"},
                        }
                    }
                }
            }
        )
    )
    assert (op.success.status, op.success.type_expr, op.statuses) == ("202", "None", (202, 204, 404))


def test_parse_binary_response_is_a_download() -> None:
    op = only_operation(
        inline_spec(
            {
                "/x": {
                    "get": {
                        "responses": {
                            "200": {
                                "description": "f",
                                "content": {
                                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                                },
                            }
                        }
                    }
                }
            }
        )
    )
    assert op.success.type_expr == "Download" and not op.success.is_json


def test_parse_multipart_body_has_one_field_per_part_and_files_are_uploads() -> None:
    schema = {
        "type": "object",
        "required": ["f"],
        "properties": {
            "f": {"type": "string", "format": "binary"},
            "many": {"type": "array", "items": {"type": "string", "format": "binary"}},
            "note": {"type": "string"},
        },
    }
    op = only_operation(
        inline_spec(
            {"/x": {"post": {"requestBody": {"content": {"multipart/form-data": {"schema": schema}}}, "responses": OK}}}
        )
    )
    assert op.body is not None and op.body.kind == "multipart"
    # Sequence in the Protocol: the route passes its `list[UploadFile]`, and list is invariant.
    assert [(f.python_name, f.route_type, f.protocol_type, f.many) for f in op.body.fields] == [
        ("f", "UploadFile", "UploadedFile", False),
        ("many", "list[UploadFile] | None", "Sequence[UploadedFile] | None", True),
        ("note", "str | None", "str | None", False),
    ]


def test_parse_form_body_is_a_model_built_from_fields() -> None:
    schema = {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}
    op = only_operation(
        inline_spec(
            {
                "/x": {
                    "post": {
                        "operationId": "sendForm",
                        "requestBody": {
                            "required": True,
                            "content": {"application/x-www-form-urlencoded": {"schema": schema}},
                        },
                        "responses": OK,
                    }
                }
            }
        )
    )
    assert op.body is not None and (op.body.kind, op.body.model) == ("form", "models.SendFormRequest")
    assert [(f.name, f.route_type) for f in op.body.fields] == [("n", "int")]


def test_parse_form_fields_are_many_for_arrays_including_nullable_type_lists() -> None:
    schema = {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string"}},
            "maybe": {"type": ["array", "null"], "items": {"type": "integer"}},
            "name": {"type": "string"},
        },
    }
    op = only_operation(
        inline_spec(
            {
                "/x": {
                    "post": {
                        "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": schema}}},
                        "responses": OK,
                    }
                }
            }
        )
    )
    assert op.body is not None
    assert [(f.name, f.route_type, f.many) for f in op.body.fields] == [
        ("tags", "list[str] | None", True),
        ("maybe", "list[int] | None", True),
        ("name", "str | None", False),
    ]


def _json_body(schema: dict[str, Any], *, required: bool) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


@pytest.mark.parametrize(
    ("schema", "required", "type_expr", "value_type"),
    [
        ({"$ref": "#/components/schemas/Pet"}, True, "models.Pet", "models.Pet"),
        ({"$ref": "#/components/schemas/Pet"}, False, "models.Pet | None", "models.Pet"),
        # `null` is a value the schema itself allows: an optional body may still be sent as `null`.
        (
            {"oneOf": [{"$ref": "#/components/schemas/Pet"}, {"type": "null"}]},
            False,
            "models.Pet | None",
            "models.Pet | None",
        ),
        ({"type": "array", "items": {"type": "integer"}}, False, "list[int] | None", "list[int]"),
        ({}, False, "Any", "Any"),
    ],
)
def test_parse_json_body_value_type_is_the_type_without_the_none_of_an_optional_body(
    schema: dict[str, Any], required: bool, type_expr: str, value_type: str
) -> None:
    spec = inline_spec(
        {"/x": {"post": {"requestBody": _json_body(schema, required=required), "responses": OK}}},
        {"Pet": {"type": "object", "properties": {"name": {"type": "string"}}}},
    )
    body = only_operation(spec).body
    assert body is not None and (body.kind, body.type_expr, body.value_type) == ("json", type_expr, value_type)


def test_parse_form_and_raw_body_value_types_are_the_model_and_bytes() -> None:
    form = {"type": "object", "properties": {"n": {"type": "integer"}}}
    spec = inline_spec(
        {
            "/form": {
                "post": {
                    "operationId": "sendForm",
                    "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": form}}},
                    "responses": OK,
                }
            },
            "/raw": {
                "post": {
                    "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
                    "responses": OK,
                }
            },
        }
    )
    bodies = {op.path: op.body for op in parse_inline(spec)[0].operations}
    assert bodies["/form"] is not None and bodies["/raw"] is not None
    assert (bodies["/form"].kind, bodies["/form"].value_type) == ("form", "models.SendFormRequest")
    assert (bodies["/raw"].kind, bodies["/raw"].type_expr, bodies["/raw"].value_type) == ("raw", "bytes", "bytes")
