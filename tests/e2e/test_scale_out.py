"""Two app instances behind HAProxy (bench/topology.py) on one PostgreSQL database and one Redis: every behaviour
that must be shared holds across instances.

Each cross-instance step is sent through HAProxy to a chosen instance (`X-Pin-Instance`, honoured by the test
topology only) and checks HAProxy's `X-Served-By` says that instance answered. Clients connect from addresses of
their own in 127.0.0.0/8 (127.0.0.1 is HAProxy's, the only trusted proxy), so the per-address limits see the client
address HAProxy forwards. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.haproxy import PIN_HEADER, SERVED_BY_HEADER
from bench.processes import find_program
from bench.topology import Topology
from impl.security.authenticator import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from impl.settings import Settings
from tests.databases import connect as connect_database
from tests.mail import RecordingHandler, smtp_server
from tests.users import PASSWORD

GUESS_LIMIT = 3
EVENT_TIMEOUT = 10.0
DELIVERY_TIMEOUT = 20.0
SWEEP_SECONDS = 0.2
# Beyond the account cache's bound, what a loaded 2-core machine may add before the other instance answers.
CACHE_MARGIN_SECONDS = 2.0


def _require_haproxy() -> None:
    if find_program("haproxy") and find_program("redis-server"):
        return
    message = "haproxy and redis-server are needed (Debian packages `haproxy`, `redis-server`)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a missing service is a failure)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def mail() -> Iterator[tuple[int, RecordingHandler]]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def topology(
    postgres_database_url: str, mail: tuple[int, RecordingHandler], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Topology]:
    _require_haproxy()
    smtp_port, _ = mail
    env = {
        "ENVIRONMENT": "test",
        "LOG_JSON": "false",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST_KIB": str(8 * 1024),
        "SIGNUPS_PER_ADDRESS": str(10**6),
        "LOGIN_FAILURES_PER_USER": str(GUESS_LIMIT),
        "LOGIN_FAILURE_WINDOW_SECONDS": "600",
        "NOTIFICATIONS_PER_USER": str(10**6),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_STARTTLS": "false",
        "SMTP_TIMEOUT_SECONDS": "5",
        "NOTIFICATION_LEASE_SECONDS": "10",
        "NOTIFICATION_SWEEP_SECONDS": str(SWEEP_SECONDS),
        "NOTIFICATION_RETRY_BASE_SECONDS": str(SWEEP_SECONDS),
    }
    with Topology(postgres_database_url, tmp_path_factory.mktemp("topology"), env=env, pinnable=True) as running:
        yield running


@asynccontextmanager
async def _client(topology: Topology, address: str = "127.0.0.2") -> AsyncIterator[httpx.AsyncClient]:
    """A client of HAProxy connecting from `address` (any 127.x.y.z but HAProxy's own 127.0.0.1)."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(transport=transport, base_url=topology.url, timeout=15) as client:
        yield client


async def _on(client: httpx.AsyncClient, instance: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """Send one request through HAProxy to `instance`, and check that instance is the one that answered."""
    headers = {**kwargs.pop("headers", {}), PIN_HEADER: instance}
    response = await client.request(method, path, headers=headers, **kwargs)
    assert response.headers[SERVED_BY_HEADER] == instance, response.headers
    return response


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _sign_up(client: httpx.AsyncClient, instance: str = "a") -> tuple[str, int]:
    email = f"scale-{uuid.uuid4().hex[:12]}@example.com"
    response = await _on(client, instance, "POST", "/users", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return email, int(response.json()["id"])


async def _grant(client: httpx.AsyncClient, instance: str, email: str, password: str = PASSWORD) -> httpx.Response:
    data = {"grant_type": "password", "username": email, "password": password}
    return await _on(client, instance, "POST", "/token", data=data)


async def _tokens(client: httpx.AsyncClient, instance: str, email: str) -> dict[str, str]:
    response = await _grant(client, instance, email)
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


async def _me(client: httpx.AsyncClient, instance: str, token: str) -> int:
    return await _status(client, instance, "/users/me", _bearer(token))


async def _status(client: httpx.AsyncClient, instance: str, path: str, headers: dict[str, str]) -> int:
    return (await _on(client, instance, "GET", path, headers=headers)).status_code


async def _refused(check: Callable[[], Awaitable[int]], status: int = 401) -> None:
    """`check` answers `status` within the staleness the account cache allows the other instance (Redis normally
    tells it in milliseconds; tests/e2e/test_sqlite_shared_file.py proves each way apart), plus a loaded machine's
    margin."""
    deadline = time.monotonic() + Settings.model_fields["account_cache_seconds"].default + CACHE_MARGIN_SECONDS
    while (seen := await check()) != status and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert seen == status


async def _rows(database_url: str, query: str, *args: object) -> list[Any]:
    conn = await connect_database(database_url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def test_round_robin_spreads_requests_and_metrics_stay_private(topology: Topology) -> None:
    async with _client(topology) as client:
        answers = [await client.get("/healthz") for _ in range(6)]
        assert Counter(r.headers[SERVED_BY_HEADER] for r in answers) == {"a": 3, "b": 3}
        # Prometheus scrapes each instance directly; the public listener refuses /metrics.
        assert (await client.get("/metrics")).status_code == 403
        assert httpx.get(f"{topology.instances['a'].url}/metrics").status_code == 200


async def test_password_guesses_spread_over_both_instances_never_exceed_the_limit(topology: Topology) -> None:
    async with _client(topology, "127.0.0.2") as guesser, _client(topology, "127.0.0.3") as owner:
        email, _ = await _sign_up(guesser)
        for instance in ("a", "b", "a"):
            assert (await _grant(guesser, instance, email, "wrong password!")).status_code == 400
        # The limit is shared: the next guess is refused by either instance, the right password too.
        for instance in ("b", "a"):
            refused = await _grant(guesser, instance, email, PASSWORD)
            assert refused.status_code == 429, refused.text
            assert int(refused.headers["retry-after"]) >= 1
        # A forged X-Forwarded-For changes nothing: the nearest address not of a trusted proxy is the guesser's.
        forged = await _on(
            guesser, "b", "POST", "/token", headers={"X-Forwarded-For": "127.0.0.9"},
            data={"grant_type": "password", "username": email, "password": PASSWORD},
        )  # fmt: skip
        assert forged.status_code == 429
        # The counter is per (account, client address) as HAProxy forwarded it, not HAProxy's own address: the
        # owner, elsewhere, still logs in on both instances.
        assert (await _grant(owner, "a", email)).status_code == 200
        assert (await _grant(owner, "b", email)).status_code == 200

    async with _client(topology, "127.0.0.4") as burst:
        email, _ = await _sign_up(burst)
        guesses = await asyncio.gather(*(_grant(burst, "ab"[n % 2], email, f"wrong password {n}") for n in range(12)))
        statuses = Counter(response.status_code for response in guesses)
        assert statuses[400] <= GUESS_LIMIT and statuses[400] + statuses[429] == 12, statuses


async def test_refresh_token_replayed_on_the_other_instance_revokes_the_family(topology: Topology) -> None:
    async with _client(topology) as client:
        email, _ = await _sign_up(client)
        first = await _tokens(client, "a", email)
        assert await _me(client, "b", first["access_token"]) == 200
        rotated = await _on(
            client, "a", "POST", "/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        )
        assert rotated.status_code == 200, rotated.text
        second = rotated.json()
        assert await _me(client, "b", second["access_token"]) == 200

        replay = await _on(
            client, "b", "POST", "/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        )
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
        # The whole family ends on both instances: the rotated refresh token and every access token of the login.
        follow = await _on(
            client,
            "a",
            "POST",
            "/token",
            data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        )
        assert follow.status_code == 400
        for instance in ("a", "b"):
            await _refused(partial(_me, client, instance, second["access_token"]))
            await _refused(partial(_me, client, instance, first["access_token"]))


async def test_revocation_logout_and_deletion_take_effect_on_the_other_instance(topology: Topology) -> None:
    async with _client(topology) as client:
        email, user_id = await _sign_up(client)
        # Revocation (RFC 7009) on a; the access token was just verified (and cached) by b.
        tokens = await _tokens(client, "a", email)
        assert await _me(client, "b", tokens["access_token"]) == 200
        revoked = await _on(client, "a", "POST", "/token/revoke", data={"token": tokens["refresh_token"]})
        assert revoked.status_code == 200
        await _refused(partial(_me, client, "b", tokens["access_token"]))

        # Browser logout on b; the session cookie was just accepted by a.
        login = await _on(client, "b", "POST", "/login", data={"username": email, "password": PASSWORD})
        assert login.status_code == 204, login.text
        session, csrf = login.cookies[SESSION_COOKIE], login.cookies[CSRF_COOKIE]
        client.cookies.clear()
        cookies = {"Cookie": f"{SESSION_COOKIE}={session}; {CSRF_COOKIE}={csrf}"}
        assert (await _on(client, "a", "GET", "/users/me", headers=cookies)).status_code == 200
        logout = await _on(client, "b", "POST", "/logout", headers={**cookies, CSRF_HEADER: csrf})
        assert logout.status_code == 204
        client.cookies.clear()
        await _refused(partial(_status, client, "a", "/users/me", cookies))

        # Account deletion on a; b had just accepted a token of the account.
        tokens = await _tokens(client, "b", email)
        assert await _me(client, "b", tokens["access_token"]) == 200
        deletion = await _on(
            client, "a", "DELETE", f"/users/{user_id}", json={"current_password": PASSWORD},
            headers=_bearer(tokens["access_token"]),
        )  # fmt: skip
        assert deletion.status_code == 204, deletion.text
        await _refused(partial(_me, client, "b", tokens["access_token"]))
        assert (await _grant(client, "b", email)).status_code == 400


async def test_idempotency_key_replays_across_instances_with_one_row(topology: Topology) -> None:
    async with _client(topology) as client:
        email, user_id = await _sign_up(client)
        auth = _bearer((await _tokens(client, "a", email))["access_token"])
        key = str(uuid.uuid4())
        body: dict[str, object] = {"name": f"idem-{key[:8]}", "price": 12.5}
        first = await _on(client, "a", "POST", "/items", json=body, headers={**auth, "Idempotency-Key": key})
        assert first.status_code == 201, first.text
        again = await _on(client, "b", "POST", "/items", json=body, headers={**auth, "Idempotency-Key": key})
        assert again.status_code == 201 and again.json() == first.json()
        other = await _on(
            client, "b", "POST", "/items", json={**body, "price": 1}, headers={**auth, "Idempotency-Key": key}
        )
        assert other.status_code == 409

        # The same key sent to both instances at once: one item, every answer naming it.
        racing = str(uuid.uuid4())
        raced: dict[str, object] = {"name": f"idem-{racing[:8]}", "price": 3.0}
        answers = await asyncio.gather(
            *(
                _on(client, "ab"[n % 2], "POST", "/items", json=raced, headers={**auth, "Idempotency-Key": racing})
                for n in range(8)
            )
        )
        assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1

    rows = await _rows(topology.database_url, "SELECT name FROM items WHERE owner_id = $1", user_id)
    assert sorted(row["name"] for row in rows) == sorted([str(body["name"]), str(raced["name"])])
    keys = await _rows(topology.database_url, "SELECT key FROM idempotency_keys WHERE principal = $1", str(user_id))
    assert sorted(row["key"] for row in keys) == sorted([key, racing])


async def _subscribe(topology: Topology, instance: str, token: str) -> ClientConnection:
    ws = await connect(
        f"ws://{topology.url.removeprefix('http://')}/ws/items",
        subprotocols=[Subprotocol("bearer"), Subprotocol(token)],
        additional_headers={PIN_HEADER: instance},
        open_timeout=10,
    )
    assert ws.response is not None and ws.response.headers[SERVED_BY_HEADER] == instance
    return ws


async def _next_event(ws: ClientConnection) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT))
    return event


async def test_websocket_subscribers_of_each_instance_see_writes_made_through_the_other(topology: Topology) -> None:
    async with _client(topology) as client:
        email, _ = await _sign_up(client)
        token = (await _tokens(client, "a", email))["access_token"]
        on_a, on_b = await _subscribe(topology, "a", token), await _subscribe(topology, "b", token)
        try:
            created = await _on(client, "b", "POST", "/items", json={"name": "ws", "price": 2}, headers=_bearer(token))
            assert created.status_code == 201
            item = created.json()
            assert await _next_event(on_a) == {"event": "created", "item": item}
            assert await _next_event(on_b) == {"event": "created", "item": item}
            headers = {**_bearer(token), "If-Match": created.headers["etag"]}
            patched = await _on(client, "a", "PATCH", f"/items/{item['id']}", json={"price": 3}, headers=headers)
            assert patched.status_code == 200
            assert await _next_event(on_b) == {"event": "updated", "item": patched.json()}
            assert await _next_event(on_a) == {"event": "updated", "item": patched.json()}
            deleted = await _on(client, "b", "DELETE", f"/items/{item['id']}", headers=_bearer(token))
            assert deleted.status_code == 204
            assert await _next_event(on_a) == {"event": "deleted", "id": item["id"]}
        finally:
            await on_a.close()
            await on_b.close()


async def test_outbox_delivers_exactly_once_with_both_instances_sweeping(
    topology: Topology, mail: tuple[int, RecordingHandler]
) -> None:
    _, handler = mail
    before = len(handler.messages())
    # The first attempts of half the notifications fail (451): those rows are due again after a backoff, and both
    # instances' sweepers (every 0.2 s) race to claim them.
    with handler.lock:
        handler.fail_next = 4
    async with _client(topology) as client:
        email, _ = await _sign_up(client)
        auth = _bearer((await _tokens(client, "a", email))["access_token"])
        accepted = []
        for n in range(8):
            response = await _on(
                client, "ab"[n % 2], "POST", f"/send-notification/outbox-{n}@example.org", headers=auth
            )
            assert response.status_code == 202, response.text
            accepted.append(response.json()["message"].split()[1])

    handler.wait_for(before + len(accepted), timeout=DELIVERY_TIMEOUT)
    await asyncio.sleep(SWEEP_SECONDS * 10)  # any second copy would have been swept and sent by now
    sent = [m.message["Message-ID"] for m in handler.messages()[before:]]
    assert len(sent) == len(accepted)
    assert sorted(next(i for i in accepted if i in message_id) for message_id in sent) == sorted(accepted)
    rows = await _rows(
        topology.database_url, "SELECT id, status, attempts FROM notification_outbox WHERE id = ANY($1)", accepted
    )
    assert {row["status"] for row in rows} == {"delivered"} and len(rows) == len(accepted)
    assert sum(row["attempts"] > 1 for row in rows) == 4  # the failed ones were retried by a sweep, once each


async def test_a_killed_instance_is_routed_around_then_rejoins_after_restart(topology: Topology) -> None:
    async with _client(topology) as client:
        email, _ = await _sign_up(client)
        token = (await _tokens(client, "a", email))["access_token"]
        before = topology.haproxy.stats()["a"]
        topology.instances["a"].kill()
        # Not yet marked down: HAProxy's connection to a is refused (or an idle one it reuses closes unanswered), and
        # the GET is retried and redispatched to b: never a 502, never a dropped answer (see test_proxy_retries.py).
        answers = [await client.get("/users/me", headers=_bearer(token)) for _ in range(10)]
        assert {(r.status_code, r.headers[SERVED_BY_HEADER]) for r in answers} == {(200, "b")}
        after = topology.haproxy.stats()["a"]
        assert int(after["wredis"]) > int(before["wredis"]) or after["status"].startswith("DOWN")
        topology.haproxy.wait_for("a", "DOWN")

        topology.restart("a")
        # Back on its port, with the same key and database: tokens minted before the kill work there.
        assert await _me(client, "a", token) == 200
        spread = [(await client.get("/healthz")).headers[SERVED_BY_HEADER] for _ in range(6)]
        assert Counter(spread) == {"a": 3, "b": 3}
