"""Unit tests of scripts/runtime/outputs.py: the Responder turns results into the declared response."""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator

import pytest
from pydantic import BaseModel, Field, RootModel, TypeAdapter
from starlette.responses import Response

from scripts.runtime import (
    Download,
    LocationLink,
    OperationInfo,
    RequestContext,
    Responder,
)
from scripts.runtime.outputs import content_disposition, content_type_header, json_response
from tests.generator.runtime_app import (
    Calls,
    make_app,
    make_endpoint,
    make_op,
    send,
)


class _Status(enum.Enum):
    sold = "sold out"


class _Id(RootModel[int]):
    pass


class _Pet(BaseModel):
    pet_id: _Id = Field(alias="petId")
    name: str
    status: _Status | None = None
    tag: str | None = None


def _ctx(op: OperationInfo) -> RequestContext:
    return RequestContext(op)


def test_responder_fills_location_from_the_result_fields_by_alias_under_the_root_path() -> None:
    op = make_op("POST", "/pets", success_status=201, statuses=(201,))
    link = LocationLink("/pets/{petId}/status/{status}", (("petId", "petId"), ("status", "status")))
    responder = Responder(op, TypeAdapter(_Pet), location=link)
    pet = _Pet(petId=_Id(5), name="Rex", status=_Status.sold)
    response = responder.render(_ctx(op), "/api", pet)
    assert response.status_code == 201
    assert response.headers["location"] == "/api/pets/5/status/sold%20out"
    assert response.body == b'{"petId":5,"name":"Rex","status":"sold out"}'  # by alias, unset fields absent


class _Owner(BaseModel):
    name: str


class _Listing(BaseModel):
    owner: _Owner
    pets: list[_Pet]  # a default two levels down: an unset field the dump must still leave out


@pytest.mark.parametrize(
    ("adapter", "value", "expected"),
    [
        (TypeAdapter(list[_Owner]), [_Owner(name="Ann")], b'[{"name":"Ann"}]'),
        (
            TypeAdapter(_Listing),
            _Listing(owner=_Owner(name="Ann"), pets=[_Pet(petId=_Id(1), name="Rex")]),
            b'{"owner":{"name":"Ann"},"pets":[{"petId":1,"name":"Rex"}]}',
        ),
    ],
)
def test_responder_leaves_unset_fields_out_at_any_depth(
    adapter: TypeAdapter[object], value: object, expected: bytes
) -> None:
    op = make_op("GET", "/listing")
    assert Responder(op, adapter).render(_ctx(op), "", value).body == expected


def test_responder_skips_exclude_unset_only_for_types_without_defaults() -> None:
    op = make_op("GET", "/listing")
    assert Responder(op, TypeAdapter(list[_Owner]))._exclude_unset is False
    assert Responder(op, TypeAdapter(_Listing))._exclude_unset is True  # _Pet, inside a list, has defaults


def test_responder_leaves_location_out_when_a_field_is_missing_and_keeps_one_the_service_set() -> None:
    op = make_op("POST", "/pets", success_status=201, statuses=(201,))
    responder = Responder(op, TypeAdapter(_Pet), location=LocationLink("/pets/{s}", (("s", "status"),)))
    assert "location" not in responder.render(_ctx(op), "", _Pet(petId=_Id(5), name="Rex")).headers
    ctx = _ctx(op)
    ctx.headers["location"] = "/elsewhere"
    assert responder.render(ctx, "", _Pet(petId=_Id(5), name="Rex", status=_Status.sold)).headers["location"] == (
        "/elsewhere"
    )
    mapping = Responder(op, TypeAdapter(dict[str, int]), location=LocationLink("/pets/{id}", (("id", "id"),)))
    assert mapping.render(_ctx(op), "", {"id": 9}).headers["location"] == "/pets/9"


def test_responder_status_code_chosen_by_the_service_must_be_declared() -> None:
    op = make_op(statuses=(200, 202))
    responder = Responder(op, TypeAdapter(dict[str, int]))
    ctx = _ctx(op)
    ctx.status_code = 202
    assert responder.render(ctx, "", {"a": 1}).status_code == 202
    ctx.status_code = 299
    with pytest.raises(ValueError, match="op: status 299 is not declared"):
        responder.render(ctx, "", {"a": 1})
    anything = make_op(statuses=None)  # a `default` response allows any status
    ctx = _ctx(anything)
    ctx.status_code = 299
    assert Responder(anything, None).render(ctx, "", None).status_code == 299


