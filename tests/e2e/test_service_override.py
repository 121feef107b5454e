"""The seed's test idiom: swap one service of the binding for a fake, keep everything else real."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from typing_extensions import override

from generated import Services, models
from generated.protocols import UnimplementedItemsService
from generated.runtime import RequestContext
from impl.app import Infrastructure, bind_services, create_app
from impl.problems import NotFound
from impl.settings import Settings

CREATED_AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class FakeItems(UnimplementedItemsService):
    """Answers from a dict; the other item operations answer 501."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    @override
    async def get_item(self, ctx: RequestContext, *, item_id: int) -> models.Item:
        self.calls.append(item_id)
        if item_id != 7:
            raise NotFound(f"item {item_id} does not exist")
        return models.Item.model_validate(
            {
                "id": 7,
                "name": "Fake",
                "description": None,
                "price": 1.0,
                "tax": None,
                "tags": [],
                "images": [],
                "owner_id": None,
                # The generated models are strict in Python: a service hands over datetimes, not their text.
                "created_at": CREATED_AT,
                "updated_at": CREATED_AT,
            }
        )


@pytest.fixture
async def fake_items_client(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, FakeItems]]:
    fake = FakeItems()

    def services(infra: Infrastructure) -> Services:
        return dataclasses.replace(bind_services(infra), items=fake)

    app = create_app(settings, services=services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http, fake
    await app.state.database.dispose()


async def test_a_fake_items_service_answers_through_the_real_routes(
    fake_items_client: tuple[httpx.AsyncClient, FakeItems],
) -> None:
    client, fake = fake_items_client
    found = await client.get("/items/7")
    assert found.status_code == 200
    assert found.json()["name"] == "Fake"
    missing = await client.get("/items/8")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    # Validation still happens before the fake is called: it never sees an invalid id.
    invalid = await client.get("/items/0")
    assert invalid.status_code == 422
    assert fake.calls == [7, 8]
    # What the fake leaves out answers 501, and the rest of the binding (users) is the real one.
    assert (await client.get("/items")).status_code == 501
    assert (await client.get("/healthz")).status_code == 200
