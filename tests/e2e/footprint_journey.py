"""Run by tests/e2e/test_import_footprint.py in a fresh interpreter: `impl.app:app` built from the environment (as
`make run` builds it), its lifespan, a journey of requests and a sweep; prints the statuses and which of the
modules named on the command line got loaded, as one JSON line."""

from __future__ import annotations

import asyncio
import json
import sys

import httpx

from impl.app import app

ACCOUNT = {"email": "alice@example.com", "password": "correct horse battery staple"}


async def journey() -> list[int]:
    """Sign up, log in, refresh, write and read items, read the account, readiness and metrics; then a sweep."""
    statuses: list[int] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            statuses.append((await client.post("/users", json=ACCOUNT)).status_code)
            password = {"grant_type": "password", "username": ACCOUNT["email"], "password": ACCOUNT["password"]}
            login = await client.post("/token", data=password)
            statuses.append(login.status_code)
            refresh = {"grant_type": "refresh_token", "refresh_token": login.json()["refresh_token"]}
            refreshed = await client.post("/token", data=refresh)
            statuses.append(refreshed.status_code)
            bearer = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
            created = await client.post("/items", json={"name": "Foo", "price": 1.5}, headers=bearer)
            statuses.append(created.status_code)
            item = f"/items/{created.json()['id']}"
            statuses.append((await client.get(item)).status_code)
            statuses.append((await client.patch(item, json={"price": 2.5}, headers=bearer)).status_code)
            statuses.append((await client.get("/items")).status_code)
            statuses.append((await client.get("/users/me", headers=bearer)).status_code)
            statuses.append((await client.get("/readyz")).status_code)
            statuses.append((await client.get("/metrics")).status_code)
        await app.state.housekeeper.sweep_once()
    return statuses


if __name__ == "__main__":
    statuses = asyncio.run(journey())
    print(json.dumps({"statuses": statuses, "loaded": [name for name in sys.argv[1:] if name in sys.modules]}))
