"""The fuzzing users (an administrator and an ordinary member), alice, written straight into a migrated database,
and the tokens of the two fuzzing users.

Shared by the fuzz tests (tests/contract/test_fuzz_contract.py) and `make fuzz` (scripts/fuzz_live.py): both fuzz as
users whose ids no sequence reaches, and seed alice, whose credentials are the contract's examples for `POST /token`
and `POST /login`, so the examples phase gets real answers. `make fuzz` sends every request as the administrator or
as the member, and checks that neither reaches what the contract keeps from them (scripts/fuzz_access.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from generated.security import SCOPE_USERS_ADMIN, SCOPES
from impl.security.passwords import PasswordHasher
from impl.security.tokens import TokenCodec, hash_secret
from impl.settings import DEFAULT_SCOPES, Settings
from impl.tables import metadata, sessions_table, users_table

FUZZER = "fuzzer@example.com"
ALICE = "alice@example.com"
PASSWORD = "correct horse battery staple"
FUZZER_ID = 2**62  # far above any id the sequences reach while fuzzing creates users
FUZZER_SESSION = "00000000-0000-4000-8000-00000000f022"
FUZZER_CSRF = "fuzzer-csrf-token"


@dataclass(frozen=True)
class FuzzUser:
    """A user the fuzzer sends requests as: its account, the session its token names and that session's CSRF token."""

    name: str
    user_id: int
    email: str
    scopes: frozenset[str]
    session_id: str
    csrf: str

    @property
    def is_admin(self) -> bool:
        """Whether the contract lets this user read and change everyone's objects (`users:admin`)."""
        return SCOPE_USERS_ADMIN in self.scopes


ADMIN = FuzzUser("admin", FUZZER_ID, FUZZER, SCOPES, FUZZER_SESSION, FUZZER_CSRF)
# An ordinary account, as sign-up creates: the scopes of a new account, and nothing of the administrator's.
MEMBER = FuzzUser(
    "member",
    FUZZER_ID - 2,
    "member@example.com",
    frozenset(DEFAULT_SCOPES),
    "00000000-0000-4000-8000-00000000f023",
    "member-csrf-token",
)
FUZZ_USERS = (ADMIN, MEMBER)


def user_token(settings: Settings, user: FuzzUser, *, ttl_seconds: int = 3600) -> str:
    """An access token with `user`'s scopes for `user`'s session, signed with `settings`' key, CSRF bound."""
    return (
        TokenCodec(settings)
        .issue(
            subject=str(user.user_id),
            scopes=user.scopes,
            ttl_seconds=ttl_seconds,
            session_id=user.session_id,
            csrf_hash=hash_secret(user.csrf),
        )
        .token
    )


def fuzzer_token(settings: Settings, *, ttl_seconds: int = 3600) -> str:
    """The administrator's token (every scope)."""
    return user_token(settings, ADMIN, ttl_seconds=ttl_seconds)


async def password_hash(settings: Settings, password: str = PASSWORD) -> str:
    """`password` (alice's by default) hashed with `settings`' argon2 parameters."""
    return await PasswordHasher(settings).hash(password)


def _user_row(user_id: int, email: str, scopes: frozenset[str], hashed: str, now: dt.datetime) -> dict[str, object]:
    return {
        "id": user_id, "email": email, "email_key": email, "scopes": sorted(scopes), "password_hash": hashed,
        "is_active": True, "created_at": now, "updated_at": now,
    }  # fmt: skip


def seed_users(hashed: str, *, fuzzer_hash: str | None = None) -> list[dict[str, object]]:
    """Rows of the fuzzing administrator (every scope), the member and alice (a new account's scopes), all with
    password hash `hashed` unless `fuzzer_hash` gives the two fuzzing users another (then the contract's examples,
    which carry alice's password, cannot delete them or change their e-mail)."""
    now = dt.datetime.now(dt.UTC)
    return [
        _user_row(ADMIN.user_id, ADMIN.email, ADMIN.scopes, fuzzer_hash or hashed, now),
        _user_row(FUZZER_ID - 1, ALICE, frozenset(DEFAULT_SCOPES), hashed, now),
        _user_row(MEMBER.user_id, MEMBER.email, MEMBER.scopes, fuzzer_hash or hashed, now),
    ]


