"""The fuzzing administrator and alice, written straight into a migrated database, and the fuzzer's token.

Shared by the fuzz tests (tests/contract/fuzzing.py) and `make fuzz` (scripts/fuzz_live.py): both fuzz as an
administrator whose id no sequence reaches, and seed alice, whose credentials are the contract's examples for
`POST /token` and `POST /login`, so the examples phase gets real answers.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import create_async_engine

from generated.security import SCOPES
from impl.security.passwords import PasswordHasher
from impl.security.tokens import TokenCodec, hash_secret
from impl.settings import DEFAULT_SCOPES, Settings
from impl.tables import Base, SessionRow, UserRow

FUZZER = "fuzzer@example.com"
ALICE = "alice@example.com"
PASSWORD = "correct horse battery staple"
FUZZER_ID = 2**62  # far above any id the sequences reach while fuzzing creates users
FUZZER_SESSION = "00000000-0000-4000-8000-00000000f022"
FUZZER_CSRF = "fuzzer-csrf-token"


def fuzzer_token(settings: Settings, *, ttl_seconds: int = 3600) -> str:
    """An access token with every scope for the fuzzer's session, signed with `settings`' key, CSRF bound."""
    codec = TokenCodec(settings)
    return codec.issue(
        subject=str(FUZZER_ID),
        scopes=SCOPES,
        ttl_seconds=ttl_seconds,
        session_id=FUZZER_SESSION,
        csrf_hash=hash_secret(FUZZER_CSRF),
    ).token


async def password_hash(settings: Settings, password: str = PASSWORD) -> str:
    """`password` (alice's by default) hashed with `settings`' argon2 parameters."""
    return await PasswordHasher(settings).hash(password)


def seed_users(hashed: str, *, fuzzer_hash: str | None = None) -> list[dict[str, object]]:
    """Rows of the fuzzing administrator (every scope) and alice (a new account's scopes), both with password hash
    `hashed` unless `fuzzer_hash` gives the fuzzer another (then the contract's examples cannot delete it)."""
    now = dt.datetime.now(dt.UTC)
    common = {"is_active": True, "created_at": now, "updated_at": now}
    return [
        {
            "id": FUZZER_ID, "email": FUZZER, "email_key": FUZZER, "scopes": sorted(SCOPES),
            "password_hash": fuzzer_hash or hashed, **common,
        },
        {
            "id": FUZZER_ID - 1, "email": ALICE, "email_key": ALICE, "scopes": sorted(DEFAULT_SCOPES),
            "password_hash": hashed, **common,
        },
    ]  # fmt: skip


def fuzzer_session() -> dict[str, object]:
    """The session the fuzzer's token names (every access token names one)."""
    return {
        "id": FUZZER_SESSION,
        "user_id": FUZZER_ID,
        "scope": " ".join(sorted(SCOPES)),
        "created_at": dt.datetime.now(dt.UTC),
    }


async def reset(database_url: str, users: list[dict[str, object]] | None) -> None:
    """Empty every table, then (given `users` from `seed_users`) put them back with the fuzzer's session."""
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(delete(table))
            if users:
                await conn.execute(insert(UserRow), users)
                await conn.execute(insert(SessionRow), [fuzzer_session()])
    finally:
        await engine.dispose()


async def reopen_fuzzer_session(database_url: str) -> None:
    """Undo a fuzzed `POST /logout`, which ends the session the fuzzer's own token names."""
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(update(SessionRow).where(SessionRow.id == FUZZER_SESSION).values(revoked_at=None))
    finally:
        await engine.dispose()
