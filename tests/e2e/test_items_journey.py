"""An item's whole life through the HTTP API: create, read, list, change, conditional writes, delete."""

from __future__ import annotations

import httpx
import pytest

PROBLEM = "application/problem+json"
NEW_ITEM = {"name": "Foo", "description": "A very nice Item", "price": 35.4, "tax": 3.2, "tags": ["rock", "metal"]}


async def _create(client: httpx.AsyncClient, **overrides: object) -> httpx.Response:
    response = await client.post("/items", json={**NEW_ITEM, **overrides})
    assert response.status_code == 201, response.text
    return response


async def test_create_item_returns_201_with_location_etag_and_body(alice: httpx.AsyncClient) -> None:
    response = await _create(alice)
    item = response.json()
    assert response.headers["location"] == f"/items/{item['id']}"
    assert response.headers["etag"] == f'"{item["id"]}.1"'
    assert {k: item[k] for k in NEW_ITEM} == NEW_ITEM
    assert item["images"] == [] and isinstance(item["owner_id"], int)
    assert item["created_at"].endswith(("Z", "+00:00")) and item["created_at"] == item["updated_at"]


async def test_created_item_is_readable_at_its_location(alice: httpx.AsyncClient) -> None:
    created = await _create(alice)
    response = await alice.get(created.headers["location"])
    assert response.status_code == 200
    assert response.json() == created.json()
    assert response.headers["etag"] == created.headers["etag"]


async def test_optional_fields_left_out_are_stored_as_defaults(alice: httpx.AsyncClient) -> None:
    response = await alice.post("/items", json={"name": "Bare", "price": 1})
    assert response.status_code == 201
    item = response.json()
    assert item["description"] is None and item["tax"] is None and item["tags"] == [] and item["images"] == []
    assert item["price"] == 1.0


async def test_get_unknown_item_returns_404_problem(alice: httpx.AsyncClient) -> None:
    response = await alice.get("/items/999999")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "/problems/not-found",
        "title": "Resource not found",
        "status": 404,
        "detail": "item 999999 does not exist",
        "instance": "/items/999999",
    }


@pytest.mark.parametrize("item_id", ["0", "-1", "abc", "9223372036854775808", "1" * 40])
async def test_get_item_with_out_of_range_id_returns_422_naming_the_parameter(
    alice: httpx.AsyncClient, item_id: str
) -> None:
    response = await alice.get(f"/items/{item_id}")
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["loc"] == ["path", "item_id"]


async def test_list_items_is_ordered_by_id_and_paginates(alice: httpx.AsyncClient) -> None:
    ids = [(await _create(alice, name=f"item {n}")).json()["id"] for n in range(5)]
    page1 = (await alice.get("/items", params={"limit": 2})).json()
    page2 = (await alice.get("/items", params={"skip": 2, "limit": 2})).json()
    page3 = (await alice.get("/items", params={"skip": 4, "limit": 2})).json()
    assert [i["id"] for i in page1 + page2 + page3] == ids


async def test_list_items_filters_by_case_insensitive_name_and_escapes_wildcards(alice: httpx.AsyncClient) -> None:
    await _create(alice, name="Red Guitar")
    await _create(alice, name="blue guitar")
    await _create(alice, name="100% cotton")
    await _create(alice, name="drum")
    names = [i["name"] for i in (await alice.get("/items", params={"q": "GUITAR"})).json()]
    assert names == ["Red Guitar", "blue guitar"]
    names = [i["name"] for i in (await alice.get("/items", params={"q": "%"})).json()]
    assert names == ["100% cotton"]


