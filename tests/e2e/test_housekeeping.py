"""Housekeeping through the HTTP API: the running app sweeps on its own and stops at shutdown; an Idempotency-Key
replays until its TTL and is forgotten after; a spent refresh token still revokes its family until the family
expires. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.sql.base import Executable

from impl.app import create_app
from impl.housekeeping import Housekeeper
from impl.settings import Settings
from impl.tables import idempotency_keys_table as _keys
from impl.tables import refresh_tokens_table as _refresh
from impl.tables import sessions_table as _sessions
from tests.databases import empty_and_close, make_settings
from tests.users import ALICE, authenticated_client, sign_up, sign_up_and_get_token, token_response

ITEM = {"name": "Foo", "price": 35.4}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _sweep(app: FastAPI) -> dict[str, int]:
    """One round by a sweeper of the app's own settings (the app under test runs no lifespan)."""
    report = await Housekeeper(app.state.database, app.state.settings).sweep_once()
    assert not report.yielded
    return report.deleted


async def _scalar(app: FastAPI, statement: Executable) -> int:
    async with app.state.database.connect() as conn:
        return int((await conn.execute(statement)).scalar_one())


async def _run(app: FastAPI, statement: Executable) -> None:
    async with app.state.database.connect() as conn:
        await conn.execute(statement)
        await conn.commit()


@pytest.fixture
async def sweeping_app(database_url: str) -> AsyncIterator[FastAPI]:
    """An app whose lifespan runs, sweeping every ~0.1 s."""
    application = create_app(make_settings(database_url, housekeeping_interval_seconds=0.1))
    yield application
    await empty_and_close(application)


async def test_the_running_app_sweeps_by_itself_and_stops_at_shutdown(sweeping_app: FastAPI) -> None:
    app = sweeping_app
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            token = await sign_up_and_get_token(client, ALICE)
            async with authenticated_client(app, token) as alice:
                created = await alice.post("/items", json=ITEM, headers={"Idempotency-Key": "k-1"})
                assert created.status_code == 201
                ttl = app.state.settings.idempotency_key_ttl_seconds
                await _run(app, update(_keys).values(created_at=_now() - dt.timedelta(seconds=ttl + 1)))
                # Counted when the round ends, after its last table: wait for the count, then look at the table.
                swept = 'housekeeping_deleted_rows_total{table="idempotency_keys"} 1.0'
                deadline = time.monotonic() + 10
                while swept not in (metrics := (await client.get("/metrics")).text):
                    assert time.monotonic() < deadline, f"the running app never swept the expired key: {metrics}"
                    await asyncio.sleep(0.05)
                assert await _scalar(app, select(func.count()).select_from(_keys)) == 0
        assert 'housekeeping_rounds_total{outcome="swept"}' in metrics
        running = [task for task in asyncio.all_tasks() if task.get_name() == "housekeeping"]
        assert len(running) == 1
        started = time.monotonic()
    # Shutdown waited for the task (not minutes of interval) and left nothing behind.
    assert time.monotonic() - started < 2
    assert running[0].done() and not running[0].cancelled() and running[0].exception() is None


async def test_an_idempotency_key_replays_until_its_ttl_then_is_forgotten(
    app: FastAPI, alice: httpx.AsyncClient
) -> None:
    key = {"Idempotency-Key": "order-42"}
    first = await alice.post("/items", json=ITEM, headers=key)
    assert first.status_code == 201
    ttl = app.state.settings.idempotency_key_ttl_seconds
    # Just inside its TTL, after a sweep: still a replay of the first response, and a conflict for another body.
    await _run(app, update(_keys).values(created_at=_now() - dt.timedelta(seconds=ttl - 60)))
    assert (await _sweep(app))["idempotency_keys"] == 0
    replay = await alice.post("/items", json=ITEM, headers=key)
    assert replay.status_code == 201 and replay.json() == first.json()
    assert (await alice.post("/items", json={**ITEM, "price": 1.0}, headers=key)).status_code == 409
    # Past it: swept, and the key is free again (a new request, a new item).
    await _run(app, update(_keys).values(created_at=_now() - dt.timedelta(seconds=ttl + 1)))
    assert (await _sweep(app))["idempotency_keys"] == 1
    again = await alice.post("/items", json={**ITEM, "price": 1.0}, headers=key)
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]


async def _redeem(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post("/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token})


async def test_a_spent_refresh_token_revokes_its_family_until_the_family_expires(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_up(client, ALICE)
    first = (await token_response(client, ALICE)).json()["refresh_token"]
    second = (await _redeem(client, first)).json()["refresh_token"]
    newest = (await _redeem(client, second)).json()
    # The login was a month ago and its first two tokens expired long since; the newest expires in a minute.
    month = _now() - dt.timedelta(days=30)
    await _run(app, update(_sessions).values(created_at=month))
    await _run(app, update(_refresh).where(_refresh.c.used_at.is_not(None)).values(issued_at=month, expires_at=month))
    await _run(
        app, update(_refresh).where(_refresh.c.used_at.is_(None)).values(expires_at=_now() + dt.timedelta(minutes=1))
    )
    assert await _sweep(app) == dict.fromkeys(
        ("idempotency_keys", "notification_outbox", "refresh_tokens", "sessions"), 0
    )
    assert await _scalar(app, select(func.count()).select_from(_refresh)) == 3
    # Someone presents the first, long-expired token: theft. The family is revoked, the newest token with it.
    replay = await _redeem(client, first)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert (await _redeem(client, newest["refresh_token"])).status_code == 400
    me = await client.get("/users/me", headers={"Authorization": f"Bearer {newest['access_token']}"})
    assert me.status_code == 401
    # Once the newest token too has been expired for longer than the grace, the family (revocation and all) goes.
    grace = settings.housekeeping_grace_seconds
    await _run(app, update(_refresh).values(issued_at=month, expires_at=_now() - dt.timedelta(seconds=grace + 1)))
    assert await _sweep(app) == {"idempotency_keys": 0, "notification_outbox": 0, "refresh_tokens": 3, "sessions": 1}
    assert (await _redeem(client, first)).json()["error"] == "invalid_grant"