def _session_row(user: FuzzUser) -> dict[str, object]:
    now = dt.datetime.now(dt.UTC)
    return {
        "id": user.session_id,
        "user_id": user.user_id,
        "scope": " ".join(sorted(user.scopes)),
        "created_at": now,
        # SESSION_MAX_AGE_SECONDS' default: far beyond any fuzzing run and the tokens it mints.
        "expires_at": now + dt.timedelta(days=30),
    }


def fuzzer_session() -> dict[str, object]:
    """The session the administrator's token names (every access token names one)."""
    return _session_row(ADMIN)


# Every sequence of the schema the tables live in (the `id` columns' identities).
_SEQUENCES = text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")


@asynccontextmanager
async def _transaction(database: str | AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction on `database`: an engine the caller keeps, or a URL (then an engine for this one use)."""
    engine = create_async_engine(database) if isinstance(database, str) else database
    try:
        async with engine.begin() as conn:
            yield conn
    finally:
        if isinstance(database, str):
            await engine.dispose()


async def reset(database: str | AsyncEngine, users: list[dict[str, object]] | None) -> None:
    """Empty every table and start its ids from 1 again, then (given `users` from `seed_users`) put them back with
    the fuzzing users' sessions. Ids restart so that a run sees the same ids whatever ran before it on the database
    (a derandomized case naming item 1 must find the same item every time).

    DELETE, children first, not PostgreSQL's TRUNCATE: on the few rows a fuzzing run leaves it took ~6 ms against
    ~25 ms (measured), and stateful fuzzing resets before every scenario."""
    async with _transaction(database) as conn:
        for table in reversed(metadata.sorted_tables):
            await conn.execute(delete(table))
        if conn.dialect.name == "postgresql":
            sequences = await conn.execute(_SEQUENCES)
            quote = conn.dialect.identifier_preparer.quote
            for (sequence,) in sequences.all():
                await conn.execute(text(f"ALTER SEQUENCE {quote(sequence)} RESTART"))
        else:
            # SQLite's AUTOINCREMENT counters.
            await conn.execute(text("DELETE FROM sqlite_sequence"))
        if users:
            await conn.execute(insert(users_table), users)
            seeded = {row["id"] for row in users}
            await conn.execute(
                insert(sessions_table), [_session_row(user) for user in FUZZ_USERS if user.user_id in seeded]
            )


async def reopen_fuzzer_session(database: str | AsyncEngine) -> None:
    """Undo a fuzzed `POST /logout`, which ends the session the administrator's own token names."""
    async with _transaction(database) as conn:
        await conn.execute(update(sessions_table).where(sessions_table.c.id == FUZZER_SESSION).values(revoked_at=None))


async def restore_fuzz_users(database_url: str, hashed: str) -> None:
    """Put both fuzzing users back as seeded: a fuzzed `DELETE /users/{id}`, `PATCH /users/{id}` or `POST /logout`
    may have deleted, deactivated or re-scoped one of them, or ended its session, and every later request made as
    that user would then answer 401 or 403 (allowed, so the run would pass while testing less and less).

    A deleted account comes back with password hash `hashed`; its e-mail is taken back from any account the fuzzer
    signed up with it meanwhile."""
    async with _transaction(database_url) as conn:
        for user in FUZZ_USERS:
            await _restore(conn, user, hashed)


async def _restore(conn: AsyncConnection, user: FuzzUser, hashed: str) -> None:
    exists = (await conn.execute(select(users_table.c.id).where(users_table.c.id == user.user_id))).first() is not None
    if exists:
        await conn.execute(
            update(users_table)
            .where(users_table.c.id == user.user_id)
            .values(scopes=sorted(user.scopes), is_active=True)
        )
    else:
        await conn.execute(delete(users_table).where(users_table.c.email_key == user.email))
        row = _user_row(user.user_id, user.email, user.scopes, hashed, dt.datetime.now(dt.UTC))
        await conn.execute(insert(users_table), [row])
    session = (await conn.execute(select(sessions_table.c.id).where(sessions_table.c.id == user.session_id))).first()
    if session is None:
        await conn.execute(insert(sessions_table), [_session_row(user)])
    else:
        await conn.execute(update(sessions_table).where(sessions_table.c.id == user.session_id).values(revoked_at=None))
