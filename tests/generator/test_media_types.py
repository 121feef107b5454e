"""Every declared request media type is read (issue 11, class 1): the generated stub of the class 1 fixture, with a
service recording what it was given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from scripts.generate import generate
from scripts.parse_io import Alternative
from scripts.schemas import GenerationError
from tests.generator.helpers import OK, import_package, inline_spec, only_operation

FIXTURE = Path(__file__).parent / "fidelity" / "class01-media-types.yaml"


@pytest.fixture
def client(tmp_path: Path) -> tuple[httpx.AsyncClient, list[Any]]:
    generate(FIXTURE, tmp_path / "gen_class01", display="class01.yaml")
    package = import_package(tmp_path, "gen_class01")
    received: list[Any] = []

    class Recorder(package.protocols.UnimplementedDefaultService):
        async def create_note(self, ctx: Any, *, body: Any) -> None:
            received.append(body)

        async def put_doc(self, ctx: Any, *, body: Any) -> None:
            received.append(body)

    app = FastAPI()
    for router in package.build_routers(package.Services(default=Recorder())):
        app.router.routes.extend(router.routes)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t"), received


async def test_json_form_and_multipart_are_validated_into_the_same_model(
    client: tuple[httpx.AsyncClient, list[Any]],
) -> None:
    http, received = client
    assert (await http.post("/notes", json={"title": "a", "stars": 3})).status_code == 201
    assert (await http.post("/notes", data={"title": "b", "stars": "4", "draft": "true"})).status_code == 201
    assert (await http.post("/notes", files={"title": (None, "c"), "stars": (None, "5")})).status_code == 201
    assert [(type(b).__name__, b.title, b.stars) for b in received] == [
        ("Note", "a", 3),
        ("Note", "b", 4),
        ("Note", "c", 5),
    ]
    assert received[1].draft is True
    for bad in ({"title": "d", "stars": "6"}, {"title": "d", "stars": "1", "draft": "0"}, {"title": "d"}):
        answer = await http.post("/notes", data=bad)
        assert answer.status_code == 422, answer.text
        answer = await http.post("/notes", files={k: (None, v) for k, v in bad.items()})
        assert answer.status_code == 422, answer.text


async def test_octet_stream_is_handed_over_as_bytes_and_undeclared_types_get_415(
    client: tuple[httpx.AsyncClient, list[Any]],
) -> None:
    http, received = client
    answer = await http.post("/notes", content=b"\x00\xff", headers={"content-type": "application/octet-stream"})
    assert answer.status_code == 201
    assert received == [b"\x00\xff"]
    answer = await http.post("/notes", content=b"x", headers={"content-type": "text/plain"})
    assert answer.status_code == 415
    assert answer.headers["content-type"] == "application/problem+json"


async def test_xml_must_be_well_formed_and_free_of_entities(client: tuple[httpx.AsyncClient, list[Any]]) -> None:
    http, received = client
    xml = {"content-type": "application/xml"}
    assert (await http.put("/docs", content=b"<doc>hi</doc>", headers=xml)).status_code == 204
    assert (await http.put("/docs", content=b"plain", headers={"content-type": "text/plain"})).status_code == 204
    assert received == [b"<doc>hi</doc>", b"plain"]
    assert (await http.put("/docs", content=b"<doc>", headers=xml)).status_code == 400
    bomb = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;&a;</d>'
    answer = await http.put("/docs", content=bomb, headers=xml)
    assert answer.status_code == 400 and "refused" in answer.json()["detail"]


def test_alternatives_are_parsed_with_their_kind_and_the_body_type_is_their_union() -> None:
    schema = {"$ref": "#/components/schemas/Note"}
    note = {"type": "object", "required": ["t"], "properties": {"t": {"type": "string"}}}
    content = {
        "application/json": {"schema": schema},
        "multipart/form-data": {"schema": schema},
        "text/xml": {"schema": {"type": "string"}},
        "image/*": {},
    }
    body = {"required": True, "content": content}
    op = only_operation(inline_spec({"/n": {"post": {"requestBody": body, "responses": OK}}}, {"Note": note}))
    assert op.body is not None and op.body.kind == "json"
    assert op.body.type_expr == "models.Note | bytes"
    assert [(a.pattern, a.kind, a.value_type) for a in op.body.alternatives] == [
        ("multipart/form-data", "multipart", "models.Note"),
        ("text/xml", "xml", "bytes"),
        ("image/*", "raw", "bytes"),
    ]
    assert isinstance(op.body.alternatives[0], Alternative)
    assert [f.name for f in op.body.alternatives[0].fields] == ["t"]


def test_an_inline_form_alternative_equal_to_the_json_schema_shares_its_model() -> None:
    inline = {"type": "object", "properties": {"a": {"type": "string"}}}
    form = {"type": "object", "properties": {"b": {"type": "integer"}}}
    content = {
        "application/json": {"schema": inline},
        "application/x-www-form-urlencoded": {"schema": dict(inline)},
        "multipart/form-data": {"schema": form},
    }
    body = {"content": content}
    op = only_operation(inline_spec({"/n": {"post": {"operationId": "mk", "requestBody": body, "responses": OK}}}))
    assert op.body is not None
    assert op.body.type_expr == "models.MkRequest | models.MkRequestFormData | None"
    assert [a.value_type for a in op.body.alternatives] == ["models.MkRequest", "models.MkRequestFormData"]


def test_multipart_besides_other_media_types_is_refused_at_generate_time() -> None:
    content = {
        "multipart/form-data": {"schema": {"type": "object", "properties": {"f": {"type": "string"}}}},
        "application/octet-stream": {},
    }
    spec = inline_spec({"/u": {"post": {"requestBody": {"content": content}, "responses": OK}}})
    with pytest.raises(GenerationError, match="multipart/form-data besides application/octet-stream"):
        only_operation(spec)
