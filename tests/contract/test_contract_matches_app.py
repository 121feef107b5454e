"""The app serves exactly the contract's operations, and the contract's own examples obey its schemas."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from generated import OPERATIONS
from generated.runtime import ContractRoutes, PathEndpoint
from tests.contract.contract import contract, examples, operations

CONTRACT_URI = "urn:contract"


def test_contract_is_a_valid_openapi_3_1_document() -> None:
    assert contract()["openapi"].startswith("3.1")
    validate(contract())


def test_every_operation_has_an_operation_id_and_a_tag() -> None:
    for method, path, operation in operations():
        assert operation.get("operationId"), f"{method} {path} has no operationId"
        assert operation.get("tags"), f"{method} {path} has no tag"


def test_app_serves_exactly_the_contracts_operations(app: FastAPI) -> None:
    served = {
        (op.method, route.path, op.operation_id)
        for table in app.routes
        if isinstance(table, ContractRoutes)
        for route in table.routes
        if isinstance(route.endpoint, PathEndpoint)
        for op in route.endpoint.operations
    }
    declared = {(method, path, operation["operationId"]) for method, path, operation in operations()}
    assert served == declared


async def test_every_undeclared_method_answers_405_with_the_paths_own_allow_list(client: httpx.AsyncClient) -> None:
    # `Allow` comes from the route of the exact path template: PUT /users/me once listed /users/{user_id}'s DELETE.
    declared: dict[str, set[str]] = {}
    for method, path, _ in operations():
        declared.setdefault(path, set()).add(method)
    for path, methods in declared.items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in sorted({"GET", "PUT", "POST", "PATCH", "DELETE"} - methods):
            response = await client.request(method, url)
            assert response.status_code == 405, (method, path, response.text)
            assert response.headers["allow"] == ", ".join(sorted(methods)), (method, path)
            assert response.headers["content-type"] == "application/problem+json"


def test_generated_operation_table_matches_the_contract() -> None:
    generated = {(op.method.upper(), op.path, op.operation_id) for op in OPERATIONS}
    assert generated == {(method, path, operation["operationId"]) for method, path, operation in operations()}


def test_every_error_response_is_a_problem_document() -> None:
    for method, path, operation in operations():
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                ref = response.get("$ref", "")
                assert ref.startswith("#/components/responses/") or "content" in response, (method, path, status)


_EXAMPLES = list(examples())


@pytest.mark.parametrize(("schema_pointer", "example_pointer", "value"), _EXAMPLES, ids=[e[1] for e in _EXAMPLES])
def test_contract_example_validates_against_its_schema(
    schema_pointer: str, example_pointer: str, value: object
) -> None:
    registry: Registry[object] = Registry().with_resource(
        CONTRACT_URI, Resource.from_contents(contract(), default_specification=DRAFT202012)
    )
    validator = Draft202012Validator(
        {"$ref": f"{CONTRACT_URI}{schema_pointer}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    errors = [error.message for error in validator.iter_errors(value)]
    assert not errors, f"{example_pointer}: {errors}"


def test_the_contract_has_examples_to_check() -> None:
    assert len(_EXAMPLES) >= 10


def test_no_keyword_has_a_null_value_outside_examples() -> None:
    # A comma inside an unquoted YAML flow mapping silently splits a description into `null` keys.
    def nulls(node: object, pointer: str) -> list[str]:
        if isinstance(node, dict):
            found = [f"{pointer}/{key}" for key, value in node.items() if value is None]
            for key, value in node.items():
                if key not in ("example", "examples", "default", "const", "enum"):
                    found += nulls(value, f"{pointer}/{key}")
            return found
        if isinstance(node, list):
            return [hit for index, item in enumerate(node) for hit in nulls(item, f"{pointer}/{index}")]
        return []

    assert nulls(contract(), "#") == []
