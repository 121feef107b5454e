"""A request whose account (or item) is deleted while it runs gets the answer it would get a moment later, never a
500, and leaves nothing behind: no file bytes, no file row, no item, no session (impl/concurrent_deletes.py).

Each request is held at the point where the gap is real, after its authentication and before its write: its body
stops halfway (an upload of minutes, a slow client), or its password is being verified (~50 ms of argon2 in
production, off the event loop). Another client deletes the account meanwhile, then the request goes on.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Table, func, select

from impl.security.passwords import PasswordHasher
from impl.settings import Settings
from impl.tables import files_table, items_table, sessions_table, users_table
from tests.databases import make_settings
from tests.users import ALICE, PASSWORD, sign_up

PROBLEM = "application/problem+json"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==")
BOUNDARY = "paused-boundary"
Meanwhile = Callable[[], Awaitable[None]]


@pytest.fixture
def storage_dir(tmp_path: Path) -> Path:
    return tmp_path / "storage"


@pytest.fixture
def settings(database_url: str, storage_dir: Path) -> Settings:
    return make_settings(database_url, storage_dir=str(storage_dir))


def _stored(storage_dir: Path) -> list[Path]:
    return sorted(path for path in storage_dir.rglob("*") if path.is_file()) if storage_dir.exists() else []


async def _count(app: FastAPI, table: Table) -> int:
    async with app.state.database.connect() as conn:
        count: int = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
    return count


async def _paused(
    client: httpx.AsyncClient, path: str, first: bytes, rest: bytes, headers: dict[str, str], meanwhile: Meanwhile
) -> httpx.Response:
    """POST a body that stops after `first` until `meanwhile` has run (the request is authenticated by then)."""
    halfway, resume = asyncio.Event(), asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield first
        halfway.set()
        await resume.wait()
        yield rest

    request = asyncio.create_task(client.post(path, content=body(), headers=headers))
    await asyncio.wait_for(halfway.wait(), 10)
    await meanwhile()
    resume.set()
    return await asyncio.wait_for(request, 10)


async def _paused_upload(client: httpx.AsyncClient, path: str, content: bytes, meanwhile: Meanwhile) -> httpx.Response:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    return await _paused(client, path, head + content[:8], content[8:] + tail, headers, meanwhile)


def _deleter(app: FastAPI, client: httpx.AsyncClient) -> Meanwhile:
    """Deletes the account `client` is signed in as, through the API (another connection of the same user)."""

    async def delete() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=client.base_url, headers=client.headers) as other:
            user_id = (await other.get("/users/me")).json()["id"]
            deleted = await other.request("DELETE", f"/users/{user_id}", json={"current_password": PASSWORD})
            assert deleted.status_code == 204, deleted.text

    return delete


def _account_gone(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == "the account of this token no longer exists"


async def test_a_file_upload_whose_account_is_deleted_meanwhile_keeps_nothing(
    app: FastAPI, alice: httpx.AsyncClient, storage_dir: Path
) -> None:
    _account_gone(await _paused_upload(alice, "/files", PNG, _deleter(app, alice)))
    assert _stored(storage_dir) == [] and await _count(app, files_table) == 0


async def test_an_image_added_to_anothers_item_by_an_account_deleted_meanwhile_leaves_the_item_as_it_was(
    app: FastAPI, admin: httpx.AsyncClient, bob: httpx.AsyncClient, storage_dir: Path
) -> None:
    item = (await bob.post("/items", json={"name": "lamp", "price": 2.0})).json()
    _account_gone(await _paused_upload(admin, f"/items/{item['id']}/images", PNG, _deleter(app, admin)))
    assert _stored(storage_dir) == [] and await _count(app, files_table) == 0
    assert (await bob.get(f"/items/{item['id']}")).json() == item


async def test_an_image_upload_to_an_item_deleted_meanwhile_gets_404_and_keeps_nothing(
    app: FastAPI, alice: httpx.AsyncClient, storage_dir: Path
) -> None:
    item = (await alice.post("/items", json={"name": "lamp", "price": 2.0})).json()

    async def delete_item() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=alice.base_url, headers=alice.headers) as other:
            assert (await other.delete(f"/items/{item['id']}")).status_code == 204

    response = await _paused_upload(alice, f"/items/{item['id']}/images", PNG, delete_item)
    assert response.status_code == 404, response.text
    assert _stored(storage_dir) == [] and await _count(app, files_table) == 0


async def test_an_item_created_by_an_account_deleted_meanwhile_is_not_kept(
    app: FastAPI, alice: httpx.AsyncClient
) -> None:
    body = b'{"name": "lamp", "price": 2.0}'
    headers = {"Content-Type": "application/json"}
    _account_gone(await _paused(alice, "/items", body[:10], body[10:], headers, _deleter(app, alice)))
    assert await _count(app, items_table) == 0


@contextmanager
def _held_password_check(meanwhile: Meanwhile) -> Iterator[None]:
    """Every password verification runs `meanwhile` before it answers (the event loop is free while argon2 runs)."""
    verify = PasswordHasher.verify

    async def held(self: PasswordHasher, password: str, stored_hash: str | None) -> tuple[bool, str | None]:
        answer = await verify(self, password, stored_hash)
        await meanwhile()
        return answer

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PasswordHasher, "verify", held)
        yield


async def _delete_directly(app: FastAPI, email: str) -> None:
    """An administrator's deletion committed while the login is being checked (no password of its own to verify)."""
    async with app.state.database.connect() as conn:
        await conn.execute(users_table.delete().where(users_table.c.email_key == email))
        await conn.commit()


async def test_a_password_grant_for_an_account_deleted_during_the_check_opens_no_session(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await sign_up(client, ALICE)
    with _held_password_check(lambda: _delete_directly(app, ALICE)):
        response = await client.post("/token", data={"grant_type": "password", "username": ALICE, "password": PASSWORD})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_grant"
    assert await _count(app, sessions_table) == 0


async def test_a_login_for_an_account_deleted_during_the_check_opens_no_session(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await sign_up(client, ALICE)
    with _held_password_check(lambda: _delete_directly(app, ALICE)):
        response = await client.post("/login", data={"username": ALICE, "password": PASSWORD})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM
    assert "set-cookie" not in response.headers
    assert await _count(app, sessions_table) == 0
