"""GET /last-query: `q`, else the `last_query` cookie that `GET /items?q=` and `/last-query?q=` set."""

from __future__ import annotations

import httpx
import pytest

QUERIES = ["widget", "ünïcødé 用户 😀", 'semi;colon "quoted", comma=equals']


async def test_without_query_or_cookie_the_source_is_none(client: httpx.AsyncClient) -> None:
    response = await client.get("/last-query")
    assert response.status_code == 200
    assert response.json() == {"q": None, "source": "none"}
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("q", QUERIES)
async def test_an_item_search_is_remembered_for_last_query(client: httpx.AsyncClient, q: str) -> None:
    searched = await client.get("/items", params={"q": q})
    assert searched.status_code == 200
    cookie = searched.headers["set-cookie"]
    assert cookie.startswith("last_query=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    response = await client.get("/last-query")  # the client's cookie jar sends it back
    assert response.json() == {"q": q, "source": "cookie"}


async def test_a_query_wins_over_the_cookie_and_replaces_it(client: httpx.AsyncClient) -> None:
    await client.get("/items", params={"q": "first"})
    response = await client.get("/last-query", params={"q": "second"})
    assert response.json() == {"q": "second", "source": "query"}
    assert (await client.get("/last-query")).json() == {"q": "second", "source": "cookie"}


async def test_a_listing_without_q_sets_no_cookie(client: httpx.AsyncClient) -> None:
    assert "set-cookie" not in (await client.get("/items")).headers
