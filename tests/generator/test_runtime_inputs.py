"""Unit tests of scripts/runtime/inputs.py and parameters.py: parameters and bodies read, validated and refused
as the contract says."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message

from scripts.runtime import (
    FORM_MEDIA_TYPE,
    MULTIPART_MEDIA_TYPE,
    FormFields,
    FormModel,
    InvalidRequest,
    JsonBody,
    OptionalJsonBody,
    Param,
    Parameters,
    Part,
    RawBody,
    RequestContext,
    from_text,
)
from scripts.runtime import parameters as parameters_module
from tests.generator.runtime_app import (
    THING_PARAMETERS,
    THING_PATH,
    THING_ROUTE,
    Calls,
    ThingParameters,
    make_app,
    make_endpoint,
    make_op,
    problem_of,
    send,
)

# Parameters


async def test_parameters_are_read_from_every_location_with_defaults_and_lists() -> None:
    calls = Calls()
    app = make_app(make_endpoint(make_op(path=THING_PATH), calls, parameters=THING_PARAMETERS, route_path=THING_ROUTE))
    response = await send(
        app,
        "GET",
        "/things/7?tag=a&tag=b",
        headers=[("X-Trace", "1, 2"), ("X-Trace", "3"), ("cookie", "session=s1")],
    )
    assert response.status_code == 200, response.text
    (_, params, body), *_ = calls.seen
    assert params == ThingParameters(thing_id=7, limit=10, tags=["a", "b"], x_trace=[1, 2, 3], session="s1")
    assert body is None


async def test_parameters_invalid_values_return_422_naming_location_and_contract_name() -> None:
    calls = Calls()
    app = make_app(make_endpoint(make_op(path=THING_PATH), calls, parameters=THING_PARAMETERS, route_path=THING_ROUTE))
    response = await send(app, "GET", "/things/0?limit=abc&tag=a", headers={"X-Trace": "1, x"})
    problem = problem_of(response, 422)
    assert problem["type"] == "/problems/validation" and problem["instance"] == "/things/0"
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [
        (["path", "thing-id"], "greater_than_equal"),
        (["query", "limit"], "int_parsing"),
        (["header", "X-Trace", 1], "int_parsing"),
    ]
    assert calls.seen == []


async def test_parameters_missing_required_one_is_422_missing() -> None:
    class Required(BaseModel):
        q: str

    app = make_app(make_endpoint(make_op(), parameters=Parameters(Required, (Param("q", "query", "q", "q"),))))
    problem = problem_of(await send(app, "GET", "/things"), 422)
    assert problem["errors"] == [{"loc": ["query", "q"], "msg": "Field required", "type": "missing"}]


class _Optional(BaseModel):
    """As the generator writes an operation's parameters model: frozen."""

    model_config = ConfigDict(frozen=True)

    key: Annotated[str | None, Field(min_length=1)] = None
    limit: int = 10


_OPTIONAL = (Param("key", "header", "Key", "Key"), Param("limit", "query", "limit", "limit"))


