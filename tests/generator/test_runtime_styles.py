"""Parameter styles read back into values (issue 11, class 9), and text that is none of a schema's JSON types."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request

from scripts.runtime import Prop
from scripts.runtime.formats import from_text, read_text
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
        (("integer", "no-fraction"), "5.0", "int_parsing"),  # an integer of a 3.0 document (Draft 4)
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


def test_an_exploded_query_object_without_extra_reads_only_its_own_properties() -> None:
    # Another exploded object of the operation takes the keys no parameter names (its schema allows them).
    request = _request("offset=1&extra=x&tags=a&tags=b")
    assert query_value(request, "filter", "object", "form", True, PAGE, extra=False) == {
        "offset": 1,
        "tags": ["a", "b"],
    }
    assert query_value(_request("extra=x"), "filter", "object", "form", True, PAGE, extra=False) is None


def test_an_integral_number_is_an_integer_unless_the_document_is_3_0() -> None:
    assert read_text("5.0", ("integer",)) == 5
    assert read_text("5e0", ("integer", "number", "no-fraction")) == 5.0


def test_the_properties_an_object_schema_does_not_name_are_read_by_its_additional_properties_schema() -> None:
    counts = (Prop("total", ("boolean",)), Prop(None, ("integer",), many=True))
    request = _request(f"{quote('c[total]')}=true&{quote('c[a]')}=1,2&{quote('c[b]')}=x")
    # `x` is no integer: left as text for the model to refuse, naming the property.
    assert query_value(request, "c", "object", "deepObject", True, counts) == {"total": True, "a": [1, 2], "b": ["x"]}
    # Without a schema for them, the others stay text.
    assert simple_value("total,true,a,1", "object", False, counts[:1]) == {"total": True, "a": "1"}


def test_dates_and_times_in_an_object_are_read_as_a_json_body_reads_them() -> None:
    import datetime

    props = (
        Prop("day", ("iso", "string"), format="date"),
        Prop("at", ("iso", "string"), format="date-time"),
        Prop("days", ("iso", "string"), many=True, format="date"),
    )
    assert simple_value("day=2024-02-29, at=2024-02-29T10:00:00Z", "object", True, props) == {
        "day": datetime.date(2024, 2, 29),
        "at": datetime.datetime(2024, 2, 29, 10, tzinfo=datetime.UTC),
    }
    request = _request(f"{quote('o[days]')}=2024-01-01&{quote('o[days]')}=2024-01-02")
    assert query_value(request, "o", "object", "deepObject", True, props) == {
        "days": [datetime.date(2024, 1, 1), datetime.date(2024, 1, 2)]
    }
    # Not a date (a number, a naive date-time, no such day): the text as sent, which the model refuses.
    assert simple_value("day=1700000000", "object", True, props) == {"day": "1700000000"}
    assert simple_value("at=2024-02-29T10:00:00", "object", True, props) == {"at": "2024-02-29T10:00:00"}
    assert simple_value("day=2024-02-30", "object", True, props) == {"day": "2024-02-30"}
