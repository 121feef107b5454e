"""Notifications: only for callers with `notifications:send`, limited per user, written to the outbox, delivered by
e-mail (aiosmtpd here), and a failed delivery is logged with the request id, answered 202 all the same, and retried.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Row, select

from impl.app import create_app
from impl.notifications.service import SUBJECT, Notifications
from impl.tables import notification_outbox_table
from tests.databases import empty_and_close, make_settings
from tests.mail import smtp_server
from tests.users import ALICE, authenticated_client, get_token, sign_up, token_response

RECIPIENT = "friend@example.org"


@pytest.fixture
async def make_app(database_url: str) -> AsyncIterator[object]:
    """Build apps with setting overrides; each is emptied and closed afterwards."""
    apps: list[FastAPI] = []

    def build(**overrides: object) -> FastAPI:
        app = create_app(make_settings(database_url, **overrides))
        apps.append(app)
        return app

    yield build
    for app in apps:
        await empty_and_close(app)


async def _alice(app: FastAPI, **token_extra: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as anonymous:
        await sign_up(anonymous, ALICE)
        if token_extra:
            response = await token_response(anonymous, ALICE, **token_extra)
            assert response.status_code == 200, response.text
            token = response.json()["access_token"]
        else:
            token = await get_token(anonymous, ALICE)
    return httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"}
    )


async def _rows(app: FastAPI) -> list[Row[Any]]:
    async with app.state.database.connect() as conn:
        return list((await conn.execute(select(notification_outbox_table))).all())


async def test_send_notification_anonymous_is_401(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.post(f"/send-notification/{RECIPIENT}")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert await _rows(app) == []


async def test_send_notification_without_the_scope_is_403(make_app) -> None:
    app = make_app()
    async with await _alice(app, scope="items:read") as alice:
        response = await alice.post(f"/send-notification/{RECIPIENT}")
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert await _rows(app) == []


async def test_send_notification_is_written_to_the_outbox_and_delivered_by_the_log_sender(
    app: FastAPI, alice: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await alice.post(f"/send-notification/{RECIPIENT}", params={"q": "hello"})
    assert response.status_code == 202, response.text
    assert response.json()["message"].startswith("Notification ")
    (row,) = await _rows(app)
    # The background task ran after the response (the in-process transport waits for it).
    assert (row.status, row.attempts, row.recipient) == ("delivered", 1, RECIPIENT)
    assert row.request_id == response.headers["x-request-id"]
    assert row.body == f"message to {RECIPIENT}\nfound query: hello\n"
    assert any(RECIPIENT in r.getMessage() and SUBJECT in r.getMessage() for r in caplog.records)


async def test_send_notification_to_a_malformed_address_is_422(app: FastAPI, alice: httpx.AsyncClient) -> None:
    response = await alice.post("/send-notification/not-an-address")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["path", "email"]
    assert await _rows(app) == []


async def test_notifications_over_the_per_user_limit_are_429_with_retry_after(make_app) -> None:
    app = make_app(notifications_per_user=2, notification_window_seconds=600)
    async with await _alice(app) as alice:
        for _ in range(2):
            assert (await alice.post(f"/send-notification/{RECIPIENT}")).status_code == 202
        response = await alice.post(f"/send-notification/{RECIPIENT}")
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert 1 <= int(response.headers["retry-after"]) <= 600
    assert len(await _rows(app)) == 2


async def test_smtp_delivery_reaches_the_server_with_recipient_subject_and_outbox_message_id(make_app) -> None:
    with smtp_server() as (port, handler):
        app = make_app(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, mail_from="api@example.com")
        async with await _alice(app) as alice:
            response = await alice.post(f"/send-notification/{RECIPIENT}", params={"q": "ping"})
        assert response.status_code == 202, response.text
        (mail,) = handler.wait_for(1, timeout=10)
    (row,) = await _rows(app)
    assert mail.recipients == [RECIPIENT]
    assert mail.message["Subject"] == SUBJECT
    assert mail.message["To"] == RECIPIENT
    assert mail.message["From"] == "api@example.com"
    assert mail.message["Message-ID"] == f"<{row.id}@example.com>"
    assert "found query: ping" in mail.message.get_payload()
    assert row.status == "delivered"


async def test_smtp_failure_is_logged_with_the_request_id_answered_202_and_retried(
    make_app, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # The server refuses the first message (451), then accepts; a retry is due at once (base 0).
    with smtp_server(fail_next=1) as (port, handler):
        app = make_app(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, notification_retry_base_seconds=0)
        async with await _alice(app) as alice:
            response = await alice.post(f"/send-notification/{RECIPIENT}")
        assert response.status_code == 202, response.text
        request_id = response.headers["x-request-id"]
        (row,) = await _rows(app)
        assert (row.status, row.attempts) == ("pending", 1)
        assert "451" in (row.last_error or "")
        failures = [r for r in caplog.records if r.levelno == logging.WARNING and "attempt 1 failed" in r.getMessage()]
        assert failures and request_id in failures[0].getMessage()
        assert handler.messages() == []

        notifications: Notifications = app.state.notifications
        assert await notifications.deliverer.sweep_once() == 1
        (mail,) = handler.wait_for(1, timeout=10)
    assert mail.recipients == [RECIPIENT]
    (row,) = await _rows(app)
    assert (row.status, row.attempts) == ("delivered", 2)


async def test_a_notification_whose_attempts_run_out_is_marked_failed_and_logged(
    make_app, caplog: pytest.LogCaptureFixture
) -> None:
    with smtp_server(fail_next=10) as (port, handler):
        app = make_app(
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_starttls=False,
            notification_retry_base_seconds=0,
            notification_max_attempts=2,
        )
        async with await _alice(app) as alice:
            response = await alice.post(f"/send-notification/{RECIPIENT}")
        assert response.status_code == 202
        notifications: Notifications = app.state.notifications
        assert await notifications.deliverer.sweep_once() == 0
        assert await notifications.deliverer.sweep_once() == 0  # nothing due any more
    (row,) = await _rows(app)
    assert (row.status, row.attempts) == ("failed", 2)
    assert any(r.levelno == logging.ERROR and "giving up" in r.getMessage() for r in caplog.records)
    assert handler.messages() == []


async def test_a_bearer_client_and_the_outbox_agree_on_the_sender(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await sign_up(client, "carol@example.com")
    async with authenticated_client(app, await get_token(client, "carol@example.com")) as carol:
        assert (await carol.post(f"/send-notification/{RECIPIENT}")).status_code == 202
    (row,) = await _rows(app)
    assert row.user_id == user["id"]