def _request(query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": query, "headers": headers or []})


def test_requests_sending_no_parameter_share_one_validated_instance() -> None:
    reader = Parameters(_Optional, _OPTIONAL)
    first, second = reader.read(_request()), reader.read(_request())
    assert first is second and first == _Optional()
    sent = reader.read(_request(b"limit=5", [(b"key", b"k")]))
    assert sent == _Optional(key="k", limit=5) and reader.read(_request()) == _Optional()
    with pytest.raises(ValidationError):
        first.limit = 11  # frozen: no request can change what the next one gets


def test_an_instance_is_not_shared_where_a_request_could_change_what_the_next_gets() -> None:
    class Listed(BaseModel):
        model_config = ConfigDict(frozen=True)

        tags: list[str] = Field(default_factory=lambda: ["default"])

    class Mutable(BaseModel):
        key: str | None = None

    listed = Parameters(Listed, (Param("tags", "query", "tag", "tag", many=True),))
    first = listed.read(_request())
    first.tags.append("changed by a handler")
    assert listed.read(_request()) == Listed()
    mutable = Parameters(Mutable, (Param("key", "header", "Key", "Key"),))
    assert mutable.read(_request()) is not mutable.read(_request())


class _PathAndQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    thing_id: Annotated[int, from_text("integer"), Field(ge=1)]
    limit: Annotated[int, from_text("integer"), Field(le=100)] = 10


_PATH_AND_QUERY = (Param("thing_id", "path", "thing-id", "thing_id"), Param("limit", "query", "limit", "limit"))


def _at(thing_id: str, query: bytes = b"") -> Request:
    request = _request(query)
    request.scope["path_params"] = {"thing_id": thing_id}
    return request


def test_path_and_query_parameters_read_from_the_same_text_are_read_once() -> None:
    reader = Parameters(_PathAndQuery, _PATH_AND_QUERY)
    first = reader.read(_at("7", b"limit=5"))
    assert reader.read(_at("7", b"limit=5")) is first == _PathAndQuery(thing_id=7, limit=5)
    # Another path value or query string is read for itself.
    assert reader.read(_at("8", b"limit=5")) == _PathAndQuery(thing_id=8, limit=5)
    assert reader.read(_at("7", b"limit=6")) == _PathAndQuery(thing_id=7, limit=6)
    assert reader.read(_at("7")) == _PathAndQuery(thing_id=7)


def test_invalid_parameters_are_refused_every_time() -> None:
    reader = Parameters(_PathAndQuery, _PATH_AND_QUERY)
    for _ in range(2):
        with pytest.raises(InvalidRequest):
            reader.read(_at("7", b"limit=101"))
        with pytest.raises(InvalidRequest):
            reader.read(_at("0"))


def test_the_parameters_kept_are_bounded_the_oldest_going_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parameters_module, "MEMO_SIZE", 2)
    reader = Parameters(_PathAndQuery, _PATH_AND_QUERY)
    first = reader.read(_at("1"))
    assert reader.read(_at("1")) is first
    reader.read(_at("2"))
    reader.read(_at("3"))  # the third: the first is dropped
    assert reader.read(_at("1")) is not first
    assert len(reader._memo or {}) == 2


def test_parameters_from_headers_or_cookies_or_of_mutable_values_are_read_every_time() -> None:
    class Listed(BaseModel):
        model_config = ConfigDict(frozen=True)

        tags: list[str] | None = None

    listed = Parameters(Listed, (Param("tags", "query", "tag", "tag", many=True),))
    first = listed.read(_request(b"tag=a"))
    first.tags.append("changed by a handler")  # type: ignore[union-attr]
    assert listed.read(_request(b"tag=a")) == Listed(tags=["a"])
    headed = Parameters(_Optional, _OPTIONAL)  # a header: not a function of the path and query alone
    assert headed.read(_request(b"limit=3", [(b"key", b"k")])) is not headed.read(
        _request(b"limit=3", [(b"key", b"k")])
    )


def test_a_missing_required_parameter_is_refused_every_time() -> None:
    class Required(BaseModel):
        model_config = ConfigDict(frozen=True)

        q: str

    reader = Parameters(Required, (Param("q", "query", "q", "q"),))
    for _ in range(2):
        with pytest.raises(InvalidRequest):
            reader.read(_request())


# JSON bodies


class _NewThing(BaseModel):
    model_config = ConfigDict(strict=True)

    name: str
    size: int | None = None


async def test_json_body_is_validated_into_the_model() -> None:
    calls = Calls()
    app = make_app(make_endpoint(make_op("POST"), calls, body=JsonBody(TypeAdapter(_NewThing))))
    response = await send(app, "POST", "/things", json={"name": "a", "size": 2})
    assert response.status_code == 200, response.text
    assert calls.seen[0][2] == _NewThing(name="a", size=2)


