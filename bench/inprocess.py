"""Microseconds per request with the ASGI app called directly (no sockets): `python -m bench.inprocess`.

Complements `make bench` with a breakdown: the whole app, the app without its middleware, and the service call
alone (same database, same requests), medians of interleaved rounds. Figures are for profiling, not targets.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

from bench.seed import BENCH_USER, seed_body
from bench.server import ROOT, run_alembic

ROUNDS = 7
REQUESTS = 400
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _scope(
    method: str, path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"bench"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def _call(app: Any, scope: dict[str, Any], body: bytes = b"") -> tuple[int, bytes]:
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def _time(label: str, fn: Callable[[], Awaitable[object]], results: dict[str, list[float]]) -> None:
    started = time.perf_counter()
    for _ in range(REQUESTS):
        await fn()
    results.setdefault(label, []).append((time.perf_counter() - started) / REQUESTS * 1e6)


async def main() -> None:
    """Seed a fresh SQLite database, then time each path in interleaved rounds and print the medians."""
    from generated.routers.items import OP_CREATE_ITEM, OP_GET_ITEM, OP_LIST_ITEMS
    from generated.runtime import Principal, RequestContext
    from impl.app import create_app
    from impl.settings import Settings

    app = create_app(Settings(database_url=os.environ["DATABASE_URL"], log_json=False))
    inner = app.router  # the routes without middleware
    json_headers = [(b"content-type", b"application/json")]
    status, body = await _call(app, _scope("POST", "/users", headers=json_headers), orjson.dumps(BENCH_USER))
    assert status == 201, body
    form = f"grant_type=password&username={BENCH_USER['email']}&password={BENCH_USER['password']}".replace(" ", "+")
    form_headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    status, body = await _call(app, _scope("POST", "/token", headers=form_headers), form.encode())
    assert status == 200, body
    bearer = [(b"authorization", b"Bearer " + orjson.loads(body)["access_token"].encode())]
    for i in range(200):
        status, body = await _call(
            app, _scope("POST", "/items", headers=json_headers + bearer), orjson.dumps(seed_body(i))
        )
        assert status == 201, body
    item_id = orjson.loads(body)["id"]
    post_body = orjson.dumps({"name": "bench item", "price": 9.99, "tax": 0.5, "tags": ["bench"]})
    service = app.state.services.items
    from generated import models

    principal = Principal(subject="1", scopes=frozenset({"items:read", "items:write"}))
    create = models.ItemCreate.model_validate_json(post_body)
    # As a client sends it: with its length (the edge layer takes another path for a body of unknown length).
    post_headers = [*json_headers, *bearer, (b"content-length", str(len(post_body)).encode())]
    paths: dict[str, Callable[[], Awaitable[object]]] = {
        "GET one: app": lambda: _call(app, _scope("GET", f"/items/{item_id}")),
        "GET one: routes only": lambda: _call(inner, _scope("GET", f"/items/{item_id}")),
        "GET one: service": lambda: service.get_item(RequestContext(OP_GET_ITEM), item_id=item_id),
        "GET list: app": lambda: _call(app, _scope("GET", "/items", b"limit=20")),
        "GET list: routes only": lambda: _call(inner, _scope("GET", "/items", b"limit=20")),
        "GET list: service": lambda: service.list_items(
            RequestContext(OP_LIST_ITEMS), skip=0, limit=20, q=None, mine=False
        ),
        "POST: app": lambda: _call(app, _scope("POST", "/items", headers=post_headers), post_body),
        "POST: routes only": lambda: _call(inner, _scope("POST", "/items", headers=post_headers), post_body),
        "POST: service": lambda: service.create_item(
            RequestContext(OP_CREATE_ITEM, principal), idempotency_key=None, body=create
        ),
    }
    results: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        for label, fn in paths.items():
            await _time(label, fn, results)
    for label, samples in results.items():
        print(f"{label:<24} {statistics.median(samples):8.1f} us")


def run() -> int:
    """Migrate a temporary SQLite database and profile against it."""
    with tempfile.TemporaryDirectory(prefix="inprocess-") as tmp:
        os.environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        sys.path.insert(0, str(ROOT))
        run_alembic(dict(os.environ))
        asyncio.run(main())
    return 0


if __name__ == "__main__":
    sys.exit(run())
