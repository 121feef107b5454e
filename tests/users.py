"""Test users and how to sign them up and in through the HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from generated.security import SCOPE_USERS_ADMIN
from impl.settings import DEFAULT_SCOPES
from impl.tables import users_table

ALICE = "alice@example.com"
BOB = "bob@example.com"
ADMIN = "admin@example.com"
PASSWORD = "correct horse battery staple"


async def sign_up(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, object]:
    """Create an account; returns the User."""
    response = await client.post("/users", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    user: dict[str, object] = response.json()
    return user


async def token_response(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, **extra: str
) -> httpx.Response:
    """The raw answer of the password grant."""
    return await client.post(
        "/token", data={"grant_type": "password", "username": email, "password": password, **extra}
    )


async def get_token(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """An access token from the password grant."""
    response = await token_response(client, email, password)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def sign_up_and_get_token(client: httpx.AsyncClient, email: str) -> str:
    await sign_up(client, email)
    return await get_token(client, email)


@asynccontextmanager
async def authenticated_client(app: FastAPI, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client sending `Authorization: Bearer <token>` on every request."""
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers) as http:
        yield http


async def grant_admin(app: FastAPI, email: str) -> None:
    """Give the account `users:admin` directly in the database, as an operator would."""
    async with app.state.database.connect() as conn:
        await conn.execute(
            update(users_table)
            .where(users_table.c.email_key == email)
            .values(scopes=sorted({*DEFAULT_SCOPES, SCOPE_USERS_ADMIN}))
        )
        await conn.commit()


async def stored_hash(app: FastAPI, email: str) -> str:
    """The account's password hash, as the database holds it."""
    async with app.state.database.connect() as conn:
        stored: str = (
            await conn.execute(select(users_table.c.password_hash).where(users_table.c.email_key == email))
        ).scalar_one()
    return stored
