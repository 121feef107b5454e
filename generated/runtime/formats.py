"""JSON Schema types pydantic's own types get wrong for a contract, used by the generated models.

- `Integer`: 3.1 documents (JSON Schema 2020-12) count an integral number as an integer: `606.0` is valid for
  `type: integer`; strings and booleans are not. (3.0 documents keep pydantic's `StrictInt`.) `INTEGER` is the
  same as a marker for `Annotated[int, Field(<bounds>), INTEGER]`, which keeps the bounds in pydantic's own code.
- `Date`, `DateTime`, `Time`: `format: date` / `date-time` / `time` take ISO 8601 (RFC 3339) strings only, never a
  number read as a Unix timestamp; `date` is a full-date, not a date-time.
- `Base64Bytes`: `format: byte` is any valid base64 (RFC 4648, padded, the standard alphabet), handed to the
  service as the decoded bytes, written back as base64.
- `Email`: `format: email` is an RFC 5321 Mailbox as email-validator checks its syntax (quoted local parts and
  address literals included, no display name, no DNS lookup), normalised as pydantic's `EmailStr` does. Unlike
  `EmailStr`, special-use and reserved domain names (`.test`, `.invalid`, `.local`, `.localhost`, `.arpa`,
  `.onion`) are names like any other: whether mail can reach them is the service's business, not the contract's.
- `from_text(*types)`: a parameter or form field arrives as text; before an `enum`/`const` (or any non-string
  schema) is checked, the text is read as the schema's JSON type (`2` as 2, `true` as True, `null` as None); text
  that is none of them is refused (`1_000`, `yes`); "iso" (a date or time string) refuses a number;
  "no-fraction" (an integer of a 3.0 document) refuses `5.0`, which 3.1 reads as 5.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    GetCoreSchemaHandler,
    PlainSerializer,
    PlainValidator,
    Strict,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError, core_schema


def _integral(value: float) -> int:
    if value.is_integer():
        return int(value)
    raise ValueError("Input should be a valid integer")


class _IntegerInput:
    """Marks an `int` as a 3.1 integer: an int, or a float with no fractional part (then made an int); never a
    string or a boolean. Put it after the field's bounds (`Annotated[int, Field(ge=1), INTEGER]`): pydantic then
    checks them in its native int validator, which the marker wraps, instead of in Python functions."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        bounded = handler(source)
        number = core_schema.union_schema(
            [
                core_schema.int_schema(strict=True),
                core_schema.no_info_after_validator_function(_integral, core_schema.float_schema(strict=True)),
            ],
            custom_error_type="int_type",
        )
        # The JSON Schema of the result is the bounded integer's, not the union's.
        js_functions = [lambda _schema, json_handler: json_handler(bounded)]
        return core_schema.chain_schema(
            [number, {**bounded, "strict": True}], metadata={"pydantic_js_functions": js_functions}
        )


