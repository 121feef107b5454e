"""Requests that change what another request in flight has checked.

- An account (or item) deleted while a request for it runs: the request gets the answer it would get a moment
  later, never a 500, and leaves nothing behind: no file bytes, no file row, no item, no session
  (impl/concurrent_deletes.py).
- A file committed while its account or item is being deleted goes with them, bytes included (PostgreSQL, where
  the two transactions overlap); a refresh grant and the deletion of its account never deadlock; a commit that may
  have landed keeps the file's bytes.
- A password changed while a login, a password change or an account deletion confirmed with the old one was being
  checked: the confirmed action does not apply (impl/security/login.py, `password_still_current`).

Each request is held at the point where the gap is real, after its check and before its write: its body stops
halfway (an upload of minutes, a slow client), its password is being verified (~50 ms of argon2 in production, off
the event loop), or its row is inserted and not committed. The other request runs meanwhile, then the first goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text

import impl.db
import impl.db_pooled
import impl.files
import impl.items
from generated.security import SCOPE_USERS_ADMIN
from impl.app import create_app
from impl.problems import DatabaseUnavailable
from impl.security.passwords import PasswordHasher
from impl.security.sessions import Session, SessionStore
from impl.settings import Settings
from impl.storage import ByteRange
from impl.storage.local import LocalStorage
from impl.tables import files_table, items_table, sessions_table, users_table
from tests.databases import empty_and_close, make_settings
from tests.stored_files import PNG, count_rows, stored
from tests.users import ADMIN, ALICE, BOB, PASSWORD, get_token, grant_admin, sign_up, stored_hash

PROBLEM = "application/problem+json"
BOUNDARY = "paused-boundary"
Meanwhile = Callable[[], Awaitable[None]]


@pytest.fixture
def storage_dir(tmp_path: Path) -> Path:
    return tmp_path / "storage"


@pytest.fixture
def settings(database_url: str, storage_dir: Path) -> Settings:
    return make_settings(database_url, storage_dir=str(storage_dir))


async def _paused(
    client: httpx.AsyncClient,
    path: str,
    first: bytes,
    rest: bytes,
    headers: dict[str, str],
    meanwhile: Meanwhile,
    *,
    method: str = "POST",
) -> httpx.Response:
    """Send a body that stops after `first` until `meanwhile` has run (the request is authenticated by then)."""
    halfway, resume = asyncio.Event(), asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield first
        halfway.set()
        await resume.wait()
        yield rest

    request = asyncio.create_task(client.request(method, path, content=body(), headers=headers))
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
    assert stored(storage_dir) == [] and await count_rows(app, files_table) == 0


async def test_an_image_added_to_anothers_item_by_an_account_deleted_meanwhile_leaves_the_item_as_it_was(
    app: FastAPI, admin: httpx.AsyncClient, bob: httpx.AsyncClient, storage_dir: Path
) -> None:
    item = (await bob.post("/items", json={"name": "lamp", "price": 2.0})).json()
    _account_gone(await _paused_upload(admin, f"/items/{item['id']}/images", PNG, _deleter(app, admin)))
    assert stored(storage_dir) == [] and await count_rows(app, files_table) == 0
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
    assert stored(storage_dir) == [] and await count_rows(app, files_table) == 0


async def test_an_item_created_by_an_account_deleted_meanwhile_is_not_kept(
    app: FastAPI, alice: httpx.AsyncClient
) -> None:
    body = b'{"name": "lamp", "price": 2.0}'
    headers = {"Content-Type": "application/json"}
    _account_gone(await _paused(alice, "/items", body[:10], body[10:], headers, _deleter(app, alice)))
    assert await count_rows(app, items_table) == 0


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
    assert await count_rows(app, sessions_table) == 0


async def test_a_login_for_an_account_deleted_during_the_check_opens_no_session(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await sign_up(client, ALICE)
    with _held_password_check(lambda: _delete_directly(app, ALICE)):
        response = await client.post("/login", data={"username": ALICE, "password": PASSWORD})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM
    assert "set-cookie" not in response.headers
    assert await count_rows(app, sessions_table) == 0


@pytest.fixture
async def postgres_app(postgres_database_url: str, storage_dir: Path) -> AsyncIterator[FastAPI]:
    """The app on a PostgreSQL database of its own: there, unlike SQLite's one connection, two requests' transactions
    really overlap."""
    application = create_app(make_settings(postgres_database_url, storage_dir=str(storage_dir)))
    yield application
    await empty_and_close(application)


async def _waiting_on_a_lock(app: FastAPI) -> None:
    """Until a transaction other than this check's waits for a row lock (bounded)."""
    # This database's only: other test runs and workers share the server (and some wait for locks on purpose).
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() "
        "AND datname = current_database()"
    )
    for _ in range(250):
        async with app.state.database.connect() as conn:
            if (await conn.execute(waiting)).scalar_one():
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the other request never waited for a row lock of the held transaction")


