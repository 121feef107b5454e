"""SessionStore without HTTP: a session's absolute expiry is set at login, caps every refresh token it issues, and
refuses refreshes past it; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, insert, select, update

from impl.db import Database, open_database
from impl.problems import OAuthError
from impl.security.sessions import Session, SessionStore
from impl.settings import Settings
from impl.tables import refresh_tokens_table as _refresh
from impl.tables import sessions_table as _sessions
from impl.tables import users_table as _users

USER_ID = 4242
HOUR, DAY = 3600, 86400
# Timestamps are taken inside the store: the tests allow this much between their clock reading and its.
SLACK = dt.timedelta(seconds=5)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = open_database(settings.database_url)
    now = dt.datetime.now(dt.UTC)
    account = {"email": "s@example.com", "email_key": "s@example.com", "password_hash": "x", "scopes": ["items:read"]}
    async with db.connect() as conn:
        await conn.execute(
            insert(_users), {"id": USER_ID, **account, "is_active": True, "created_at": now, "updated_at": now}
        )
        await conn.commit()
    yield db
    async with db.connect() as conn:
        for table in (_refresh, _sessions, _users):
            await conn.execute(delete(table))
        await conn.commit()
    await db.dispose()


async def _open(database: Database, *, refresh_ttl: int, max_age: int) -> tuple[Session, str]:
    """A login: a session and its first refresh token, committed."""
    async with database.connect() as conn:
        store = SessionStore(conn, refresh_ttl_seconds=refresh_ttl, max_age_seconds=max_age)
        session = await store.open(USER_ID, frozenset({"items:read"}))
        token = await store.issue_refresh_token(session)
        await conn.commit()
    return session, token


async def _redeem(database: Database, token: str, *, refresh_ttl: int = DAY, max_age: int = 30 * DAY) -> str:
    """Refresh once as the token endpoint does (redeem, rotate, commit); the rotated token."""
    async with database.connect() as conn:
        store = SessionStore(conn, refresh_ttl_seconds=refresh_ttl, max_age_seconds=max_age)
        grant = await store.redeem(token)
        rotated = await store.issue_refresh_token(grant.session)
        await conn.commit()
    return rotated


async def _token_expiries(database: Database) -> list[dt.datetime]:
    async with database.connect() as conn:
        return list((await conn.execute(select(_refresh.c.expires_at).order_by(_refresh.c.id))).scalars())


async def _session_row(database: Database, session_id: str) -> tuple[dt.datetime, dt.datetime | None]:
    """The stored (expires_at, revoked_at) of a session."""
    statement = select(_sessions.c.expires_at, _sessions.c.revoked_at).where(_sessions.c.id == session_id)
    async with database.connect() as conn:
        row = (await conn.execute(statement)).one()
    return row.expires_at, row.revoked_at


async def _expire(database: Database, session_id: str, at: dt.datetime) -> None:
    async with database.connect() as conn:
        await conn.execute(update(_sessions).where(_sessions.c.id == session_id).values(expires_at=at))
        await conn.commit()


async def test_open_stores_the_expiry_max_age_after_the_login(database: Database) -> None:
    before = dt.datetime.now(dt.UTC)
    session, _ = await _open(database, refresh_ttl=DAY, max_age=30 * DAY)
    stored, revoked = await _session_row(database, session.id)
    assert stored == session.expires_at and revoked is None
    assert before + dt.timedelta(days=30) <= session.expires_at <= before + dt.timedelta(days=30) + SLACK


async def test_a_refresh_token_expires_after_its_ttl_while_the_session_lasts_longer(database: Database) -> None:
    before = dt.datetime.now(dt.UTC)
    await _open(database, refresh_ttl=DAY, max_age=30 * DAY)
    (expires,) = await _token_expiries(database)
    assert before + dt.timedelta(days=1) <= expires <= before + dt.timedelta(days=1) + SLACK


async def test_no_refresh_token_outlives_its_session(database: Database) -> None:
    # The session ends in an hour: the first token, and every rotated one, expire with it, not a day later.
    session, token = await _open(database, refresh_ttl=DAY, max_age=HOUR)
    rotated = await _redeem(database, token, refresh_ttl=DAY, max_age=HOUR)
    await _redeem(database, rotated, refresh_ttl=DAY, max_age=HOUR)
    assert await _token_expiries(database) == [session.expires_at] * 3


async def test_refreshing_never_extends_the_session(database: Database) -> None:
    session, token = await _open(database, refresh_ttl=DAY, max_age=30 * DAY)
    for _ in range(3):
        token = await _redeem(database, token)
    assert (await _session_row(database, session.id))[0] == session.expires_at


async def test_a_refresh_past_the_session_expiry_is_invalid_grant(database: Database) -> None:
    session, token = await _open(database, refresh_ttl=DAY, max_age=30 * DAY)
    await _expire(database, session.id, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    with pytest.raises(OAuthError) as refused:
        await _redeem(database, token)
    assert (refused.value.error, refused.value.description) == ("invalid_grant", "the session has expired")
    # Refused as expired, not spent: the token is still unused and the session is not marked revoked.
    assert (await _session_row(database, session.id))[1] is None
    async with database.connect() as conn:
        assert (await conn.execute(select(_refresh.c.used_at))).scalar_one() is None


async def test_a_spent_token_of_an_expired_session_is_refused_as_expired_without_revoking(database: Database) -> None:
    session, token = await _open(database, refresh_ttl=DAY, max_age=30 * DAY)
    await _redeem(database, token)
    await _expire(database, session.id, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    with pytest.raises(OAuthError, match="the session has expired"):
        await _redeem(database, token)
    assert (await _session_row(database, session.id))[1] is None


async def test_a_refresh_just_before_the_expiry_still_works(database: Database) -> None:
    session, token = await _open(database, refresh_ttl=DAY, max_age=30 * DAY)
    await _expire(database, session.id, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30))
    await _redeem(database, token)


def test_lifetime_cuts_a_token_ttl_to_what_is_left_of_the_session() -> None:
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    session = Session(id="s", expires_at=now + dt.timedelta(seconds=600, milliseconds=900))
    assert session.lifetime(900, now=now) == 600  # whole seconds: never a moment past the session
    assert session.lifetime(300, now=now) == 300
    # Nothing left (the session ended meanwhile): the shortest token, which the authenticator refuses anyway.
    assert session.lifetime(900, now=now + dt.timedelta(hours=1)) == 1
