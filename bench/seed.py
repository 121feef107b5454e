"""Seed identical items into a target through its own POST /items and check the Item shape."""

from __future__ import annotations

from typing import Any

import httpx

from bench.server import BenchError

ITEM_KEYS = frozenset(
    {"id", "name", "description", "price", "tax", "tags", "images", "owner_id", "created_at", "updated_at"}
)


def seed_body(index: int) -> dict[str, Any]:
    """Return the deterministic body of seed item number index."""
    return {
        "name": f"seed item {index}",
        "description": f"seeded item number {index} for the benchmark" if index % 4 else None,
        "price": round(1 + index * 0.37, 2),
        "tax": round(index % 7 * 0.1, 2) if index % 3 else None,
        "tags": ["seed", f"group-{index % 10}"],
        "images": [{"url": f"https://example.com/img/{index}.png", "name": f"image {index}"}] if index % 2 else [],
    }


def check_item(item: object, where: str) -> int:
    """Fail unless item has the Item keys; return its id."""
    if not isinstance(item, dict):
        raise BenchError(f"{where}: expected an Item object, got {item!r:.300}")
    missing = ITEM_KEYS - item.keys()
    if missing:
        raise BenchError(f"{where}: Item lacks {sorted(missing)}: {item!r:.300}")
    item_id = item["id"]
    if not isinstance(item_id, int):
        raise BenchError(f"{where}: id is not an integer: {item!r:.300}")
    return item_id


def seed(base_url: str, count: int, headers: dict[str, str]) -> list[int]:
    """Post count items one after another (so every target gets the same id -> item mapping); return their ids."""
    ids: list[int] = []
    with httpx.Client(base_url=base_url, headers=headers, timeout=10.0) as client:
        for index in range(count):
            resp = client.post("/items", json=seed_body(index))
            if resp.status_code != 201:
                raise BenchError(f"seed POST /items #{index}: HTTP {resp.status_code}: {resp.text[:300]}")
            ids.append(check_item(resp.json(), f"seed POST /items #{index}"))
        resp = client.get("/items", params={"limit": 20})
        page = resp.json() if resp.status_code == 200 else None
        if not isinstance(page, list) or len(page) != min(20, count):
            raise BenchError(f"GET /items?limit=20 after seeding: HTTP {resp.status_code}: {resp.text[:300]}")
        check_item(page[0], "GET /items?limit=20")
    return ids


BENCH_USER = {"email": "bench@example.com", "password": "bench password, not a secret"}


def sign_in(base_url: str) -> dict[str, str]:
    """Sign up the bench user and return its bearer header (writes need `items:write`)."""
    with httpx.Client(base_url=base_url, timeout=10.0) as client:
        resp = client.post("/users", json=BENCH_USER)
        if resp.status_code != 201:
            raise BenchError(f"sign-up POST /users: HTTP {resp.status_code}: {resp.text[:300]}")
        form = {"grant_type": "password", "username": BENCH_USER["email"], "password": BENCH_USER["password"]}
        resp = client.post("/token", data=form)
        if resp.status_code != 200:
            raise BenchError(f"POST /token: HTTP {resp.status_code}: {resp.text[:300]}")
        return {"Authorization": f"Bearer {resp.json()['access_token']}"}
