"""Unit tests of parse.py (and the stages feeding it) on small inline specs, one construct per test."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from scripts.parse import Operation, Tag, parse
from scripts.schemas import GenerationError, Models, prepare, run_datamodel_codegen
from scripts.typeexpr import TypeRenderer

_OK = {"200": {"description": "ok"}}


def _spec(paths: dict[str, Any], schemas: dict[str, Any] | None = None, **components: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths}
    if schemas is not None or components:
        spec["components"] = {**components, **({"schemas": schemas} if schemas is not None else {})}
    return spec


def _parse(spec: dict[str, Any], models: Models | None = None) -> tuple[Tag, ...]:
    prepared = prepare(spec)
    return parse(prepared, TypeRenderer(prepared, models or run_datamodel_codegen(prepared)))


def _only(spec: dict[str, Any]) -> Operation:
    (tag,) = _parse(spec)
    (op,) = tag.operations
    return op


def test_parse_operation_without_operation_id_gets_method_path_name() -> None:
    op = _only(_spec({"/pets/{id}": {"get": {"parameters": [_path("id")], "responses": _OK}}}))
    assert (op.python_name, op.operation_id) == ("get_pets_id", "get_pets_id")


def test_parse_operation_id_becomes_snake_case_and_duplicates_get_suffix() -> None:
    spec = _spec(
        {
            "/a": {"get": {"operationId": "listPets", "responses": _OK}},
            "/b": {"get": {"responses": _OK}},
            "/c": {"get": {"operationId": "get_b", "responses": _OK}},
        }
    )
    names = sorted(op.python_name for tag in _parse(spec) for op in tag.operations)
    assert names == ["get_b", "get_b_2", "list_pets"]


def test_parse_operation_without_tags_goes_to_default_tag() -> None:
    op = _only(_spec({"/x": {"get": {"responses": _OK}}}))
    assert (op.tag, op.module, op.service) == ("default", "default", "DefaultService")


def test_parse_tag_names_become_identifier_modules_and_pascal_services() -> None:
    spec = _spec(
        {
            "/a": {"get": {"tags": ["1"], "responses": _OK}},
            "/b": {"get": {"tags": ["import"], "responses": _OK}},
            "/c": {"get": {"tags": ["Pet Store"], "responses": _OK}},
        }
    )
    assert [(t.name, t.module, t.service) for t in _parse(spec)] == [
        ("import", "import_", "ImportService"),
        ("Pet Store", "pet_store", "PetStoreService"),
        ("1", "tag_1", "Tag1Service"),
    ]


def _path(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}


def test_parse_param_keywords_and_reserved_names_get_trailing_underscore_and_keep_alias() -> None:
    params = [{"name": n, "in": "query", "schema": {"type": "string"}} for n in ("from", "body", "request", "userId")]
    op = _only(_spec({"/x": {"get": {"parameters": params, "responses": _OK}}}))
    assert [(p.python_name, p.alias) for p in op.parameters] == [
        ("from_", "from"),
        ("body_", "body"),
        ("request_", "request"),
        ("user_id", "userId"),
    ]


def test_parse_same_param_name_in_several_locations_is_made_unique() -> None:
    params = [{"name": "p", "in": loc, "schema": {"type": "string"}} for loc in ("cookie", "header", "query")]
    op = _only(_spec({"/x/{p}": {"get": {"parameters": [_path("p"), *params], "responses": _OK}}}))
    assert [(p.python_name, p.location) for p in op.parameters] == [
        ("p", "path"),
        ("p_query", "query"),
        ("p_header", "header"),
        ("p_cookie", "cookie"),
    ]


def test_parse_param_ref_chain_and_schema_ref_chain_are_resolved() -> None:
    spec = _spec(
        {"/x/{id}": {"get": {"parameters": [{"$ref": "#/components/parameters/A"}], "responses": _OK}}},
        {
            "Outer": {"$ref": "#/components/schemas/Inner"},
            "Inner": {"type": "integer", "format": "int32", "minimum": 1},
        },
        parameters={
            "A": {"$ref": "#/components/parameters/B"},
            "B": _path("id", {"$ref": "#/components/schemas/Outer"}),
        },
    )
    (param,) = _only(spec).parameters
    assert (param.type_expr, param.constraints) == ("int", (("ge", "1"), ("le", "2147483647")))


def test_parse_path_level_params_are_merged_and_overridden_by_operation_params() -> None:
    shared = {"name": "q", "in": "query", "schema": {"type": "string"}}
    override = {"name": "q", "in": "query", "required": True, "schema": {"type": "integer"}}
    op = _only(_spec({"/x": {"parameters": [shared], "get": {"parameters": [override], "responses": _OK}}}))
    assert [(p.name, p.type_expr, p.required) for p in op.parameters] == [("q", "int", True)]


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string", "format": "uuid"}, "uuid.UUID"),
        ({"type": "string", "format": "date-time"}, "datetime.datetime"),
        ({"type": "string", "enum": ["a", "b"]}, 'Literal["a", "b"]'),
        ({"type": "array", "items": {"type": "integer"}}, "list[int]"),
        ({"type": ["integer", "null"]}, "int | None"),
        ({"type": "string", "nullable": True}, "str | None"),
        ({"oneOf": [{"type": "number"}, {"type": "null"}]}, "float | None"),
        ({}, "Any"),
    ],
)
def test_parse_required_query_param_types(schema: dict[str, Any], expected: str) -> None:
    param = {"name": "v", "in": "query", "required": True, "schema": schema}
    (p,) = _only(_spec({"/x": {"get": {"parameters": [param], "responses": _OK}}})).parameters
    assert p.type_expr == expected


def test_parse_optional_param_is_nullable_unless_it_has_a_fitting_default() -> None:
    params = [
        {"name": "a", "in": "query", "schema": {"type": "integer"}},
        {"name": "b", "in": "query", "schema": {"type": "integer", "default": 5}},
        {"name": "c", "in": "query", "schema": {"type": "integer", "default": "x"}},
    ]
    op = _only(_spec({"/x": {"get": {"parameters": params, "responses": _OK}}}))
    assert [(p.type_expr, p.default) for p in op.parameters] == [
        ("int | None", "None"),
        ("int", "5"),
        ("int | None", "None"),
    ]


def test_parse_int64_param_without_bounds_gets_the_format_range() -> None:
    op = _only(
        _spec(
            {
                "/x/{id}": {
                    "get": {
                        "parameters": [_path("id", {"type": "integer", "format": "int64", "exclusiveMinimum": 0})],
                        "responses": _OK,
                    }
                }
            }
        )
    )
    assert op.parameters[0].constraints == (("gt", "0"), ("le", str(2**63 - 1)))


def test_parse_enum_param_ref_uses_the_models_enum_class() -> None:
    spec = _spec(
        {
            "/x": {
                "get": {
                    "parameters": [
                        {
                            "name": "s",
                            "in": "query",
                            "required": True,
                            "schema": {"$ref": "#/components/schemas/Status"},
                        }
                    ],
                    "responses": _OK,
                }
            }
        },
        {"Status": {"type": "string", "enum": ["on", "off"]}},
    )
    assert _only(spec).parameters[0].type_expr == "models.Status"


def test_parse_header_params_accept_content_type_authorization_are_ignored() -> None:
    params = [{"name": n, "in": "header", "schema": {"type": "string"}} for n in ("Accept", "Authorization", "X-Id")]
    op = _only(_spec({"/x": {"get": {"parameters": params, "responses": _OK}}}))
    assert [p.name for p in op.parameters] == ["X-Id"]


def test_parse_hyphenated_path_param_is_routed_under_its_python_name() -> None:
    op = _only(_spec({"/x/{item-id}": {"get": {"parameters": [_path("item-id")], "responses": _OK}}}))
    assert (op.path, op.route_path, op.parameters[0].alias) == ("/x/{item-id}", "/x/{item_id}", "item_id")


def test_parse_inline_request_and_response_objects_are_lifted_to_named_models() -> None:
    obj = {"type": "object", "properties": {"a": {"type": "string"}}}
    spec = _spec(
        {
            "/x": {
                "post": {
                    "operationId": "makeThing",
                    "requestBody": {"content": {"application/json": {"schema": obj}}},
                    "responses": {
                        "200": {"description": "ok", "content": {"application/json": {"schema": obj}}},
                        "400": {"description": "bad", "content": {"application/json": {"schema": obj}}},
                    },
                }
            }
        }
    )
    op = _only(spec)
    assert op.body is not None and op.body.type_expr == "models.MakeThingRequest | None"
    assert op.success.type_expr == "models.MakeThingResponse200"


def test_parse_dotted_and_keyword_schema_names_are_sanitised_everywhere() -> None:
    spec = _spec(
        {
            "/x": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/a.b.Model"}}
                                }
                            },
                        }
                    }
                }
            }
        },
        {
            "a.b.Model": {"type": "object", "properties": {"n": {"$ref": "#/components/schemas/None"}}},
            "None": {"type": "string"},
        },
    )
    assert _only(spec).success.type_expr == "list[models.ABModel]"
    assert set(prepare(spec)["components"]["schemas"]) == {"ABModel", "NoneModel"}


def test_parse_ref_to_a_class_datamodel_codegen_did_not_emit_fails_clearly() -> None:
    spec = _spec(
        {
            "/x": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Gone"}}},
                        }
                    }
                }
            }
        },
        {"Gone": {"type": "object"}},
    )
    with pytest.raises(GenerationError, match=r"Gone.*no generated class"):
        _parse(spec, Models("", frozenset(), frozenset()))


def test_parse_success_is_lowest_2xx_and_204_returns_none() -> None:
    op = _only(
        _spec(
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
    op = _only(
        _spec(
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
    op = _only(
        _spec(
            {
                "/x": {
                    "post": {"requestBody": {"content": {"multipart/form-data": {"schema": schema}}}, "responses": _OK}
                }
            }
        )
    )
    assert op.body is not None and op.body.kind == "multipart"
    assert [(f.python_name, f.route_type, f.protocol_type) for f in op.body.fields] == [
        ("f", "UploadFile", "UploadedFile"),
        ("many", "list[UploadFile] | None", "list[UploadedFile] | None"),
        ("note", "str | None", "str | None"),
    ]


def test_parse_form_body_is_a_model_built_from_fields() -> None:
    schema = {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}
    op = _only(
        _spec(
            {
                "/x": {
                    "post": {
                        "operationId": "sendForm",
                        "requestBody": {
                            "required": True,
                            "content": {"application/x-www-form-urlencoded": {"schema": schema}},
                        },
                        "responses": _OK,
                    }
                }
            }
        )
    )
    assert op.body is not None and (op.body.kind, op.body.model) == ("form", "models.SendFormRequest")
    assert [(f.name, f.route_type) for f in op.body.fields] == [("n", "int")]


def test_parse_security_operation_overrides_root_and_empty_alternative_is_kept() -> None:
    spec = _spec(
        {
            "/a": {"get": {"responses": _OK}},
            "/b": {"get": {"security": [{"oauth": ["read"], "key": []}, {}], "responses": _OK}},
            "/c": {"get": {"security": [], "responses": _OK}},
        }
    )
    spec["security"] = [{"key": []}]
    ops = {op.path: op.security for op in _parse(spec)[0].operations}
    assert ops == {"/a": ({"key": ()},), "/b": ({"key": (), "oauth": ("read",)}, {}), "/c": ()}


def test_parse_location_link_maps_path_params_to_response_body_fields() -> None:
    spec = _spec(
        {
            "/pets": {
                "post": {
                    "operationId": "createPet",
                    "responses": {
                        "201": {
                            "description": "c",
                            "headers": {"Location": {"schema": {"type": "string"}}},
                            "links": {"self": {"operationId": "getPet", "parameters": {"petId": "$response.body#/id"}}},
                        }
                    },
                }
            },
            "/pets/{petId}": {"get": {"operationId": "getPet", "parameters": [_path("petId")], "responses": _OK}},
        }
    )
    create = next(op for op in _parse(spec)[0].operations if op.operation_id == "createPet")
    assert create.location is not None and (create.location.path, create.location.fields) == (
        "/pets/{petId}",
        (("petId", "id"),),
    )


def test_parse_routes_put_literal_paths_before_templated_ones() -> None:
    spec = _spec(
        {
            "/items/{id}": {"get": {"parameters": [_path("id")], "responses": _OK}},
            "/items/mine": {"get": {"responses": _OK}},
        }
    )
    assert [op.path for op in _parse(spec)[0].operations] == ["/items/mine", "/items/{id}"]


def test_parse_does_not_mutate_the_loaded_spec() -> None:
    spec = _spec(
        {
            "/x": {
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                    "responses": _OK,
                }
            }
        },
        {"a.b": {"type": "string"}},
    )
    before = copy.deepcopy(spec)
    _parse(spec)
    assert spec == before