async def test_json_body_sent_in_chunks_is_read_whole() -> None:
    calls = Calls()
    app = make_app(make_endpoint(make_op("POST"), calls, body=JsonBody(TypeAdapter(_NewThing))))

    async def chunks() -> AsyncIterator[bytes]:
        for chunk in (b'{"na', b"", b'me": "chunked', b'", "size": 3}'):
            yield chunk

    response = await send(app, "POST", "/things", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert calls.seen[0][2] == _NewThing(name="chunked", size=3)


async def test_a_client_that_leaves_mid_body_gets_no_answer_and_the_handler_no_call() -> None:
    calls = Calls()
    app = make_app(make_endpoint(make_op("POST"), calls, body=JsonBody(TypeAdapter(_NewThing))))
    messages = iter([{"type": "http.request", "body": b'{"name": ', "more_body": True}, {"type": "http.disconnect"}])
    sent: list[Message] = []

    async def receive() -> Message:
        return next(messages)

    async def record(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/things",
        "raw_path": b"/things",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test"), (b"content-type", b"application/json")],
    }
    await app(scope, receive, record)
    assert sent == [] and calls.seen == []


async def test_json_body_with_a_json_suffix_media_type_is_accepted() -> None:
    calls = Calls()
    app = make_app(make_endpoint(make_op("POST"), calls, body=JsonBody(TypeAdapter(_NewThing))))
    response = await send(
        app, "POST", "/things", content=b'{"name": "a"}', headers={"content-type": "application/merge-patch+json"}
    )
    assert response.status_code == 200, response.text
    assert calls.seen[0][2] == _NewThing(name="a")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_json_body_of_another_media_type_returns_415_problem(content_type: str | None) -> None:
    calls = Calls()
    app = make_app(make_endpoint(make_op("POST"), calls, body=JsonBody(TypeAdapter(_NewThing))))
    headers = {"content-type": content_type} if content_type else {}
    problem = problem_of(await send(app, "POST", "/things", content=b'{"name": "a"}', headers=headers), 415)
    assert problem["type"] == "/problems/unsupported-media-type"
    assert problem["detail"] == f"unsupported media type {content_type or '(none)'}; send application/json"
    assert calls.seen == []


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b'{"name": ', "the request body is not valid JSON"),
        (b"name=a", "the request body is not valid JSON"),
        (b'{"name": "\xff"}', "the request body is not valid UTF-8"),
        ('{"name": "é"}'.encode("utf-16"), "the request body is not valid UTF-8"),
    ],
)
async def test_json_body_malformed_returns_400_problem(content: bytes, detail: str) -> None:
    app = make_app(make_endpoint(make_op("POST"), body=JsonBody(TypeAdapter(_NewThing))))
    response = await send(app, "POST", "/things", content=content, headers={"content-type": "application/json"})
    problem = problem_of(response, 400)
    assert (problem["type"], problem["detail"]) == ("/problems/bad-request", detail)


async def test_json_body_schema_violation_returns_422_under_body() -> None:
    app = make_app(make_endpoint(make_op("POST"), body=JsonBody(TypeAdapter(_NewThing))))
    problem = problem_of(await send(app, "POST", "/things", json={"name": 5}), 422)
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [(["body", "name"], "string_type")]


async def test_json_body_required_but_absent_returns_422_missing_body() -> None:
    calls = Calls()
    app = make_app(make_endpoint(make_op("POST"), calls, body=JsonBody(TypeAdapter(_NewThing))))
    problem = problem_of(await send(app, "POST", "/things"), 422)
    assert problem["errors"] == [{"loc": ["body"], "msg": "Field required", "type": "missing"}]
    assert calls.seen == []


async def test_optional_json_body_absent_is_none() -> None:
    calls = Calls()
    app = make_app(make_endpoint(make_op("POST"), calls, body=OptionalJsonBody(TypeAdapter(_NewThing))))
    assert (await send(app, "POST", "/things")).status_code == 200
    assert (await send(app, "POST", "/things", json={"name": "a"})).status_code == 200
    assert [body for _, _, body in calls.seen] == [None, _NewThing(name="a")]


async def test_optional_json_body_sent_as_null_is_422_when_the_schema_is_an_object() -> None:
    calls = Calls()
    app = make_app(make_endpoint(make_op("POST"), calls, body=OptionalJsonBody(TypeAdapter(_NewThing))))
    response = await send(app, "POST", "/things", content=b"null", headers={"content-type": "application/json"})
    problem = problem_of(response, 422)
    assert [e["loc"] for e in problem["errors"]] == [["body"]]
    assert calls.seen == []


async def test_raw_body_reaches_the_handler_as_bytes() -> None:
    calls = Calls()
    app = make_app(make_endpoint(make_op("POST"), calls, body=RawBody()))
    response = await send(app, "POST", "/things", content=b"a,b\n1,2\n", headers={"content-type": "text/csv"})
    assert response.status_code == 200
    assert calls.seen[0][2] == b"a,b\n1,2\n"


# Form and multipart bodies


class _OrderForm(BaseModel):
    pet_id: int
    quantity: Annotated[int, Field(ge=1)]
    note: str | None = None
    tags: list[str] | None = None


class _Order(BaseModel):
    model_config = ConfigDict(strict=True)

    petId: int
    quantity: int
    note: str | None = None
    tags: list[str] | None = None