def _base64(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ValueError("Input should be a base64 string")
    try:
        return binascii.a2b_base64(value.encode("ascii"), strict_mode=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise ValueError(f"Input should be valid base64: {exc}") from None


def _email(value: Any) -> str:
    from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

    if not isinstance(value, str):
        raise ValueError("Input should be a valid string")
    local, at, domain = value.rpartition("@")
    folded = domain.lower()
    special = next((d for d in SPECIAL_USE_DOMAIN_NAMES if folded == d or folded.endswith("." + d)), None)
    # email-validator refuses special-use names outright; `test` is the one it can be told to allow, so the others
    # are checked as if they were `test` (the same label syntax), then put back.
    checked = f"{local}{at}{domain[: len(domain) - len(special)]}test" if special and special != "test" else value
    try:
        normalized = validate_email(
            checked,
            check_deliverability=False,
            test_environment=True,
            allow_display_name=False,
            # RFC 5321's Mailbox: a quoted local part and an address literal are addresses too.
            allow_quoted_local=True,
            allow_domain_literal=True,
        ).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"value is not a valid email address: {exc}") from None
    return normalized[: -len("test")] + special if special and special != "test" else normalized


def _encode(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


# The error pydantic itself gives text it cannot read as the type, for the first JSON type of a parameter.
_PARSING = {
    "integer": ("int_parsing", "Input should be a valid integer, unable to parse string as an integer"),
    "number": ("float_parsing", "Input should be a valid number, unable to parse string as a number"),
    "boolean": ("bool_parsing", "Input should be a valid boolean, unable to interpret input"),
    "null": ("none_required", "Input should be None"),
}


def _read(text: str, types: tuple[str, ...]) -> Any:
    # Text has no null: a nullable parameter's `null` is taken as null, even where a string is allowed too.
    if "null" in types and text == "null":
        return None
    if "iso" in types and _NUMBER.fullmatch(text) and not {"integer", "number"} & set(types):
        raise PydanticCustomError("iso_parsing", "Input should be an ISO 8601 date or time, not a number")
    if "string" in types:
        return text
    if "integer" in types and _INTEGER.fullmatch(text):
        return int(text)
    if ("number" in types or "integer" in types) and _NUMBER.fullmatch(text):
        number = float(text)
        # `5.0` is an integer in JSON Schema 2020-12 (OpenAPI 3.1), not in Draft 4 (3.0: "no-fraction").
        if "integer" in types and number.is_integer() and "no-fraction" not in types:
            return int(number)
        if "number" in types:
            return number
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    if {"object", "array"} & set(types):
        return text
    # Text that is none of the schema's JSON types is invalid as it is: pydantic's lax reading would take
    # `1_000`, ` 5`, `inf`, `yes` or `0` for numbers and booleans.
    kind, message = next((_PARSING[t] for t in types if t in _PARSING), ("value_error", "Input is not valid"))
    raise PydanticCustomError(kind, message)


def read_text(text: str, types: tuple[str, ...]) -> Any:
    """`text` read as one of the JSON `types` (the text itself when `types` is empty); PydanticCustomError when it
    is none of them."""
    return _read(text, types) if types else text


def from_text(*types: str, choices: tuple[object, ...] | None = None) -> BeforeValidator | WrapValidator:
    """A validator reading text (or each text of a list) as one of the JSON `types` before the type's own check;
    `choices`: the values allowed (an enum the type cannot express, such as floats). Where a string is allowed
    beside another scalar type (`oneOf` a string enum and an integer enum), a text the type refuses as a string is
    tried once more as that other type (`2`)."""

    def one(item: Any, kinds: tuple[str, ...]) -> Any:
        value = _read(item, kinds) if isinstance(item, str) else item
        if choices is not None and value not in choices:
            raise ValueError(f"Input should be one of {', '.join(map(repr, choices))}")
        return value

    # Where `_read` tries integer text first (no string type before it), such text is read in one step: every
    # id in a path goes through here (the general path cost ~1 us more a parameter, profiled).
    integers_first = "integer" in types and "string" not in types and choices is None

    def read(value: Any) -> Any:
        if integers_first and type(value) is str and _INTEGER.fullmatch(value):
            return int(value)
        if isinstance(value, list):
            return [one(item, types) for item in value]
        return one(value, types)

    others = tuple(kind for kind in types if kind != "string")
    if "string" not in types or not {"integer", "number", "boolean"} & set(others):
        return BeforeValidator(read)

    def as_string_then_other(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(read(value))
        except ValidationError:
            if not isinstance(value, str):
                raise
            with contextlib.suppress(PydanticCustomError, ValueError, ValidationError):
                return handler(one(value, others))
            raise

    return WrapValidator(as_string_then_other)


INTEGER = _IntegerInput()
Integer = Annotated[int, INTEGER]
Date = Annotated[datetime.date, Strict()]
DateTime = Annotated[AwareDatetime, Strict()]
Time = Annotated[datetime.time, Strict()]
Email = Annotated[str, Strict(), AfterValidator(_email)]
Base64Bytes = Annotated[bytes, PlainValidator(_base64), PlainSerializer(_encode, return_type=str, when_used="json")]

__all__ = ["INTEGER", "Base64Bytes", "Date", "DateTime", "Email", "Integer", "Time", "from_text", "read_text"]
