"""The per-process account cache (impl/security/account_cache.py) and what feeds it: the bound on an entry's age,
reads that overlap a change never kept, and the commit watch that tells the process its own writes changed
accounts or sessions, on both backends. Through the app, with two instances: tests/e2e/test_sqlite_shared_file.py."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import bindparam, delete, insert, update

from impl.compiled import Query, Record
from impl.db import Database, open_database
from impl.problems import Unauthorized
from impl.security import authenticator as authenticator_module
from impl.security import tokens as tokens_module
from impl.security.account_cache import MAX_ENTRIES, AccountChangeRelay, AccountStates
from impl.security.authenticator import Credentials, TokenAuthenticator
from impl.security.tokens import AccessClaims, TokenCodec
from impl.settings import Settings
from impl.tables import items_table, sessions_table, users_table
from tests.clocks import ManualClock
from tests.databases import make_settings

SCOPES = frozenset({"items:read", "items:write"})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def kept(states: AccountStates, clock: ManualClock, *, until: float = 1e9) -> None:
    states.keep(7, "sid", SCOPES, read_at=clock.now, generation=states.generation, until=until)


def test_an_entry_serves_for_at_most_max_age_after_its_read(clock: ManualClock) -> None:
    states = AccountStates(1.0, clock=clock)
    kept(states, clock)
    clock.now += 0.999
    assert states.scopes(7, "sid") == SCOPES
    assert states.scopes(7, "other sid") is None and states.scopes(8, "sid") is None
    clock.now += 0.001
    assert states.scopes(7, "sid") is None


def test_an_entry_never_outlives_its_session(clock: ManualClock) -> None:
    states = AccountStates(1.0, clock=clock)
    kept(states, clock, until=clock.now + 0.25)
    clock.now += 0.25
    assert states.scopes(7, "sid") is None


def test_a_read_that_began_before_a_change_is_not_kept(clock: ManualClock) -> None:
    states = AccountStates(1.0, clock=clock)
    generation = states.generation
    states.drop_all()  # a commit landed while the read was in flight
    states.keep(7, "sid", SCOPES, read_at=clock.now, generation=generation, until=1e9)
    assert states.scopes(7, "sid") is None


def test_drop_all_forgets_everything(clock: ManualClock) -> None:
    states = AccountStates(1.0, clock=clock)
    kept(states, clock)
    states.drop_all()
    assert states.scopes(7, "sid") is None


def test_zero_seconds_keeps_nothing(clock: ManualClock) -> None:
    states = AccountStates(0.0, clock=clock)
    kept(states, clock)
    assert states.scopes(7, "sid") is None


def test_the_cache_starts_over_instead_of_growing_past_its_bound(clock: ManualClock) -> None:
    states = AccountStates(1.0, clock=clock)
    for session in range(MAX_ENTRIES):
        states.keep(7, str(session), SCOPES, read_at=clock.now, generation=states.generation, until=1e9)
    assert states.scopes(7, "0") == SCOPES
    states.keep(7, "one more", SCOPES, read_at=clock.now, generation=states.generation, until=1e9)
    assert states.scopes(7, "0") is None and states.scopes(7, "one more") == SCOPES


@pytest.mark.parametrize("seconds", [-0.1, 1.5])
def test_the_staleness_bound_cannot_be_configured_past_one_second(seconds: float) -> None:
    with pytest.raises(ValidationError, match="account_cache_seconds"):
        make_settings("sqlite+aiosqlite:///:memory:", account_cache_seconds=seconds)


# --- the authenticator's reads -------------------------------------------------------------------------------------


class _Accounts:
    """A database that knows one open session of an active account, ending `session_left` from now; with
    `changed_midway`, every read of it overlaps a commit that changed accounts (it drops the states midway)."""

    def __init__(self, states: AccountStates, *, changed_midway: bool = False, session_left: float = 86400) -> None:
        self.states = states
        self.changed_midway = changed_midway
        self.session_ends = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=session_left)
        self.revoked_at: dt.datetime | None = None
        self.scopes = SCOPES
        self.reads = 0

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[_Accounts]:
        yield self

    async def fetch(self, _query: Query, _parameters: Mapping[str, Any]) -> list[Record]:
        self.reads += 1
        if self.changed_midway:
            self.states.drop_all()
        return [
            {
                "is_active": True, "scopes": sorted(self.scopes), "session_id": "sid", "revoked_at": self.revoked_at,
                "expires_at": self.session_ends,
            }
        ]  # fmt: skip


def _authenticator(database: _Accounts) -> tuple[TokenAuthenticator, AccessClaims]:
    """An authenticator on `database` and its states, and the claims of a token of account 7's session "sid"."""
    authenticator, token = _authenticator_and_token(database)
    return authenticator, authenticator._codec.verify(token)