async def test_the_name_search_ignores_case_in_every_script(alice: httpx.AsyncClient) -> None:
    # SQLite's own lower() folds ASCII only: "éCOLE" missed "École" there, while PostgreSQL found it.
    await _create(alice, name="École d'été")
    await _create(alice, name="ÄRGER")
    moscow = "\u041c\u043e\u0441\u043a\u0432\u0430"  # in Cyrillic; the query is its first four letters in capitals
    await _create(alice, name=moscow)
    queries = [("éCOLE", "École d'été"), ("ÉTÉ", "École d'été"), ("ärger", "ÄRGER"), (moscow[:4].upper(), moscow)]
    for query, expected in queries:
        names = [i["name"] for i in (await alice.get("/items", params={"q": query})).json()]
        assert names == [expected], query


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"skip": -1}, "skip"), ({"q": ""}, "q")],
)
async def test_list_items_rejects_out_of_bounds_paging(
    alice: httpx.AsyncClient, params: dict[str, object], field: str
) -> None:
    response = await alice.get("/items", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", field]


async def test_list_mine_without_credentials_is_401_with_bearer_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/items", params={"mine": "true"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "price": 0}, "price"),
        ({"name": "x", "price": -3}, "price"),
        ({"name": "x", "price": True}, "price"),
        ({"name": "x", "price": "12"}, "price"),
        ({"name": "", "price": 1}, "name"),
        ({"name": "x" * 101, "price": 1}, "name"),
        ({"name": "tab\there", "price": 1}, "name"),
        ({"name": "x", "price": 1, "description": "d" * 301}, "description"),
        ({"name": "x", "price": 1, "description": "nul\u0000"}, "description"),
        ({"name": "x", "price": 1, "tax": -1}, "tax"),
        ({"name": "x", "price": 1, "tags": None}, "tags"),
        ({"name": "x", "price": 1, "owner_id": 3}, "owner_id"),
        ({"price": 1}, "name"),
    ],
)
async def test_create_item_with_invalid_field_returns_422_naming_it(
    alice: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    response = await alice.post("/items", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == PROBLEM
    assert problem["status"] == 422 and problem["type"] == "/problems/validation"
    assert any(error["loc"][:2] == ["body", field] for error in problem["errors"]), problem
    assert (await alice.get("/items")).json() == []


async def test_create_item_with_malformed_json_returns_400_problem(alice: httpx.AsyncClient) -> None:
    response = await alice.post("/items", content=b'{"name": "x",', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"] == "the request body is not valid JSON"


async def test_create_item_with_non_utf8_body_returns_400_problem(alice: httpx.AsyncClient) -> None:
    response = await alice.post("/items", content=b'{"name": "\xff\xfe"}', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


async def test_create_item_with_wrong_content_type_returns_415_problem(alice: httpx.AsyncClient) -> None:
    response = await alice.post("/items", content=b"name=x&price=1", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert response.headers["content-type"] == PROBLEM


async def test_create_item_with_oversized_body_returns_413_problem(alice: httpx.AsyncClient) -> None:
    response = await alice.post("/items", json={**NEW_ITEM, "description": "x" * 100_000})
    assert response.status_code == 413
    assert response.json()["status"] == 413


async def test_idempotency_key_replays_the_first_response(alice: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "order-7"}
    first = await alice.post("/items", json=NEW_ITEM, headers=headers)
    second = await alice.post("/items", json=NEW_ITEM, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    # The replay is the first response, headers included: its ETag lets the client go on with If-Match.
    assert second.headers["etag"] == first.headers["etag"] == f'"{first.json()["id"]}.1"'
    assert second.headers["location"] == first.headers["location"]
    assert len((await alice.get("/items")).json()) == 1
    patched = await alice.patch(
        f"/items/{first.json()['id']}", json={"price": 3}, headers={"If-Match": second.headers["etag"]}
    )
    assert patched.status_code == 200
    # Replayed after the item changed: still the first response, with the ETag of the version it describes.
    third = await alice.post("/items", json=NEW_ITEM, headers=headers)
    assert third.json() == first.json() and third.headers["etag"] == first.headers["etag"]


async def test_idempotency_key_reused_with_other_body_returns_409(alice: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "order-8"}
    await alice.post("/items", json=NEW_ITEM, headers=headers)
    response = await alice.post("/items", json={**NEW_ITEM, "price": 1}, headers=headers)
    assert response.status_code == 409
    assert len((await alice.get("/items")).json()) == 1


async def test_put_replaces_every_field(alice: httpx.AsyncClient) -> None:
    item = (await _create(alice)).json()
    response = await alice.put(f"/items/{item['id']}", json={"name": "Bar", "price": 2})
    assert response.status_code == 200
    replaced = response.json()
    assert replaced["name"] == "Bar" and replaced["price"] == 2.0
    assert replaced["description"] is None and replaced["tax"] is None and replaced["tags"] == []
    assert replaced["created_at"] == item["created_at"] and replaced["updated_at"] >= item["updated_at"]
    assert response.headers["etag"] == f'"{item["id"]}.2"'


async def test_patch_changes_only_given_fields_and_can_null_nullable_ones(alice: httpx.AsyncClient) -> None:
    item = (await _create(alice)).json()
    response = await alice.patch(f"/items/{item['id']}", json={"price": 42, "tax": None})
    assert response.status_code == 200
    patched = response.json()
    assert patched["price"] == 42.0 and patched["tax"] is None
    assert {k: patched[k] for k in ("name", "description", "tags")} == {
        k: item[k] for k in ("name", "description", "tags")
    }


@pytest.mark.parametrize("body", [{"price": None}, {"name": None}, {"tags": None}, {"unknown": 1}])
async def test_patch_rejects_null_for_non_nullable_and_unknown_fields(
    alice: httpx.AsyncClient, body: dict[str, object]
) -> None:
    item = (await _create(alice)).json()
    response = await alice.patch(f"/items/{item['id']}", json=body)
    assert response.status_code == 422
    assert (await alice.get(f"/items/{item['id']}")).json() == item


async def test_writes_to_unknown_item_return_404(alice: httpx.AsyncClient) -> None:
    assert (await alice.put("/items/424242", json=NEW_ITEM)).status_code == 404
    assert (await alice.patch("/items/424242", json={"price": 1})).status_code == 404
    assert (await alice.delete("/items/424242")).status_code == 404


async def test_if_match_with_current_etag_allows_the_change(alice: httpx.AsyncClient) -> None:
    created = await _create(alice)
    url = created.headers["location"]
    response = await alice.patch(url, json={"price": 5}, headers={"If-Match": created.headers["etag"]})
    assert response.status_code == 200
    assert (await alice.delete(url, headers={"If-Match": response.headers["etag"]})).status_code == 204


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
async def test_if_match_with_stale_etag_returns_412_and_changes_nothing(alice: httpx.AsyncClient, method: str) -> None:
    created = await _create(alice)
    url = created.headers["location"]
    stale = created.headers["etag"]
    await alice.patch(url, json={"price": 7})
    kwargs: dict[str, object] = {"json": NEW_ITEM} if method == "put" else {"json": {"price": 9}}
    if method == "delete":
        kwargs = {}
    response = await alice.request(method.upper(), url, headers={"If-Match": stale}, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 412
    assert response.headers["content-type"] == PROBLEM
    current = await alice.get(url)
    assert current.status_code == 200 and current.json()["price"] == 7.0


async def test_if_match_weak_tag_never_matches(alice: httpx.AsyncClient) -> None:
    created = await _create(alice)
    weak = "W/" + created.headers["etag"]
    response = await alice.delete(created.headers["location"], headers={"If-Match": weak})
    assert response.status_code == 412


async def test_if_match_star_matches_any_existing_version(alice: httpx.AsyncClient) -> None:
    created = await _create(alice)
    response = await alice.delete(created.headers["location"], headers={"If-Match": "*"})
    assert response.status_code == 204


async def test_delete_returns_204_then_404(alice: httpx.AsyncClient) -> None:
    created = await _create(alice)
    url = created.headers["location"]
    response = await alice.delete(url)
    assert response.status_code == 204 and response.content == b""
    assert (await alice.get(url)).status_code == 404
    assert (await alice.delete(url)).status_code == 404


async def test_deleted_ids_are_not_reused(alice: httpx.AsyncClient) -> None:
    first = (await _create(alice)).json()["id"]
    second = (await _create(alice)).json()["id"]
    await alice.delete(f"/items/{second}")
    third = (await _create(alice)).json()["id"]
    assert first < second < third