async def _alice_with_tokens(client: httpx.AsyncClient) -> tuple[int, dict[str, str]]:
    """Alice signed up, and the answer of her password grant (access and refresh token)."""
    user_id = int((await sign_up(client, ALICE))["id"])
    granted = await client.post("/token", data={"grant_type": "password", "username": ALICE, "password": PASSWORD})
    assert granted.status_code == 200, granted.text
    tokens: dict[str, str] = granted.json()
    return user_id, tokens


async def test_a_refresh_grant_and_the_deletion_of_its_account_at_once_both_answer(postgres_app: FastAPI) -> None:
    """The grant has spent its token (a row lock) and is about to store the next one when the deletion starts:
    whichever order the database settles them in, neither may deadlock into a 500."""
    transport = httpx.ASGITransport(app=postgres_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        user_id, tokens = await _alice_with_tokens(client)
        paused, resume = asyncio.Event(), asyncio.Event()
        issue = SessionStore.issue_refresh_token

        async def held(self: SessionStore, session: Session) -> str:
            paused.set()
            await resume.wait()
            return await issue(self, session)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(SessionStore, "issue_refresh_token", held)
            grant = asyncio.create_task(
                client.post("/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
            )
            await asyncio.wait_for(paused.wait(), 10)
            bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
            deletion = asyncio.create_task(
                client.request("DELETE", f"/users/{user_id}", json={"current_password": PASSWORD}, headers=bearer)
            )
            await _waiting_on_a_lock(postgres_app)
            resume.set()
            granted, deleted = await asyncio.wait_for(asyncio.gather(grant, deletion), 30)
        assert granted.status_code == 200, granted.text
        assert deleted.status_code == 204, deleted.text
        # The grant came first: the token it issued went with the account.
        again = await client.post("/token", data={"grant_type": "refresh_token",
                                                  "refresh_token": granted.json()["refresh_token"]})  # fmt: skip
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant", again.text


async def test_a_refresh_grant_arriving_while_its_account_is_being_deleted_is_refused(postgres_app: FastAPI) -> None:
    """The other order: the deletion has removed the account (its sessions and refresh tokens go by cascade) and not
    committed yet when the grant looks its token up. The grant waits for the session's row lock, finds the row gone
    once the deletion commits, and answers `invalid_grant`: no 500, no deadlock, no token for a deleted account."""
    transport = httpx.ASGITransport(app=postgres_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        user_id, tokens = await _alice_with_tokens(client)
        paused, resume = asyncio.Event(), asyncio.Event()
        commit = impl.db_pooled._PooledConnection.commit
        deletion: asyncio.Task[httpx.Response] | None = None

        async def held(self: impl.db_pooled._PooledConnection) -> None:
            if asyncio.current_task() is deletion:  # the deletion's commit, its DELETE done
                paused.set()
                await resume.wait()
            await commit(self)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(impl.db_pooled._PooledConnection, "commit", held)
            bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
            deletion = asyncio.create_task(
                client.request("DELETE", f"/users/{user_id}", json={"current_password": PASSWORD}, headers=bearer)
            )
            await asyncio.wait_for(paused.wait(), 10)
            grant = asyncio.create_task(
                client.post("/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
            )
            await _waiting_on_a_lock(postgres_app)
            resume.set()
            deleted, granted = await asyncio.wait_for(asyncio.gather(deletion, grant), 30)
        assert deleted.status_code == 204, deleted.text
        assert granted.status_code == 400 and granted.json()["error"] == "invalid_grant", granted.text
        assert await count_rows(postgres_app, sessions_table) == 0


async def _bearer_client(stack: AsyncExitStack, app: FastAPI, email: str, *, admin: bool = False) -> httpx.AsyncClient:
    """A client signed up and in as `email` (an administrator when `admin`)."""
    transport = httpx.ASGITransport(app=app)
    client = await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
    await sign_up(client, email)
    if admin:
        await grant_admin(app, email)
    client.headers["Authorization"] = f"Bearer {await get_token(client, email)}"
    return client


async def _committing_while(
    app: FastAPI,
    module: ModuleType,
    upload: Awaitable[httpx.Response],
    deletion: Callable[[], Awaitable[httpx.Response]],
) -> tuple[httpx.Response, httpx.Response]:
    """Run `upload` until its file row is inserted (not committed), start `deletion`, let the upload commit once the
    deletion waits for a lock, and return both answers."""
    paused, resume = asyncio.Event(), asyncio.Event()
    insert_file = module.insert_file

    async def held(*args: Any, **kwargs: Any) -> Any:
        inserted = await insert_file(*args, **kwargs)
        paused.set()
        await resume.wait()
        return inserted

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "insert_file", held)
        uploading = asyncio.ensure_future(upload)
        await asyncio.wait_for(paused.wait(), 10)
        deleting = asyncio.ensure_future(deletion())
        await _waiting_on_a_lock(app)
        resume.set()
        uploaded, deleted = await asyncio.wait_for(asyncio.gather(uploading, deleting), 30)
    return uploaded, deleted


def _png() -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("a.png", PNG, "image/png")}


async def _delete_own_account(client: httpx.AsyncClient) -> httpx.Response:
    user_id = (await client.get("/users/me")).json()["id"]
    return await client.request("DELETE", f"/users/{user_id}", json={"current_password": PASSWORD})


Upload = tuple[ModuleType, Awaitable[httpx.Response], Callable[[], Awaitable[httpx.Response]]]


async def _own_file_own_account(stack: AsyncExitStack, app: FastAPI) -> Upload:
    alice = await _bearer_client(stack, app, ALICE)
    return impl.files, alice.post("/files", files=_png()), lambda: _delete_own_account(alice)


async def _admins_image_item_owners_account(stack: AsyncExitStack, app: FastAPI) -> Upload:
    admin = await _bearer_client(stack, app, ADMIN, admin=True)
    bob = await _bearer_client(stack, app, BOB)
    item = (await bob.post("/items", json={"name": "lamp", "price": 2.0})).json()
    return impl.items, admin.post(f"/items/{item['id']}/images", files=_png()), lambda: _delete_own_account(bob)


async def _own_image_own_account(stack: AsyncExitStack, app: FastAPI) -> Upload:
    alice = await _bearer_client(stack, app, ALICE)
    item = (await alice.post("/items", json={"name": "lamp", "price": 2.0})).json()
    return impl.items, alice.post(f"/items/{item['id']}/images", files=_png()), lambda: _delete_own_account(alice)


async def _own_image_item(stack: AsyncExitStack, app: FastAPI) -> Upload:
    alice = await _bearer_client(stack, app, ALICE)
    item = (await alice.post("/items", json={"name": "lamp", "price": 2.0})).json()
    return (
        impl.items,
        alice.post(f"/items/{item['id']}/images", files=_png()),
        lambda: alice.delete(f"/items/{item['id']}"),
    )


@pytest.mark.parametrize(
    "upload",
    [_own_file_own_account, _admins_image_item_owners_account, _own_image_own_account, _own_image_item],
    ids=["file, its account", "admin's image, the item owner's account", "image, its account", "image, its item"],
)
async def test_a_file_committed_while_what_it_belongs_to_is_deleted_goes_with_it(
    postgres_app: FastAPI, storage_dir: Path, upload: Callable[[AsyncExitStack, FastAPI], Awaitable[Upload]]
) -> None:
    async with AsyncExitStack() as stack:
        module, uploading, deletion = await upload(stack, postgres_app)
        uploaded, deleted = await _committing_while(postgres_app, module, uploading, deletion)
    assert (uploaded.status_code, deleted.status_code) == (201, 204), (uploaded.text, deleted.text)
    assert stored(storage_dir) == [] and await count_rows(postgres_app, files_table) == 0


@contextmanager
def _commit_answer_lost() -> Iterator[None]:
    """Every commit lands, then its answer is lost (a connection dropped during COMMIT): the outcome is unknown."""
    with pytest.MonkeyPatch.context() as patch:
        for connection in (impl.db._InlineConnection, impl.db_pooled._PooledConnection):
            commit = connection.commit

            async def lost(self: Any, commit: Callable[[Any], Awaitable[None]] = commit) -> None:
                await commit(self)
                raise DatabaseUnavailable("the connection to the database was lost; retry later", retry_after=1)

            patch.setattr(connection, "commit", lost)
        yield


async def test_a_file_whose_commit_may_have_landed_keeps_its_bytes(
    app: FastAPI, alice: httpx.AsyncClient, storage_dir: Path
) -> None:
    item = (await alice.post("/items", json={"name": "lamp", "price": 2.0})).json()
    with _commit_answer_lost():
        uploaded = await alice.post("/files", files=_png())
        added = await alice.post(f"/items/{item['id']}/images", files=_png())
    assert uploaded.status_code == added.status_code == 503, (uploaded.text, added.text)
    # Both rows landed: each file's bytes must be there (an orphan object is harmless, a row without bytes is not).
    async with app.state.database.connect() as conn:
        ids = [str(i) for i in (await conn.execute(select(files_table.c.id))).scalars()]
    assert len(ids) == 2
    for file_id in ids:
        content = await alice.get(f"/files/{file_id}/content")
        assert (content.status_code, content.content) == (200, PNG), content.text


# --- a password that stops being the account's while a request that checked it runs -----------------------------

NEW_PASSWORD = "another fine passphrase"


async def _change_password(app: FastAPI, email: str, old: str = PASSWORD, new: str = NEW_PASSWORD) -> None:
    """The account's owner changes its password (another session of theirs, through the API)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as owner:
        owner.headers["Authorization"] = f"Bearer {await get_token(owner, email, old)}"
        changed = await owner.patch("/users/me", json={"current_password": old, "password": new})
        assert changed.status_code == 200, changed.text


@contextmanager
def _first_password_check_held(meanwhile: Meanwhile) -> Iterator[None]:
    """The first password verification runs `meanwhile` before it answers; later ones (those `meanwhile` makes
    itself) are not held."""
    verify = PasswordHasher.verify
    held = False

    async def hold(self: PasswordHasher, password: str, stored_hash: str | None) -> tuple[bool, str | None]:
        nonlocal held
        answer = await verify(self, password, stored_hash)
        if not held:
            held = True
            await asyncio.create_task(meanwhile())  # a request of its own: another task, as a server would run it
        return answer

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PasswordHasher, "verify", hold)
        yield


async def test_a_login_with_the_password_changed_during_its_check_opens_no_session(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Else a login with the old password that was being checked when the owner changed it (say, because it leaked)
    would get a session that outlives the change, which ends every other session."""
    await sign_up(client, ALICE)
    with _first_password_check_held(lambda: _change_password(app, ALICE)):
        grant = await client.post("/token", data={"grant_type": "password", "username": ALICE, "password": PASSWORD})
    assert grant.status_code == 400 and grant.json()["error"] == "invalid_grant", grant.text
    with _first_password_check_held(lambda: _change_password(app, ALICE, NEW_PASSWORD, PASSWORD)):
        login = await client.post("/login", data={"username": ALICE, "password": NEW_PASSWORD})
    assert login.status_code == 401 and "set-cookie" not in login.headers, login.text
    # Only the session the last password change came from is open: each change ended the others, and neither held
    # login opened one.
    async with app.state.database.connect() as conn:
        open_sessions = (
            await conn.execute(
                select(func.count()).select_from(sessions_table).where(sessions_table.c.revoked_at.is_(None))
            )
        ).scalar_one()
    assert open_sessions == 1


async def test_a_change_confirmed_with_a_password_changed_meanwhile_is_refused(
    app: FastAPI, alice: httpx.AsyncClient
) -> None:
    """Two holders of the current password change it at once: the one whose confirmation came before the other's
    change must not overwrite it (whoever had the old password would otherwise take the account back)."""
    with _first_password_check_held(lambda: _change_password(app, ALICE)):
        late = await alice.patch(
            "/users/me", json={"current_password": PASSWORD, "password": "a third passphrase here"}
        )
    assert late.status_code == 422, late.text
    assert late.json()["errors"][0]["loc"][-1] == "current_password"
    assert (await alice.get("/users/me")).status_code == 401  # the change that won ended this session
    assert (await token_response_of(app, ALICE, NEW_PASSWORD)).status_code == 200


async def test_an_account_deletion_confirmed_with_a_password_changed_meanwhile_is_refused(
    app: FastAPI, alice: httpx.AsyncClient
) -> None:
    user_id = (await alice.get("/users/me")).json()["id"]
    with _first_password_check_held(lambda: _change_password(app, ALICE)):
        deleted = await alice.request("DELETE", f"/users/{user_id}", json={"current_password": PASSWORD})
    assert deleted.status_code == 422, deleted.text
    assert (await token_response_of(app, ALICE, NEW_PASSWORD)).status_code == 200


async def token_response_of(app: FastAPI, email: str, password: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.post("/token", data={"grant_type": "password", "username": email, "password": password})


async def test_a_login_rehashing_a_password_changed_meanwhile_does_not_bring_the_old_one_back(
    settings: Settings, app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A login upgrades the stored hash when the argon2 parameters changed (a transparent rehash of the password it
    just verified). If the owner changed the password meanwhile, writing that rehash would put the old password
    back, and open the login's session as well."""
    await sign_up(client, ALICE)
    stronger = create_app(settings.model_copy(update={"argon2_time_cost": settings.argon2_time_cost + 1}))
    try:
        transport = httpx.ASGITransport(app=stronger)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as upgraded:
            with _first_password_check_held(lambda: _change_password(app, ALICE)):
                grant = await upgraded.post(
                    "/token", data={"grant_type": "password", "username": ALICE, "password": PASSWORD}
                )
        assert grant.status_code == 400 and grant.json()["error"] == "invalid_grant", grant.text
        assert (await token_response_of(app, ALICE, PASSWORD)).status_code == 400
        assert (await token_response_of(app, ALICE, NEW_PASSWORD)).status_code == 200
    finally:
        await empty_and_close(stronger, empty=False)


async def test_two_logins_rehashing_the_same_password_at_once_both_succeed(
    settings: Settings, app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Both logins verified the password against the old hash; the other one writes its rehash first, so this
    one's write matches nothing. The password did not change, only its hash: this login must not be refused."""
    await sign_up(client, ALICE)
    stronger = create_app(settings.model_copy(update={"argon2_time_cost": settings.argon2_time_cost + 1}))

    async def another_login() -> None:
        assert (await token_response_of(stronger, ALICE, PASSWORD)).status_code == 200

    try:
        before = await stored_hash(app, ALICE)
        with _first_password_check_held(another_login):
            grant = await token_response_of(stronger, ALICE, PASSWORD)
        assert grant.status_code == 200, grant.text
        rehashed = await stored_hash(app, ALICE)
        assert rehashed != before and f"t={settings.argon2_time_cost + 1}," in rehashed  # the other login's rehash
        assert (await token_response_of(app, ALICE, PASSWORD)).status_code == 200
    finally:
        await empty_and_close(stronger, empty=False)


# --- an administrator's right that ends while their request runs ------------------------------------------------

SECOND_ADMIN = "second-admin@example.com"


async def test_two_administrators_removing_each_others_right_at_once_leave_one(app: FastAPI) -> None:
    """The rule that no administrator changes their own status or scopes exists so that one always remains; two
    taking each other's right at once must not end with none. The first request is held after its authentication
    (its body halfway) while the second completes; it then gets the 403 it would get a moment later."""
    async with AsyncExitStack() as stack:
        first = await _bearer_client(stack, app, ADMIN, admin=True)
        second = await _bearer_client(stack, app, SECOND_ADMIN, admin=True)
        first_id = (await first.get("/users/me")).json()["id"]
        second_id = (await second.get("/users/me")).json()["id"]
        demote = b'{"scopes": ["items:read", "items:write", "users:read", "users:write"]}'
        json_body = {"Content-Type": "application/json"}

        async def second_demotes_first() -> None:
            answer = await second.patch(f"/users/{first_id}", content=demote, headers=json_body)
            assert answer.status_code == 200, answer.text

        late = await _paused(
            first, f"/users/{second_id}", demote[:10], demote[10:], json_body, second_demotes_first, method="PATCH"
        )
        assert late.status_code == 403, late.text
        assert SCOPE_USERS_ADMIN in (await second.get("/users/me")).json()["scopes"]
        assert SCOPE_USERS_ADMIN not in (await second.get(f"/users/{first_id}")).json()["scopes"]


async def test_an_administrator_whose_right_was_taken_meanwhile_deletes_no_account(app: FastAPI) -> None:
    async with AsyncExitStack() as stack:
        first = await _bearer_client(stack, app, ADMIN, admin=True)
        second = await _bearer_client(stack, app, SECOND_ADMIN, admin=True)
        first_id = (await first.get("/users/me")).json()["id"]
        second_id = (await second.get("/users/me")).json()["id"]
        json_body = {"Content-Type": "application/json"}

        async def second_demotes_first() -> None:
            answer = await second.patch(f"/users/{first_id}", json={"scopes": ["users:read"]})
            assert answer.status_code == 200, answer.text

        late = await _paused(first, f"/users/{second_id}", b"{", b"}", json_body, second_demotes_first, method="DELETE")
        assert late.status_code == 403, late.text
        assert (await second.get("/users/me")).status_code == 200


# --- a file deleted between the read of its metadata and the read of its bytes -----------------------------------


async def test_a_download_whose_file_is_deleted_meanwhile_is_a_plain_404(
    app: FastAPI, alice: httpx.AsyncClient, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The item's image is read by a stranger while its owner deletes the item: the download gets the 404 a moment
    later would give, and no error is logged (a row without its bytes is, and must stay, an alarm)."""
    item = (await alice.post("/items", json={"name": "lamp", "price": 2.0})).json()
    (image,) = (await alice.post(f"/items/{item['id']}/images", files=_png())).json()["images"]
    opened = LocalStorage.open

    def held_open(self: LocalStorage, key: str, byte_range: ByteRange | None = None) -> AsyncIterator[bytes]:
        async def stream() -> AsyncIterator[bytes]:
            await asyncio.create_task(_delete_item(alice, item["id"]))
            async for chunk in opened(self, key, byte_range):
                yield chunk

        return stream()

    with pytest.MonkeyPatch.context() as patch, caplog.at_level(logging.ERROR):
        patch.setattr(LocalStorage, "open", held_open)
        response = await client.get(image["url"].removeprefix("http://testserver"))
    assert response.status_code == 404, response.text
    assert response.json()["detail"].endswith("does not exist"), response.text
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR], caplog.text


async def _delete_item(client: httpx.AsyncClient, item_id: int) -> None:
    assert (await client.delete(f"/items/{item_id}")).status_code == 204


async def test_a_file_row_without_its_bytes_is_an_alarm(
    alice: httpx.AsyncClient, storage_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The counterpart: bytes gone while the row stays is a lost file, logged as an error."""
    uploaded = (await alice.post("/files", files=_png())).json()
    for path in stored(storage_dir):
        path.unlink()
    with caplog.at_level(logging.ERROR):
        response = await alice.get(f"/files/{uploaded['id']}/content")
    assert response.status_code == 404 and response.json()["detail"].endswith("is missing"), response.text
    assert f"file {uploaded['id']} has metadata but no stored bytes" in caplog.text