def _authenticator_and_token(database: _Accounts, *, ttl_seconds: int = 60) -> tuple[TokenAuthenticator, str]:
    """An authenticator on `database` and its states, and a token of account 7's session "sid"."""
    codec = TokenCodec(make_settings("sqlite+aiosqlite:///:memory:"))
    authenticator = TokenAuthenticator(database, codec, database.states)  # type: ignore[arg-type]  # connect, fetch
    return authenticator, codec.issue(subject="7", scopes=SCOPES, ttl_seconds=ttl_seconds, session_id="sid").token


async def test_an_account_read_overlapping_a_change_is_read_again_next_time(clock: ManualClock) -> None:
    database = _Accounts(AccountStates(1.0, clock=clock), changed_midway=True)
    authenticator, claims = _authenticator(database)
    for _ in range(2):
        assert await authenticator._current_scopes(claims) == SCOPES
    assert database.reads == 2


async def test_an_entry_ends_with_its_session_when_that_comes_first(clock: ManualClock) -> None:
    database = _Accounts(AccountStates(1.0, clock=clock), session_left=0.5)
    authenticator, claims = _authenticator(database)
    assert await authenticator._current_scopes(claims) == SCOPES
    clock.now += 0.4
    assert await authenticator._current_scopes(claims) == SCOPES
    assert database.reads == 1  # a hit while the session lasts
    clock.now += 0.1
    database.session_ends = dt.datetime.now(dt.UTC)
    with pytest.raises(Unauthorized, match="expired"):
        await authenticator._current_scopes(claims)


# --- the authenticator's accepted tokens ---------------------------------------------------------------------------


class _Spied:
    """Counts the authenticator's full checks (token decoding and account reads) by wrapping its `_current_scopes`."""

    def __init__(self, authenticator: TokenAuthenticator) -> None:
        self.checks = 0
        check = authenticator._current_scopes

        async def counted(claims: AccessClaims) -> frozenset[str]:
            self.checks += 1
            return await check(claims)

        authenticator._current_scopes = counted  # type: ignore[method-assign]


async def test_a_token_accepted_once_is_accepted_again_without_a_full_check_while_its_entry_serves(
    clock: ManualClock,
) -> None:
    database = _Accounts(AccountStates(1.0, clock=clock))
    authenticator, token = _authenticator_and_token(database)
    spied = _Spied(authenticator)
    _, first = await authenticator._authenticate(Credentials(token, "bearer"))
    clock.now += 0.999
    _, again = await authenticator._authenticate(Credentials(token, "bearer"))
    assert again is first and spied.checks == 1 and database.reads == 1
    clock.now += 0.001  # the account entry it was checked against no longer serves: checked in full, read again
    await authenticator._authenticate(Credentials(token, "bearer"))
    assert spied.checks == 2 and database.reads == 2


async def test_a_change_anywhere_makes_the_next_request_check_in_full(clock: ManualClock) -> None:
    database = _Accounts(AccountStates(1.0, clock=clock))
    authenticator, token = _authenticator_and_token(database)
    await authenticator._authenticate(Credentials(token, "bearer"))
    database.revoked_at = dt.datetime.now(dt.UTC)
    database.states.drop_all()  # what the commit of the revocation does
    with pytest.raises(Unauthorized, match="ended"):
        await authenticator._authenticate(Credentials(token, "bearer"))