_ORDER_FIELDS = FormFields(
    _OrderForm,
    (Part("pet_id", "petId"), Part("quantity", "quantity"), Part("note", "note"), Part("tags", "tags", many=True)),
    accepted=FORM_MEDIA_TYPE,
)
_FORM = {"content-type": FORM_MEDIA_TYPE}


async def test_form_body_fields_are_converted_then_validated_into_the_contract_model() -> None:
    calls = Calls()
    app = make_app(make_endpoint(make_op("POST"), calls, body=FormModel(_ORDER_FIELDS, TypeAdapter(_Order))))
    response = await send(app, "POST", "/things", content=b"petId=3&quantity=2&tags=a&tags=b", headers=_FORM)
    assert response.status_code == 200, response.text
    body = calls.seen[0][2]
    assert body == _Order(petId=3, quantity=2, tags=["a", "b"])
    assert body.model_fields_set == {"petId", "quantity", "tags"}  # absent fields stay unset


async def test_form_body_empty_string_field_is_validated_as_sent_not_taken_as_absent() -> None:
    calls = Calls()
    app = make_app(make_endpoint(make_op("POST"), calls, body=FormModel(_ORDER_FIELDS, TypeAdapter(_Order))))
    response = await send(app, "POST", "/things", content=b"petId=3&quantity=1&note=", headers=_FORM)
    assert response.status_code == 200, response.text
    assert calls.seen[0][2].note == ""
    problem = problem_of(await send(app, "POST", "/things", content=b"petId=3&quantity=", headers=_FORM), 422)
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [(["body", "quantity"], "int_parsing")]


async def test_form_body_invalid_fields_return_422_under_their_contract_names() -> None:
    app = make_app(make_endpoint(make_op("POST"), body=FormModel(_ORDER_FIELDS, TypeAdapter(_Order))))
    problem = problem_of(await send(app, "POST", "/things", content=b"quantity=0", headers=_FORM), 422)
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [
        (["body", "petId"], "missing"),
        (["body", "quantity"], "greater_than_equal"),
    ]


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data; boundary=x", "text/plain"])
async def test_form_body_of_another_media_type_returns_415_problem(content_type: str) -> None:
    calls = Calls()
    app = make_app(make_endpoint(make_op("POST"), calls, body=FormModel(_ORDER_FIELDS, TypeAdapter(_Order))))
    response = await send(app, "POST", "/things", content=b"petId=3", headers={"content-type": content_type})
    problem = problem_of(response, 415)
    assert problem["detail"].endswith(f"; send {FORM_MEDIA_TYPE}")
    assert calls.seen == []


async def test_form_body_absent_is_every_field_missing_not_415() -> None:
    class Optional(BaseModel):
        note: str | None = None

    calls = Calls()
    optional = FormFields(Optional, (Part("note", "note"),), accepted=FORM_MEDIA_TYPE)
    app = make_app(
        make_endpoint(make_op("POST"), calls, body=optional),
        make_endpoint(make_op("PUT"), body=FormModel(_ORDER_FIELDS, TypeAdapter(_Order))),
    )
    assert (await send(app, "POST", "/things")).status_code == 200
    assert calls.seen[0][2] == Optional()
    problem = problem_of(await send(app, "PUT", "/things"), 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "petId"], ["body", "quantity"]]


class _UploadParts(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    file: UploadFile
    caption: Annotated[str | None, Field(max_length=5)] = None
    extras: list[UploadFile] | None = None


_UPLOAD_PARTS = FormFields(
    _UploadParts,
    (Part("file", "file"), Part("caption", "caption"), Part("extras", "extras", many=True)),
    accepted=MULTIPART_MEDIA_TYPE,
)


async def test_multipart_body_gives_uploaded_files_and_text_parts() -> None:
    async def read(ctx: RequestContext, p: None, body: _UploadParts) -> object:
        extras = [(f.filename, await f.read()) for f in body.extras or ()]
        return {"file": (body.file.filename, (await body.file.read()).decode()), "caption": body.caption, "x": extras}

    app = make_app(make_endpoint(make_op("POST"), read, body=_UPLOAD_PARTS, adapter=TypeAdapter(dict[str, Any])))
    files = [("file", ("a.txt", b"abc")), ("extras", ("b.bin", b"1")), ("extras", ("c.bin", b"2"))]
    response = await send(app, "POST", "/things", files=files, data={"caption": "hi"})
    assert response.status_code == 200, response.text
    assert response.json() == {"file": ["a.txt", "abc"], "caption": "hi", "x": [["b.bin", "1"], ["c.bin", "2"]]}


async def test_multipart_body_missing_file_or_text_instead_of_file_returns_422() -> None:
    app = make_app(make_endpoint(make_op("POST"), body=_UPLOAD_PARTS))
    problem = problem_of(await send(app, "POST", "/things", files={"caption": (None, b"toolong")}), 422)
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [
        (["body", "file"], "missing"),
        (["body", "caption"], "string_too_long"),
    ]
    problem = problem_of(await send(app, "POST", "/things", files={"file": (None, b"text")}), 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "file"]]


