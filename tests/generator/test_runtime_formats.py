"""`format: email` in the generated models: RFC 5321 syntax, special-use domain names included (issue 11, class 12)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

import pytest
from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from scripts.runtime.formats import INTEGER, Email, Integer, from_text, read_text
from scripts.schema_fixes import rewrite_model_types

_EMAIL = TypeAdapter(Email)


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        ("alice@example.com", "alice@example.com"),
        ("Alice@Example.COM", "Alice@example.com"),  # the domain normalised as pydantic's EmailStr does
        ("alice@mail.test", "alice@mail.test"),
        ("bob@printer.Local", "bob@printer.local"),
        ("carol@localhost", "carol@localhost"),
        ("dave@host.invalid", "dave@host.invalid"),
        ("erin@4.3.2.1.in-addr.arpa", "erin@4.3.2.1.in-addr.arpa"),
        ('"frank n"@example.com', '"frank n"@example.com'),
        ("grace@[192.0.2.1]", "grace@[192.0.2.1]"),
    ],
)
def test_email_accepts_rfc5321_mailboxes_special_use_domains_included(sent: str, read: str) -> None:
    assert _EMAIL.validate_python(sent) == read


@pytest.mark.parametrize(
    "sent", ["Alice <alice@example.com>", "alice", "alice@@example.com", "alice@host.local.", "alice@", 5, b"a@b.c"]
)
def test_email_refuses_what_is_no_mailbox(sent: object) -> None:
    with pytest.raises(ValidationError):
        _EMAIL.validate_python(sent)


def test_models_use_the_runtime_email_type_not_pydantic_email_str() -> None:
    source = "from pydantic import BaseModel, EmailStr\n\n\nclass A(BaseModel):\n    email: EmailStr\n"
    out = rewrite_model_types(source, openapi31=True)
    assert "email: _formats.Email" in out and "from .runtime import formats as _formats" in out


_BOUNDED = TypeAdapter(Annotated[int, Field(ge=1, le=2**63 - 1), INTEGER])
_INTEGER = TypeAdapter(Integer)


@pytest.mark.parametrize(("sent", "read"), [(5, 5), (606.0, 606), (1e2, 100), (2**63 - 1, 2**63 - 1)])
def test_integer_takes_integral_numbers_as_ints(sent: object, read: int) -> None:
    value = _BOUNDED.validate_python(sent)
    assert value == read and type(value) is int
    assert _BOUNDED.validate_json(str(sent)) == read


def test_integer_without_bounds_takes_any_integral_number() -> None:
    assert _INTEGER.validate_json("1e300") == int(1e300)


@pytest.mark.parametrize("sent", [606.5, "5", True, None, float("nan"), float("inf")])
def test_integer_refuses_fractions_strings_and_booleans(sent: object) -> None:
    with pytest.raises(ValidationError) as raised:
        _BOUNDED.validate_python(sent)
    assert [e["type"] for e in raised.value.errors()] == ["int_type"]


@pytest.mark.parametrize(
    ("sent", "error"), [(0, "greater_than_equal"), (2**63, "less_than_equal"), (1e300, "less_than_equal")]
)
def test_integer_bounds_are_checked_natively_with_their_own_errors(sent: object, error: str) -> None:
    with pytest.raises(ValidationError) as raised:
        _BOUNDED.validate_python(sent)
    assert [e["type"] for e in raised.value.errors()] == [error]
    # In pydantic's int validator, not in Python functions around it.
    bounded = _BOUNDED.core_schema["steps"][-1]
    assert (bounded["type"], bounded["ge"], bounded["le"]) == ("int", 1, 2**63 - 1)
    assert _BOUNDED.json_schema() == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


def test_3_1_models_put_the_integer_marker_after_the_bounds() -> None:
    source = (
        "from pydantic import BaseModel, Field, StrictInt\n\n\nclass A(BaseModel):\n"
        "    a: Annotated[StrictInt, Field(ge=1, description='n')]\n"
        "    b: list[\n        Annotated[\n            StrictInt,\n            Field(le=9),\n        ]\n    ] | None\n"
        "    c: StrictInt | None\n"
    )
    out = rewrite_model_types(source, openapi31=True)
    assert "a: Annotated[int, Field(ge=1, description='n'), _formats.INTEGER]" in out
    assert "Field(le=9), _formats.INTEGER," in out and "StrictInt" not in out.split("class A")[1]
    assert "c: _formats.Integer | None" in out
    assert rewrite_model_types(source, openapi31=False) == source  # 3.0: StrictInt as it is


_STRING_OR_INTEGER = TypeAdapter(Annotated[Literal["a", "2b"] | Literal[1, 2], from_text("string", "integer")])


@pytest.mark.parametrize(("sent", "read"), [("a", "a"), ("2b", "2b"), ("2", 2), ("1", 1)])
def test_a_text_a_string_type_refuses_is_read_as_the_other_scalar_type(sent: str, read: object) -> None:
    value = _STRING_OR_INTEGER.validate_python(sent)
    assert value == read and type(value) is type(read)


@pytest.mark.parametrize("sent", ["3", "b", "2.5", "true"])
def test_a_text_neither_reading_accepts_is_refused(sent: str) -> None:
    with pytest.raises(ValidationError):
        _STRING_OR_INTEGER.validate_python(sent)


# Integer text is read in one step where integers come first (`from_text`'s shortcut); every other text goes the
# general way (`read_text`). Both must read every text alike.
_INTEGER_FIRST_TYPES = [("integer",), ("integer", "null"), ("integer", "number"), ("integer", "no-fraction")]
_TEXTS = ["0", "-0", "7", "-12", "007", "1_000", " 5", "5 ", "5.0", "5.5", "1e3", "null", "true", "", "-", "٣", "²"]


def _outcome(read: Callable[[str], object], text: str) -> object:
    try:
        value = read(text)
    except PydanticCustomError as exc:
        return exc.type
    return (type(value), value)


@pytest.mark.parametrize("types", _INTEGER_FIRST_TYPES)
@pytest.mark.parametrize("text", _TEXTS)
def test_integer_text_reads_the_same_by_the_shortcut_and_the_general_way(types: tuple[str, ...], text: str) -> None:
    validator = from_text(*types)
    assert isinstance(validator, BeforeValidator)
    assert _outcome(validator.func, text) == _outcome(lambda t: read_text(t, types), text)  # type: ignore[arg-type]