async def test_narrowed_scopes_apply_to_the_next_request_after_the_change(clock: ManualClock) -> None:
    database = _Accounts(AccountStates(1.0, clock=clock))
    authenticator, token = _authenticator_and_token(database)
    _, principal = await authenticator._authenticate(Credentials(token, "bearer"))
    assert principal.scopes == SCOPES
    database.scopes = frozenset({"items:read"})
    database.states.drop_all()
    _, principal = await authenticator._authenticate(Credentials(token, "bearer"))
    assert principal.scopes == {"items:read"}


async def test_an_accepted_token_is_checked_in_full_once_it_expires(
    clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = _Accounts(AccountStates(1.0, clock=clock))
    authenticator, token = _authenticator_and_token(database, ttl_seconds=60)
    spied = _Spied(authenticator)
    await authenticator._authenticate(Credentials(token, "bearer"))
    # Past the token's `exp` and leeway on the wall clock; the account entry still serves (the manual clock).
    later = time.time() + 60 + make_settings("sqlite+aiosqlite:///:memory:").jwt_leeway_seconds + 1
    monkeypatch.setattr(tokens_module.time, "time", lambda: later)
    await authenticator._authenticate(Credentials(token, "bearer"))
    assert spied.checks == 2  # (the full check is PyJWT's, which refuses it on its own clock)


async def test_the_same_token_sent_another_way_is_checked_as_that_way(clock: ManualClock) -> None:
    database = _Accounts(AccountStates(1.0, clock=clock))
    authenticator, token = _authenticator_and_token(database)
    _, by_header = await authenticator._authenticate(Credentials(token, "bearer"))
    _, by_cookie = await authenticator._authenticate(Credentials(token, "cookie"))
    assert by_header.claims["via"] == "bearer" and by_cookie.claims["via"] == "cookie"


async def test_an_accepted_principal_cannot_be_changed_by_the_request_that_gets_it(clock: ManualClock) -> None:
    database = _Accounts(AccountStates(1.0, clock=clock))
    authenticator, token = _authenticator_and_token(database)
    _, principal = await authenticator._authenticate(Credentials(token, "bearer"))
    with pytest.raises(TypeError):
        principal.claims["sid"] = "someone else's"  # type: ignore[index]


async def test_a_token_checked_while_a_change_landed_is_checked_in_full_next_time(clock: ManualClock) -> None:
    database = _Accounts(AccountStates(1.0, clock=clock), changed_midway=True)
    authenticator, token = _authenticator_and_token(database)
    spied = _Spied(authenticator)
    for _ in range(2):
        await authenticator._authenticate(Credentials(token, "bearer"))
    assert spied.checks == 2


async def test_a_token_checked_while_a_change_landed_is_not_kept_even_when_a_newer_read_was(
    clock: ManualClock,
) -> None:
    states = AccountStates(1.0, clock=clock)
    database = _Accounts(states)
    authenticator, token = _authenticator_and_token(database)
    read = database.fetch

    async def overtaken(query: Query, parameters: Mapping[str, Any]) -> list[Record]:
        rows = await read(query, parameters)  # what was true when this read began: both scopes
        states.drop_all()  # a commit narrowed the account's scopes meanwhile ...
        narrowed = frozenset({"items:read"})  # ... and a request that began after it read them and kept them
        states.keep(7, "sid", narrowed, read_at=clock.now, generation=states.generation, until=1e9)
        return rows

    database.fetch = overtaken  # type: ignore[method-assign]
    await authenticator._authenticate(Credentials(token, "bearer"))
    _, principal = await authenticator._authenticate(Credentials(token, "bearer"))
    assert principal.scopes == {"items:read"}


async def test_with_no_account_cache_every_request_is_checked_in_full(clock: ManualClock) -> None:
    database = _Accounts(AccountStates(0.0, clock=clock))
    authenticator, token = _authenticator_and_token(database)
    spied = _Spied(authenticator)
    for _ in range(3):
        await authenticator._authenticate(Credentials(token, "bearer"))
    assert spied.checks == 3 and database.reads == 3


async def test_accepted_tokens_start_over_instead_of_growing_past_their_bound(
    clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(authenticator_module, "MAX_ACCEPTED", 2)
    database = _Accounts(AccountStates(1.0, clock=clock))
    authenticator, first = _authenticator_and_token(database)
    codec = authenticator._codec
    others = [codec.issue(subject="7", scopes=SCOPES, ttl_seconds=60, session_id="sid").token for _ in range(2)]
    for token in (first, *others):
        await authenticator._authenticate(Credentials(token, "bearer"))
    assert set(authenticator._accepted) == {others[1]}


# --- the commit watch ------------------------------------------------------------------------------------------------


class Calls:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture
async def watched(settings: Settings) -> AsyncIterator[tuple[Database, Calls]]:
    """The test database (each backend) with a callback watching users and sessions."""
    database = open_database(settings.database_url)
    calls = Calls()
    database.commits.add((users_table, sessions_table), calls)
    yield database, calls
    await database.dispose()


# Statements that match no row are changes all the same: what they would change is not known.
NO_USER = 10**9
DEACTIVATE_NO_USER = update(users_table).where(users_table.c.id == NO_USER).values(is_active=False)


async def test_a_committed_update_or_delete_of_a_watched_table_calls_back_once_after_the_commit(
    watched: tuple[Database, Calls],
) -> None:
    database, calls = watched
    async with database.connect() as conn:
        await conn.execute(DEACTIVATE_NO_USER)
        await conn.execute(delete(sessions_table).where(sessions_table.c.user_id == NO_USER))
        assert calls.count == 0  # not before the commit: another request could read the old rows again
        await conn.commit()
    assert calls.count == 1


async def test_a_rolled_back_change_and_an_unwatched_write_call_nothing(
    watched: tuple[Database, Calls],
) -> None:
    database, calls = watched
    async with database.connect() as conn:
        await conn.execute(DEACTIVATE_NO_USER)
        await conn.rollback()
        await conn.commit()
        await conn.execute(delete(items_table).where(items_table.c.id == NO_USER))
        await conn.commit()
    async with database.connect() as conn:  # returned without a commit: rolled back
        await conn.execute(DEACTIVATE_NO_USER)
    assert calls.count == 0


async def test_an_insert_is_not_a_change_but_a_writing_query_is(watched: tuple[Database, Calls]) -> None:
    database, calls = watched
    now = dt.datetime.now(dt.UTC)
    async with database.connect() as conn:
        await conn.execute(
            insert(users_table).values(
                email="watch@example.com", email_key="watch@example.com", password_hash="x", is_active=True,
                scopes=[], created_at=now, updated_at=now,
            )
        )  # fmt: skip
        await conn.commit()
        assert calls.count == 0
        deactivate = Query(
            update(users_table).where(users_table.c.email_key == bindparam("key")).values(is_active=bindparam("active"))
            .returning(users_table.c.id)
        )  # fmt: skip
        assert len(await conn.fetch(deactivate, {"key": "watch@example.com", "active": False})) == 1
        await conn.commit()
        assert calls.count == 1
        await conn.execute(delete(users_table).where(users_table.c.email_key == "watch@example.com"))
        await conn.commit()
    assert calls.count == 2


async def test_without_redis_a_change_only_drops_this_process_entries(clock: ManualClock) -> None:
    states = AccountStates(1.0, clock=clock)
    relay = AccountChangeRelay(states, None)
    await relay.start()
    kept(states, clock)
    relay.changed()
    assert states.scopes(7, "sid") is None
    await relay.aclose()
