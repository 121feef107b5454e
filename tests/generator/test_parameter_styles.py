"""Objects in parameters and multipart parts (issue 11, class 9): the generated stub of the class 9 fixture, with a
service recording what it was given."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.generator.helpers import recording_stub

FIXTURE = Path(__file__).parent / "fidelity" / "class09-parameter-styles.yaml"


@pytest.fixture
def client(tmp_path: Path) -> tuple[httpx.AsyncClient, list[dict[str, Any]]]:
    return recording_stub(FIXTURE, tmp_path, "search", "upload", "get_cell")


async def test_a_query_key_no_parameter_names_goes_to_the_exploded_object_that_allows_it(
    client: tuple[httpx.AsyncClient, list[dict[str, Any]]],
) -> None:
    # `filter` (additionalProperties: false) and `opts` (any additional property) are both exploded: `zz` is valid
    # as a property of `opts`, so `filter` must not see it (its model, like any body model whose schema does not
    # say `additionalProperties`, keeps only the properties it names).
    http, received = client
    answer = await http.get("/search", params=[("kind", "book"), ("verbose", "true"), ("zz", "1"), ("zz", "2")])
    assert answer.status_code == 200, answer.text
    (call,) = received
    assert call["filter"].model_dump(exclude_unset=True) == {"kind": "book"}
    assert call["opts"].model_dump(exclude_unset=True) == {"verbose": True}


@pytest.mark.parametrize(
    ("query", "headers", "where"),
    [
        ("kind=book&verbose=maybe", {}, ("query", "opts", "verbose")),
        ("kind=book&since=5", {}, ("query", "opts", "since")),
        ("kind=book&since=2020-02-30", {}, ("query", "opts", "since")),
        ("kind=book&counts%5Ba%5D=x", {}, ("query", "counts", "a")),
        ("kind=book&counts%5Ba%5D=-1", {}, ("query", "counts", "a")),
        ("kind=book", {"X-Window": "w,0"}, ("header", "X-Window", "w")),
        ("kind=book", {"X-Window": "w,1,at,2020-01-01T10:00:00"}, ("header", "X-Window", "at")),
        ("kind=book", {"X-Window": "w,1,h,2"}, ("header", "X-Window", "h")),
        ("kind=book", {"Cookie": "view=dense,1"}, ("cookie", "view", "dense")),
    ],
)
async def test_an_invalid_inline_object_parameter_is_a_422_naming_the_parameter_and_property(
    client: tuple[httpx.AsyncClient, list[dict[str, Any]]], query: str, headers: dict[str, str], where: tuple[str, ...]
) -> None:
    http, received = client
    answer = await http.get(f"/search?{query}", headers=headers)
    assert answer.status_code == 422, answer.text
    assert [tuple(e["loc"]) for e in answer.json()["errors"]] == [where]
    assert received == []


async def test_a_valid_inline_object_parameter_reaches_the_service_as_its_model_with_typed_values(
    client: tuple[httpx.AsyncClient, list[dict[str, Any]]],
) -> None:
    http, received = client
    query = "kind=film&verbose=false&since=2024-02-29&counts%5Ba%5D=3&counts%5Bb%5D=0"
    headers = {"X-Window": "w,2,at,2024-02-29T10:00:00Z", "Cookie": "view=dense,true"}
    answer = await http.get(f"/search?{query}", headers=headers)
    assert answer.status_code == 200, answer.text
    (call,) = received
    opts, counts, window, view = call["opts"], call["counts"], call["x_window"], call["view"]
    assert type(opts).__name__ == "SearchOptsParameter"
    assert (opts.verbose, opts.since) == (False, datetime.date(2024, 2, 29))
    assert counts.root == {"a": 3, "b": 0}
    assert (window.w, window.at) == (2, datetime.datetime(2024, 2, 29, 10, tzinfo=datetime.UTC))
    assert view.dense is True
    answer = await http.get("/cells/row,1,col,2")
    assert answer.status_code == 200, answer.text
    assert received[1]["cell"].model_dump() == {"row": 1, "col": 2}
    answer = await http.get("/cells/row,1,col,-2")
    assert answer.status_code == 422, answer.text
    assert [tuple(e["loc"]) for e in answer.json()["errors"]] == [("path", "cell", "col")]


def _upload(**parts: Any) -> list[tuple[str, tuple[str | None, bytes, str]]]:
    """Multipart parts: a file, and each value as a JSON part (`None` is the JSON `null`)."""
    files = [("file", ("a.txt", b"abc", "text/plain"))]
    files.extend((name, (None, json.dumps(value).encode(), "application/json")) for name, value in parts.items())
    return files


async def test_a_null_part_is_null_where_its_schema_allows_it_and_refused_elsewhere(
    client: tuple[httpx.AsyncClient, list[dict[str, Any]]],
) -> None:
    http, received = client
    meta = {"kind": "film"}
    answer = await http.post("/uploads", files=_upload(meta=meta, owner=None, history=None))
    assert answer.status_code == 201, answer.text
    assert (received[0]["owner"], received[0]["history"]) == (None, None)
    answer = await http.post("/uploads", files=_upload(meta=meta, owner={"name": "ann"}, history=[{"size": 5}]))
    assert answer.status_code == 201, answer.text
    assert received[1]["owner"].model_dump() == {"name": "ann"}
    assert [p.size for p in received[1]["history"]] == [5]
    # Not nullable: `null` is no object, and no one-item array of objects either, even for an optional part.
    for name in ("meta", "page", "note", "pages"):
        answer = await http.post("/uploads", files=_upload(**{"meta": meta, "owner": None, name: None}))
        assert answer.status_code == 422, (name, answer.text)
        assert {tuple(e["loc"][:2]) for e in answer.json()["errors"]} == {("body", name)}
    assert len(received) == 2


async def test_an_object_part_is_read_at_every_depth(client: tuple[httpx.AsyncClient, list[dict[str, Any]]]) -> None:
    http, received = client
    note = {"text": "hi", "where": {"line": 3}}
    answer = await http.post("/uploads", files=_upload(meta={"kind": "book"}, owner=None, note=note))
    assert answer.status_code == 201, answer.text
    assert received[0]["note"].model_dump(exclude_unset=True) == note
    note = {"text": "hi", "where": {"line": 0}}
    answer = await http.post("/uploads", files=_upload(meta={"kind": "book"}, owner=None, note=note))
    assert answer.status_code == 422, answer.text
    assert [tuple(e["loc"]) for e in answer.json()["errors"]] == [("body", "note", "where", "line")]


async def test_an_inline_object_part_is_its_model_with_formats_read_as_in_a_json_body(
    client: tuple[httpx.AsyncClient, list[dict[str, Any]]],
) -> None:
    # Lifted to a model of its own (`UploadNotePart`): a date is a JSON string, int32 is a range, as in JSON bodies.
    http, received = client
    note = {"text": "hi", "due": "2024-02-29", "size": 5}
    answer = await http.post("/uploads", files=_upload(meta={"kind": "book"}, owner={"name": "ann"}, note=note))
    assert answer.status_code == 201, answer.text
    assert type(received[0]["note"]).__name__ == "UploadNotePart"
    assert received[0]["note"].due == datetime.date(2024, 2, 29)
    assert received[0]["owner"].name == "ann"
    note = {"text": "hi", "due": "2024-02-30", "size": 2**31}
    answer = await http.post("/uploads", files=_upload(meta={"kind": "book"}, owner=None, note=note))
    assert answer.status_code == 422, answer.text
    assert [tuple(e["loc"]) for e in answer.json()["errors"]] == [("body", "note", "due"), ("body", "note", "size")]
    # A file is no JSON part.
    files = [*_upload(meta={"kind": "book"}, owner=None), ("note", ("note.json", b'{"text": "hi"}', "text/plain"))]
    answer = await http.post("/uploads", files=files)
    assert answer.status_code == 422, answer.text
    assert [tuple(e["loc"]) for e in answer.json()["errors"]] == [("body", "note")]
    # A number is no date, not even a Unix timestamp.
    note = {"text": "hi", "due": 5}
    answer = await http.post("/uploads", files=_upload(meta={"kind": "book"}, owner=None, note=note))
    assert answer.status_code == 422, answer.text
    assert [tuple(e["loc"]) for e in answer.json()["errors"]] == [("body", "note", "due")]
    assert len(received) == 1


async def test_a_date_in_a_referenced_part_model_is_a_json_string(tmp_path: Path) -> None:
    # A part whose model comes from `components` (not lifted) is read the same way: the strict `Date` field of the
    # model takes the part's JSON string.
    spec = tmp_path / "dated.yaml"
    spec.write_text(_DATED_PART)
    http, received = recording_stub(spec, tmp_path, "post_event")
    async with http:
        part = ("event", (None, b'{"on": "2024-02-29"}', "application/json"))
        answer = await http.post("/events", files=[part])
        assert answer.status_code == 200, answer.text
        assert received[0]["event"].on == datetime.date(2024, 2, 29)
        answer = await http.post("/events", files=[("event", (None, b'{"on": 1709164800}', "application/json"))])
        assert answer.status_code == 422, answer.text
        assert [tuple(e["loc"]) for e in answer.json()["errors"]] == [("body", "event", "on")]


_DATED_PART = """
openapi: 3.1.0
info: {title: dated part, version: "1"}
paths:
  /events:
    post:
      operationId: postEvent
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [event]
              properties:
                event: {$ref: '#/components/schemas/Event'}
      responses:
        '200': {description: stored}