def test_responder_without_adapter_refuses_a_result_that_is_not_none_or_a_download() -> None:
    op = make_op(success_status=204, statuses=(204,))
    response = Responder(op, None).render(_ctx(op), "", None)
    assert (response.status_code, response.body) == (204, b"")
    with pytest.raises(TypeError, match="op: expected a Download or None, got dict"):
        Responder(op, None).render(_ctx(op), "", {"a": 1})


async def test_responder_applies_cookies_headers_and_background_tasks() -> None:
    ran: list[str] = []

    def make(ctx: RequestContext, p: None, body: None) -> object:
        ctx.headers["X-Total"] = "3"
        ctx.set_cookie("sid", "abc", max_age=60, secure=True, samesite="strict")
        ctx.delete_cookie("old")
        ctx.add_background_task(ran.append, "after")
        return {"ok": 1}

    app = make_app(make_endpoint(make_op(), Calls(make=make), adapter=TypeAdapter(dict[str, int])))
    response = await send(app, "GET", "/things")
    assert response.json() == {"ok": 1} and response.headers["x-total"] == "3"
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 2
    assert cookies[0].startswith("sid=abc;") and "Max-Age=60" in cookies[0] and "Secure" in cookies[0]
    assert "HttpOnly" in cookies[0] and "SameSite=strict" in cookies[0]
    assert cookies[1].startswith('old="";') and "Max-Age=0" in cookies[1]
    assert ran == ["after"]


async def test_responder_sends_downloads_as_bytes_or_streams_with_a_filename() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"\x89P"
        yield b"NG"

    def make(ctx: RequestContext, p: None, body: None) -> object:
        if ctx.operation.method == "GET":
            return Download("image/png", chunks(), filename="ph oto.png", headers={"ETag": '"1"'})
        return Download("text/csv", b"a,b\n")

    app = make_app(make_endpoint(make_op("GET"), Calls(make=make)), make_endpoint(make_op("POST"), Calls(make=make)))
    streamed = await send(app, "GET", "/things")
    assert (streamed.content, streamed.headers["content-type"], streamed.headers["etag"]) == (
        b"\x89PNG",
        "image/png",
        '"1"',
    )
    assert (
        streamed.headers["content-disposition"] == "attachment; filename=\"ph oto.png\"; filename*=UTF-8''ph%20oto.png"
    )
    sent = await send(app, "POST", "/things")
    assert (sent.content, sent.headers["content-type"]) == (b"a,b\n", "text/csv; charset=utf-8")
    assert "content-disposition" not in sent.headers


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ('a"b\\c.txt', "attachment; filename=\"a_b_c.txt\"; filename*=UTF-8''a%22b%5Cc.txt"),
        (
            "x\r\nSet-Cookie: y.txt",
            "attachment; filename=\"x__Set-Cookie: y.txt\"; filename*=UTF-8''x%0D%0ASet-Cookie%3A%20y.txt",
        ),
        ("naïve 100%.png", "attachment; filename=\"na_ve 100_.png\"; filename*=UTF-8''na%C3%AFve%20100%25.png"),
        ("", "attachment; filename=\"download\"; filename*=UTF-8''"),
    ],
)
def test_content_disposition_is_safe_for_any_file_name(filename: str, expected: str) -> None:
    assert content_disposition(filename) == expected


_HEADER_SETS = [
    {},
    {"ETag": '"abc-1"'},
    {"Location": "/items/1", "ETag": '"abc-1"', "X-Mixed-Case": "Value"},
    {"Content-Type": "application/vnd.custom+json"},  # a service's own: Starlette's path
    {"content-length": "2"},
    {"X-Latin": "caf\u00e9"},
]


@pytest.mark.parametrize("headers", _HEADER_SETS)
@pytest.mark.parametrize(
    "media_type", ["application/json", "application/problem+json", "text/csv", "text/plain; charset=latin-1"]
)
@pytest.mark.parametrize("status", [200, 201, 204, 304])
def test_json_responses_are_what_starlettes_response_builds(
    headers: dict[str, str], media_type: str, status: int
) -> None:
    body = b'{"id":1}'
    built = json_response(body, status, content_type_header(media_type), headers)
    expected = Response(body, status_code=status, headers=headers, media_type=media_type)
    assert (built.status_code, built.body, built.raw_headers, built.background) == (
        expected.status_code,
        expected.body,
        expected.raw_headers,
        expected.background,
    )
    built.set_cookie("c", "v")
    expected.set_cookie("c", "v")
    assert built.raw_headers == expected.raw_headers