async def test_multipart_body_without_boundary_returns_400_problem() -> None:
    app = make_app(make_endpoint(make_op("POST"), body=_UPLOAD_PARTS))
    response = await send(app, "POST", "/things", content=b"x", headers={"content-type": "multipart/form-data"})
    assert problem_of(response, 400)["type"] == "/problems/bad-request"


@pytest.mark.parametrize("failure", [RuntimeError("a bug"), asyncio.CancelledError()])
async def test_multipart_files_are_closed_however_the_handler_ends(failure: BaseException) -> None:
    seen: list[_UploadParts] = []

    async def fails(ctx: RequestContext, p: None, body: _UploadParts) -> object:
        seen.append(body)
        raise failure

    app = make_app(make_endpoint(make_op("POST"), fails, body=_UPLOAD_PARTS))
    files = [("file", ("a.txt", b"abc")), ("extras", ("b.bin", b"1"))]
    with pytest.raises(type(failure)):
        await send(app, "POST", "/things", files=files)
    (body,) = seen
    # Spooled upload files left open would leak descriptors (and temp files) until garbage collection.
    assert body.file.file.closed and all(extra.file.closed for extra in body.extras or ())


class _Point(BaseModel):
    x: int


class _JsonParts(BaseModel):
    point: _Point | None = None
    maybe: _Point | None
    points: list[_Point] | None = None
    track: list[_Point] | None = None
    gaps: list[_Point | None] | None = None


_JSON_PARTS = FormFields(
    _JsonParts,
    (
        Part("point", "point", json=True),
        Part("maybe", "maybe", json=True, nullable=True),
        Part("points", "points", many=True, json=True),
        Part("track", "track", many=True, json=True, nullable=True),
        Part("gaps", "gaps", many=True, json=True),
    ),
    accepted=MULTIPART_MEDIA_TYPE,
)


async def test_multipart_json_part_null_is_none_only_where_the_schema_allows_null() -> None:
    calls = Calls()
    app = make_app(make_endpoint(make_op("POST"), calls, body=_JSON_PARTS))

    def parts(**values: str) -> list[tuple[str, tuple[None, bytes, str]]]:
        return [(name, (None, text.encode(), "application/json")) for name, text in values.items()]

    answer = await send(app, "POST", "/things", files=parts(maybe="null", track="null", gaps="null"))
    assert answer.status_code == 200, answer.text
    assert calls.seen[0][2] == _JsonParts(maybe=None, track=None, gaps=[None])
    # An optional part that is not nullable: `null` is refused, not read as absent.
    problem = problem_of(await send(app, "POST", "/things", files=parts(maybe="null", point="null")), 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "point"]]
    problem = problem_of(await send(app, "POST", "/things", files=parts(maybe="null", points="null")), 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "points", 0]]


async def test_a_single_valued_field_sent_twice_is_an_array_and_returns_422() -> None:
    """Repeated parts are how an array travels in a form or multipart body; a field whose schema is not an array
    refuses them, rather than keeping one of the values (the last, silently)."""
    app = make_app(make_endpoint(make_op("POST"), body=_UPLOAD_PARTS))
    files = [
        ("file", ("a.txt", b"a")),
        ("file", ("b.txt", b"b")),
        ("caption", (None, b"one")),
        ("caption", (None, b"two")),
    ]
    problem = problem_of(await send(app, "POST", "/things", files=files), 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "file"], ["body", "caption"]]
    form = make_app(make_endpoint(make_op("POST"), body=FormModel(_ORDER_FIELDS, TypeAdapter(_Order))))
    problem = problem_of(
        await send(form, "POST", "/things", content=b"petId=3&quantity=1&quantity=2", headers=_FORM), 422
    )
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [(["body", "quantity"], "int_type")]
