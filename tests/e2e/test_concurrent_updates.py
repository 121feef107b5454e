"""Concurrent writes to one item, on both backends: `If-Match` lets exactly one of the writers that read the same
version win (the others get 412), and writers that sent no precondition all apply, one after the other.

On PostgreSQL the requests' transactions really overlap (a pool of connections); every item write locks the row
when it reads the version, so a writer without `If-Match` waits for the one before it instead of failing with a 412
for a precondition it never sent.
"""

from __future__ import annotations

import asyncio

import httpx

WRITERS = 8


async def _item(client: httpx.AsyncClient) -> tuple[int, str]:
    created = await client.post("/items", json={"name": "lamp", "price": 1.0})
    assert created.status_code == 201, created.text
    return created.json()["id"], created.headers["etag"]


async def test_of_writers_sending_the_same_if_match_exactly_one_wins(alice: httpx.AsyncClient) -> None:
    item_id, etag = await _item(alice)
    answers = await asyncio.gather(
        *(
            alice.patch(f"/items/{item_id}", json={"price": 10.0 + n}, headers={"If-Match": etag})
            for n in range(WRITERS)
        )
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [412] * (WRITERS - 1), [answer.text for answer in answers]
    (winner,) = [answer for answer in answers if answer.status_code == 200]
    current = await alice.get(f"/items/{item_id}")
    assert current.json() == winner.json() and current.headers["etag"] == winner.headers["etag"]


async def test_writers_without_a_precondition_all_apply(alice: httpx.AsyncClient) -> None:
    item_id, etag = await _item(alice)
    answers = await asyncio.gather(
        *(alice.patch(f"/items/{item_id}", json={"tags": [f"t{n}"]}) for n in range(WRITERS))
    )
    assert [answer.status_code for answer in answers] == [200] * WRITERS, [answer.text for answer in answers]
    # Each applied on the version before it: eight versions after the first, the last one's tags standing.
    etags = {answer.headers["etag"] for answer in answers}
    current = await alice.get(f"/items/{item_id}")
    assert len(etags) == WRITERS and etag not in etags and current.headers["etag"] in etags
