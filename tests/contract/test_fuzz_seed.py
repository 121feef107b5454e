"""`make fuzz` puts its two users back when a fuzzed request deleted, deactivated, re-scoped or logged out one."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import create_async_engine

from impl.tables import items_table, sessions_table, users_table
from scripts.fuzz_seed import ADMIN, FUZZ_USERS, MEMBER, reset, restore_fuzz_users, seed_users

HASHED = "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_restore_puts_back_a_deleted_a_deactivated_and_a_logged_out_fuzzing_user(database_url: str) -> None:
    await reset(database_url, seed_users(HASHED))
    now = dt.datetime.now(dt.UTC)
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            # What fuzzed requests can do: delete the member (and sign up someone else with its e-mail), deactivate
            # and re-scope the administrator, and end its session.
            await conn.execute(delete(sessions_table).where(sessions_table.c.user_id == MEMBER.user_id))
            await conn.execute(delete(users_table).where(users_table.c.id == MEMBER.user_id))
            squatter = {
                "id": 5, "email": MEMBER.email, "email_key": MEMBER.email, "scopes": [], "password_hash": HASHED,
                "is_active": True, "created_at": now, "updated_at": now,
            }  # fmt: skip
            await conn.execute(insert(users_table), [squatter])
            await conn.execute(
                update(users_table).where(users_table.c.id == ADMIN.user_id).values(is_active=False, scopes=[])
            )
            await conn.execute(
                update(sessions_table).where(sessions_table.c.id == ADMIN.session_id).values(revoked_at=now)
            )

        await restore_fuzz_users(database_url, HASHED)

        async with engine.connect() as conn:
            users = {row.id: row for row in (await conn.execute(select(users_table))).all()}
            sessions = {row.id: row for row in (await conn.execute(select(sessions_table))).all()}
        for user in FUZZ_USERS:
            assert users[user.user_id].is_active and set(users[user.user_id].scopes) == user.scopes
            assert users[user.user_id].email == user.email
            assert sessions[user.session_id].user_id == user.user_id and sessions[user.session_id].revoked_at is None
        assert 5 not in users  # the account that took the member's e-mail made way
    finally:
        await engine.dispose()
        await reset(database_url, None)  # the session's database is shared with the modules that run next


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_reset_starts_ids_from_one_again_whatever_ran_before(database_url: str) -> None:
    # A derandomized fuzz case naming item 1 must find the same item whichever modules used the database before.
    engine = create_async_engine(database_url)
    row = {"name": "x", "price": 1.0, "tags": [], "images": [], "version": 1}
    try:
        for _ in range(2):
            await reset(database_url, None)
            async with engine.begin() as conn:
                now = dt.datetime.now(dt.UTC)
                ids = [
                    (
                        await conn.execute(insert(items_table).values(**row, created_at=now, updated_at=now))
                    ).inserted_primary_key[0]
                    for _ in range(3)
                ]
            assert ids == [1, 2, 3]
    finally:
        await engine.dispose()
        await reset(database_url, None)
