"""Parameter styles read back into values (issue 11, class 9), and text that is none of a schema's JSON types."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request

from scripts.runtime import Prop
from scripts.runtime.formats import from_text
from scripts.runtime.styles import path_value, query_value, simple_value

PAGE = (Prop("offset", ("integer",)), Prop("size", ("integer",)), Prop("tags", ("string",), many=True))


def _request(query: str = "", headers: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": query.encode(), "headers": raw})


@pytest.mark.parametrize(
    ("query", "style", "explode", "expected"),
    [
        ("offset=1&size=2&other=x", "form", True, {"offset": 1, "size": 2, "other": "x"}),
        ("page=offset,1,size,2", "form", False, {"offset": 1, "size": 2}),
        (
            f"{quote('page[offset]')}=1&{quote('page[tags]')}=a&{quote('page[tags]')}=b",
            "deepObject",
            True,
            {"offset": 1, "tags": ["a", "b"]},
        ),
        ("page=offset,1,size", "form", False, "offset,1,size"),  # no object: the text, which the model refuses
        ("page[offset]=x", "deepObject", True, {"offset": "x"}),  # not an integer: left for the model to refuse
        ("", "deepObject", True, None),
    ],
)
def test_query_objects(query: str, style: str, explode: bool, expected: object) -> None:
    assert query_value(_request(query), "page", "object", style, explode, PAGE) == expected


@pytest.mark.parametrize(
    ("query", "style", "explode", "expected"),
    [
        ("ids=1&ids=2", "form", True, ["1", "2"]),
        ("ids=1,2", "form", False, ["1", "2"]),
        ("ids=1%202", "spaceDelimited", False, ["1", "2"]),
        ("ids=1|2", "pipeDelimited", False, ["1", "2"]),
        ("ids=", "form", False, []),
        ("", "form", False, None),
    ],
)
def test_query_arrays(query: str, style: str, explode: bool, expected: object) -> None:
    assert query_value(_request(query), "ids", "array", style, explode, ()) == expected


def test_simple_objects_and_arrays_of_headers_and_cookies() -> None:
    assert simple_value("offset,1,size,2", "object", False, PAGE) == {"offset": 1, "size": 2}
    assert simple_value("offset=1, size=2", "object", True, PAGE) == {"offset": 1, "size": 2}
    assert simple_value("", "object", True, PAGE) == {}
    assert simple_value("a, b", "array", False, ()) == ["a", "b"]
    assert simple_value(None, "array", False, ()) is None


@pytest.mark.parametrize(
    ("text", "shape", "style", "explode", "expected"),
    [
        ("1,2", "array", "simple", False, ["1", "2"]),
        (".5", "scalar", "label", False, "5"),
        (".1.2", "array", "label", True, ["1", "2"]),
        (".1,2", "array", "label", False, ["1", "2"]),
        (";id=5", "scalar", "matrix", False, "5"),
        (";id=1,2", "array", "matrix", False, ["1", "2"]),
        (";id=1;id=2", "array", "matrix", True, ["1", "2"]),
        (";offset=1;size=2", "object", "matrix", True, {"offset": 1, "size": 2}),
        ("5", "scalar", "label", False, "5"),  # no leading dot: the text as sent
    ],
)
def test_path_styles(text: str, shape: str, style: str, explode: bool, expected: object) -> None:
    assert path_value(text, "id", shape, style, explode, PAGE) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("types", "text", "error"),
    [
        (("integer",), "1_000", "int_parsing"),
        (("integer",), " 5", "int_parsing"),
        (("number",), "inf", "float_parsing"),
        (("boolean",), "0", "bool_parsing"),
        (("boolean",), "yes", "bool_parsing"),
        (("iso", "string"), "1700000000", "iso_parsing"),
    ],
)
def test_text_that_is_none_of_the_types_is_refused_not_read_laxly(
    types: tuple[str, ...], text: str, error: str
) -> None:
    from datetime import datetime
    from typing import Annotated

    kind = {"integer": int, "number": float, "boolean": bool, "iso": datetime}[types[0]]
    adapter: TypeAdapter[object] = TypeAdapter(Annotated[kind, from_text(*types)])
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python(text)
    assert caught.value.errors()[0]["type"] == error


def test_an_exploded_query_object_owns_the_keys_no_other_parameter_claims() -> None:
    request = _request("offset=1&limit=5&extra=x&" + quote("page[size]") + "=2")
    others = frozenset({"limit", "page"})
    # `extra` is kept (a model forbidding additional properties refuses it); `limit` and `page[size]` are not its.
    assert query_value(request, "filter", "object", "form", True, PAGE, others) == {"offset": 1, "extra": "x"}
