"""Parameters whose schema the models cannot fully enforce get a JSON Schema check too (issue 11, class 12): the
generated stub of the class 12 fixture, with a service recording what it was given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.generator.helpers import inline_spec, only_operation, recording_stub

FIXTURE = Path(__file__).parent / "fidelity" / "class12-one-of-and-tuples.yaml"
_VALID = "/labels/abc?size=4&ids=0,3&range%5Blo%5D=1&range%5Bhi%5D=2"


@pytest.fixture
def client(tmp_path: Path) -> tuple[httpx.AsyncClient, list[dict[str, Any]]]:
    return recording_stub(FIXTURE, tmp_path, "list_labels")


@pytest.mark.parametrize(
    ("path", "headers", "where", "kind"),
    [
        ("/labels/admin", {}, ("path", "code"), "json_schema_not"),
        ("/labels/abc?size=6", {}, ("query", "size"), "json_schema_oneOf"),  # a multiple of 2 and of 3
        ("/labels/abc?size=5", {}, ("query", "size"), "json_schema_oneOf"),  # of neither
        ("/labels/abc?ids=1,2", {}, ("query", "ids"), "json_schema_contains"),
        ("/labels/abc?range%5Blo%5D=1", {}, ("query", "range"), "json_schema_dependentRequired"),
        ("/labels/abc", {"X-Mode": "stop"}, ("header", "X-Mode"), "json_schema_not"),
    ],
)
async def test_a_parameter_its_model_accepts_but_its_schema_does_not_is_a_422_naming_it(
    client: tuple[httpx.AsyncClient, list[dict[str, Any]]],
    path: str,
    headers: dict[str, str],
    where: tuple[str, ...],
    kind: str,
) -> None:
    http, received = client
    answer = await http.get(path, headers=headers)
    assert answer.status_code == 422, answer.text
    assert [(tuple(e["loc"]), e["type"]) for e in answer.json()["errors"]] == [(where, kind)]
    assert received == []


async def test_each_violation_of_each_parameter_is_named(
    client: tuple[httpx.AsyncClient, list[dict[str, Any]]],
) -> None:
    http, _ = client
    answer = await http.get("/labels/admin?size=6", headers={"X-Mode": "stop"})
    assert answer.status_code == 422, answer.text
    assert [tuple(e["loc"]) for e in answer.json()["errors"]] == [
        ("path", "code"),
        ("query", "size"),
        ("header", "X-Mode"),
    ]
    assert "exactly one of the oneOf alternatives, not 2" in answer.text


async def test_the_model_judges_first_and_the_schema_check_only_what_it_accepted(
    client: tuple[httpx.AsyncClient, list[dict[str, Any]]],
) -> None:
    http, _ = client
    answer = await http.get("/labels/abc?size=x&ids=1,2")
    assert answer.status_code == 422, answer.text
    assert [(tuple(e["loc"]), e["type"]) for e in answer.json()["errors"]] == [(("query", "size"), "int_parsing")]


async def test_valid_parameters_reach_the_service_typed(client: tuple[httpx.AsyncClient, list[dict[str, Any]]]) -> None:
    http, received = client
    answer = await http.get(_VALID, headers={"X-Mode": "slow"})
    assert answer.status_code == 200, answer.text
    (call,) = received
    assert (call["code"], call["ids"], call["x_mode"]) == ("abc", [0, 3], "slow")
    assert call["size"] == 4 or call["size"].root == 4  # a `$ref` to a primitive is a RootModel
    assert call["range"].model_dump() == {"lo": 1, "hi": 2}
    assert (await http.get("/labels/abc")).status_code == 200  # optional parameters absent: nothing to check


@pytest.mark.parametrize(("text", "value"), [("2", 2), ("first", "first")])
async def test_text_is_checked_as_the_json_type_the_model_read_it_as(
    client: tuple[httpx.AsyncClient, list[dict[str, Any]]], text: str, value: object
) -> None:
    # `pick` is a string or an integer: `2` is the integer alternative (one of the two), as the model took it.
    http, received = client
    answer = await http.get(f"/labels/abc?label%5Bpick%5D={text}")
    assert answer.status_code == 200, answer.text
    assert received[0]["label"].model_dump(mode="json") == {"pick": value}


def _spec(schema: dict[str, Any], *, content: bool = False) -> dict[str, Any]:
    param: dict[str, Any] = {"name": "q", "in": "query"}
    param.update({"content": {"application/json": {"schema": schema}}} if content else {"schema": schema})
    return inline_spec({"/s": {"get": {"parameters": [param], "responses": {"200": {"description": "ok"}}}}}, {})


def test_only_parameters_that_need_it_carry_a_check() -> None:
    (checked,) = only_operation(_spec({"type": "integer", "not": {"const": 3}})).parameters
    assert checked.check == {"type": "integer", "not": {"const": 3}} and checked.check_refs == ()
    (plain,) = only_operation(_spec({"type": "integer", "minimum": 3})).parameters
    assert plain.check is None
    # Read as text, unvalidated (scripts/README.md, "Known limitations"): a check would refuse every value.
    (text,) = only_operation(_spec({"oneOf": [{"type": "object"}, {"type": "array"}]})).parameters
    assert text.check is None
    (content,) = only_operation(_spec({"type": "integer", "not": {"const": 3}}, content=True)).parameters
    assert content.check is None