components:
  schemas:
    Event:
      type: object
      required: ["on"]
      properties:
        "on": {type: string, format: date}
"""


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("/search?kind=book&verbose=true&codes=ab&codes=abcd", ("query", "codes", 1)),  # an item too long
        ("/search?kind=book&verbose=true&codes=AB", ("query", "codes", 0)),  # an item off its pattern
        ("/grid/3,100/.1/;zoom=2", ("path", "cells", 1)),  # an item over its maximum
    ],
)
async def test_each_item_of_an_array_parameter_keeps_its_own_constraints(
    client: tuple[httpx.AsyncClient, list[dict[str, Any]]], path: str, where: tuple[object, ...]
) -> None:
    http, received = client
    answer = await http.get(path)
    assert answer.status_code == 422, answer.text
    assert [tuple(error["loc"]) for error in answer.json()["errors"]] == [where]
    assert received == []


async def test_array_parameter_items_within_their_constraints_reach_the_service(
    client: tuple[httpx.AsyncClient, list[dict[str, Any]]],
) -> None:
    http, received = client
    answer = await http.get("/search?kind=book&verbose=true&codes=ab&codes=xyz")
    assert answer.status_code == 200, answer.text
    assert received[0]["codes"] == ["ab", "xyz"]
    assert (await http.get("/grid/0,99/.1/;zoom=2")).status_code == 501  # valid: the recorder does not implement it
