"""Unit tests of parse.py (and the stages feeding it) on small inline specs, one construct per test."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from scripts.schemas import GenerationError, Models, prepare
from tests.generator.helpers import OK, inline_spec, only_operation, parse_inline


def test_parse_operation_without_operation_id_gets_method_path_name() -> None:
    op = only_operation(inline_spec({"/pets/{id}": {"get": {"parameters": [_path("id")], "responses": OK}}}))
    assert (op.python_name, op.operation_id) == ("get_pets_id", "get_pets_id")


def test_parse_operation_id_becomes_snake_case_and_duplicates_get_suffix() -> None:
    spec = inline_spec(
        {
            "/a": {"get": {"operationId": "listPets", "responses": OK}},
            "/b": {"get": {"responses": OK}},
            "/c": {"get": {"operationId": "get_b", "responses": OK}},
        }
    )
    names = sorted(op.python_name for tag in parse_inline(spec) for op in tag.operations)
    assert names == ["get_b", "get_b_2", "list_pets"]


def test_parse_operation_without_tags_goes_to_default_tag() -> None:
    op = only_operation(inline_spec({"/x": {"get": {"responses": OK}}}))
    assert (op.tag, op.module, op.service) == ("default", "default", "DefaultService")


def test_parse_tag_names_become_identifier_modules_and_pascal_services() -> None:
    spec = inline_spec(
        {
            "/a": {"get": {"tags": ["1"], "responses": OK}},
            "/b": {"get": {"tags": ["import"], "responses": OK}},
            "/c": {"get": {"tags": ["Pet Store"], "responses": OK}},
        }
    )
    assert [(t.name, t.module, t.service) for t in parse_inline(spec)] == [
        ("import", "import_", "ImportService"),
        ("Pet Store", "pet_store", "PetStoreService"),
        ("1", "tag_1", "Tag1Service"),
    ]


def test_parse_tag_named_like_a_services_member_gets_another_module() -> None:
    (tag,) = parse_inline(inline_spec({"/a": {"get": {"tags": ["unimplemented"], "responses": OK}}}))
    assert (tag.name, tag.module, tag.service) == ("unimplemented", "unimplemented_2", "UnimplementedService")


def _path(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}


def test_parse_param_keywords_and_reserved_names_get_trailing_underscore_and_keep_alias() -> None:
    params = [{"name": n, "in": "query", "schema": {"type": "string"}} for n in ("from", "body", "request", "userId")]
    op = only_operation(inline_spec({"/x": {"get": {"parameters": params, "responses": OK}}}))
    assert [(p.python_name, p.alias) for p in op.parameters] == [
        ("from_", "from"),
        ("body_", "body"),
        ("request_", "request"),
        ("user_id", "userId"),
    ]


def test_parse_same_param_name_in_several_locations_is_made_unique() -> None:
    params = [{"name": "p", "in": loc, "schema": {"type": "string"}} for loc in ("cookie", "header", "query")]
    op = only_operation(inline_spec({"/x/{p}": {"get": {"parameters": [_path("p"), *params], "responses": OK}}}))
    assert [(p.python_name, p.location) for p in op.parameters] == [
        ("p", "path"),
        ("p_query", "query"),
        ("p_header", "header"),
        ("p_cookie", "cookie"),
    ]


def test_parse_param_ref_chain_and_schema_ref_chain_are_resolved() -> None:
    spec = inline_spec(
        {"/x/{id}": {"get": {"parameters": [{"$ref": "#/components/parameters/A"}], "responses": OK}}},
        {
            "Outer": {"$ref": "#/components/schemas/Inner"},
            "Inner": {"type": "integer", "format": "int32", "minimum": 1},
        },
        parameters={
            "A": {"$ref": "#/components/parameters/B"},
            "B": _path("id", {"$ref": "#/components/schemas/Outer"}),
        },
    )
    (param,) = only_operation(spec).parameters
    assert (param.type_expr, param.constraints) == ("int", (("ge", "1"), ("le", "2147483647")))


def test_parse_path_level_params_are_merged_and_overridden_by_operation_params() -> None:
    shared = {"name": "q", "in": "query", "schema": {"type": "string"}}
    override = {"name": "q", "in": "query", "required": True, "schema": {"type": "integer"}}
    op = only_operation(
        inline_spec({"/x": {"parameters": [shared], "get": {"parameters": [override], "responses": OK}}})
    )
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
    (p,) = only_operation(inline_spec({"/x": {"get": {"parameters": [param], "responses": OK}}})).parameters
    assert p.type_expr == expected


def test_parse_optional_param_is_nullable_unless_it_has_a_fitting_default() -> None:
    params = [
        {"name": "a", "in": "query", "schema": {"type": "integer"}},
        {"name": "b", "in": "query", "schema": {"type": "integer", "default": 5}},
        {"name": "c", "in": "query", "schema": {"type": "integer", "default": "x"}},
    ]
    op = only_operation(inline_spec({"/x": {"get": {"parameters": params, "responses": OK}}}))
    assert [(p.type_expr, p.default) for p in op.parameters] == [
        ("int | None", "None"),
        ("int", "5"),
        ("int | None", "None"),
    ]


def test_parse_int64_param_without_bounds_gets_the_format_range() -> None:
    op = only_operation(
        inline_spec(
            {
                "/x/{id}": {
                    "get": {
                        "parameters": [_path("id", {"type": "integer", "format": "int64", "exclusiveMinimum": 0})],
                        "responses": OK,
                    }
                }
            }
        )
    )
    assert op.parameters[0].constraints == (("gt", "0"), ("le", str(2**63 - 1)))


def test_parse_enum_param_ref_uses_the_models_enum_class() -> None:
    spec = inline_spec(
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
                    "responses": OK,
                }
            }
        },
        {"Status": {"type": "string", "enum": ["on", "off"]}},
    )
    assert only_operation(spec).parameters[0].type_expr == "models.Status"


def test_parse_header_params_accept_content_type_authorization_are_ignored() -> None:
    params = [{"name": n, "in": "header", "schema": {"type": "string"}} for n in ("Accept", "Authorization", "X-Id")]
    op = only_operation(inline_spec({"/x": {"get": {"parameters": params, "responses": OK}}}))
    assert [p.name for p in op.parameters] == ["X-Id"]


def test_parse_hyphenated_path_param_is_routed_under_its_python_name() -> None:
    op = only_operation(inline_spec({"/x/{item-id}": {"get": {"parameters": [_path("item-id")], "responses": OK}}}))
    assert (op.path, op.route_path, op.parameters[0].alias) == ("/x/{item-id}", "/x/{item_id}", "item_id")


def test_parse_inline_request_and_response_objects_are_lifted_to_named_models() -> None:
    obj = {"type": "object", "properties": {"a": {"type": "string"}}}
    spec = inline_spec(
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
    op = only_operation(spec)
    assert op.body is not None and op.body.type_expr == "models.MakeThingRequest | None"
    assert op.success.type_expr == "models.MakeThingResponse200"


def test_parse_dotted_and_keyword_schema_names_are_sanitised_everywhere() -> None:
    spec = inline_spec(
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
    assert only_operation(spec).success.type_expr == "list[models.ABModel]"
    assert set(prepare(spec)["components"]["schemas"]) == {"ABModel", "NoneModel"}


def test_parse_ref_to_a_class_datamodel_codegen_did_not_emit_fails_clearly() -> None:
    spec = inline_spec(
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
        parse_inline(spec, Models("", frozenset(), frozenset()))


def test_parse_array_params_are_many_and_scalars_are_not() -> None:
    params = [
        {"name": "tag", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
        {"name": "maybe", "in": "query", "schema": {"type": ["array", "null"], "items": {"type": "integer"}}},
        {"name": "ids", "in": "header", "schema": {"$ref": "#/components/schemas/Ids"}},
        {"name": "q", "in": "query", "schema": {"type": "string"}},
        {"name": "flags", "in": "cookie", "schema": {"type": ["string", "null"]}},
    ]
    spec = inline_spec(
        {"/x": {"get": {"parameters": params, "responses": OK}}},
        {"Ids": {"type": "array", "items": {"type": "integer"}}},
    )
    assert [(p.name, p.many) for p in only_operation(spec).parameters] == [
        ("tag", True),
        ("maybe", True),
        ("q", False),
        ("ids", True),
        ("flags", False),
    ]


def test_parse_security_operation_overrides_root_and_empty_alternative_is_kept() -> None:
    spec = inline_spec(
        {
            "/a": {"get": {"responses": OK}},
            "/b": {"get": {"security": [{"oauth": ["read"], "key": []}, {}], "responses": OK}},
            "/c": {"get": {"security": [], "responses": OK}},
        }
    )
    spec["security"] = [{"key": []}]
    ops = {op.path: op.security for op in parse_inline(spec)[0].operations}
    assert ops == {"/a": ({"key": ()},), "/b": ({"key": (), "oauth": ("read",)}, {}), "/c": ()}


def test_parse_location_link_maps_path_params_to_response_body_fields() -> None:
    spec = inline_spec(
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
            "/pets/{petId}": {"get": {"operationId": "getPet", "parameters": [_path("petId")], "responses": OK}},
        }
    )
    create = next(op for op in parse_inline(spec)[0].operations if op.operation_id == "createPet")
    assert create.location is not None and (create.location.path, create.location.fields) == (
        "/pets/{petId}",
        (("petId", "id"),),
    )


def test_parse_routes_put_literal_paths_before_templated_ones() -> None:
    spec = inline_spec(
        {
            "/items/{id}": {"get": {"parameters": [_path("id")], "responses": OK}},
            "/items/mine": {"get": {"responses": OK}},
        }
    )
    assert [op.path for op in parse_inline(spec)[0].operations] == ["/items/mine", "/items/{id}"]


def test_parse_does_not_mutate_the_loaded_spec() -> None:
    spec = inline_spec(
        {
            "/x": {
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                    "responses": OK,
                }
            }
        },
        {"a.b": {"type": "string"}},
    )
    before = copy.deepcopy(spec)
    parse_inline(spec)
    assert spec == before


def test_parse_unclaimed_query_keys_go_to_the_exploded_objects_that_accept_them_most_freely() -> None:
    def obj(extra: Any, prop: str) -> dict[str, Any]:
        return {"type": "object", "properties": {prop: {"type": "integer"}}, "additionalProperties": extra}

    def claims(*schemas: dict[str, Any]) -> list[tuple[str, tuple[str, ...], bool]]:
        params = [{"name": f"o{i}", "in": "query", "schema": s} for i, s in enumerate(schemas)]
        params.append({"name": "q", "in": "query", "schema": {"type": "string"}})
        op = only_operation(inline_spec({"/x": {"get": {"parameters": params, "responses": OK}}}))
        return [(p.name, p.others, p.extra) for p in op.parameters if p.name != "q"]

    # Closed beside open: the closed one reads its own properties only, the open one everything else.
    assert claims(obj(False, "a"), obj(True, "b")) == [("o0", (), False), ("o1", ("a", "o0", "q"), True)]
    # A schema for additional properties is less free than none; a closed object alone still sees unknown keys.
    assert claims(obj({"type": "integer"}, "a"), obj({}, "b"))[0] == ("o0", (), False)
    assert claims(obj(False, "a"), obj(False, "b")) == [("o0", ("b", "o1", "q"), True), ("o1", ("a", "o0", "q"), True)]


@pytest.mark.parametrize(("version", "wire"), [("3.1.0", ("integer",)), ("3.0.3", ("integer", "no-fraction"))])
def test_parse_integer_param_text_with_a_fraction_part_is_no_integer_in_3_0(
    version: str, wire: tuple[str, ...]
) -> None:
    params = [{"name": "n", "in": "query", "schema": {"type": "integer"}}]
    spec = {**inline_spec({"/x": {"get": {"parameters": params, "responses": OK}}}), "openapi": version}
    assert only_operation(spec).parameters[0].wire == wire


def test_parse_inline_object_parameters_and_parts_are_lifted_to_named_models_free_form_ones_are_not() -> None:
    window = {"type": "object", "properties": {"w": {"type": "integer"}, "at": {"type": "string", "format": "date"}}}
    counts = {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "integer"}}}
    shared = {"name": "shared", "in": "query", "style": "deepObject", "schema": window}
    note = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
    parts = {"type": "object", "properties": {"note": note, "notes": {"type": "array", "items": note}}}
    spec = inline_spec(
        {
            "/x/{at}": {
                "parameters": [{"name": "at", "in": "path", "required": True, "schema": window}],
                "post": {
                    "operationId": "makeThing",
                    "parameters": [
                        {"name": "X-Window", "in": "header", "schema": window},
                        {"name": "counts", "in": "query", "style": "deepObject", "schema": counts},
                        {"name": "free", "in": "cookie", "schema": {"type": "object"}},
                        {"$ref": "#/components/parameters/Shared"},
                    ],
                    "requestBody": {"content": {"multipart/form-data": {"schema": parts}}},
                    "responses": OK,
                },
                "get": {"operationId": "getThing", "parameters": [{"$ref": "#/components/parameters/Shared"}]},
            }
        },
        parameters={"Shared": shared},
    )
    spec["paths"]["/x/{at}"]["get"]["responses"] = OK
    tags = parse_inline(spec)
    make, get = sorted(tags[0].operations, key=lambda o: o.python_name)[::-1]
    types = {p.name: p.type_expr for p in make.parameters}
    assert types == {
        "at": "models.GetThingAtParameter",
        "X-Window": "models.MakeThingXWindowParameter | None",
        "counts": "models.MakeThingCountsParameter | None",
        "free": "dict[str, Any] | None",
        # Shared by two operations: named after the first one walked (paths in order, then get, put, post, ...).
        "shared": "models.GetThingSharedParameter | None",
    }
    assert [p.type_expr for p in get.parameters] == [
        "models.GetThingAtParameter",
        "models.GetThingSharedParameter | None",
    ]
    props = {p.name: p.props for p in make.parameters}
    assert [(q.name, q.types, q.many, q.format) for q in props["X-Window"]] == [
        ("w", ("integer",), False, ""),
        ("at", ("iso", "string"), False, "date"),
    ]
    assert [(q.name, q.types, q.many) for q in props["counts"]] == [(None, ("integer",), True)]
    assert make.body is not None
    fields = {f.name: (f.route_type, f.check) for f in make.body.fields}
    assert fields == {
        "note": ("models.MakeThingNotePart | None", None),
        "notes": ("list[models.MakeThingNotesPartItem] | None", None),
    }


def test_parse_a_part_model_its_class_cannot_fully_enforce_is_checked_by_its_json_schema_too() -> None:
    shape = {"oneOf": [{"type": "object", "required": ["r"]}, {"type": "object", "required": ["s"]}]}
    parts = {"type": "object", "properties": {"shape": {"$ref": "#/components/schemas/Shape"}}}
    body = {"content": {"multipart/form-data": {"schema": parts}}}
    op = only_operation(
        inline_spec({"/x": {"post": {"requestBody": body, "responses": OK}}}, {"Shape": {"type": "object", **shape}})
    )
    assert op.body is not None
    (field,) = op.body.fields
    assert field.check == {"$ref": "#/components/schemas/Shape"} and field.check_refs == ("Shape",)
