"""The housekeeping sweep and sessions' absolute expiry: an expired session goes with its tokens (whatever they say)
strictly after the grace, in bounded batches, and a family refreshed without pause no longer lives forever."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import insert, select, update

from impl.db import Database
from impl.housekeeping import Housekeeper
from impl.settings import Settings
from impl.tables import refresh_tokens_table as _refresh
from impl.tables import sessions_table as _sessions
from tests.databases import make_settings
from tests.unit.impl.housekeeping_rows import NOW, Seed, ago, database, rows_in, values_of

# `database` is the fixture both housekeeping modules share (housekeeping_rows.py), imported for pytest to find.
__all__ = ["database"]

GRACE = 600
DAY = 86400


def _sweeper(database: Database, settings: Settings, **overrides: Any) -> Housekeeper:
    configured = make_settings(settings.database_url, **{"housekeeping_grace_seconds": GRACE, **overrides})
    return Housekeeper(database, configured, clock=lambda: NOW)


async def test_an_expired_session_goes_with_its_tokens_strictly_after_the_grace(
    database: Database, settings: Settings
) -> None:
    seed = Seed(database)
    user = await seed.user()
    later = NOW + dt.timedelta(days=1)
    # Every case has a token that would keep it alive on its own: only the session's expiry decides.
    live = [(ago(60), later)]
    cases: dict[str, tuple[dict[str, Any], bool]] = {
        "expired, past the grace": ({"expires": ago(GRACE + 1)}, False),
        "expired, at the edge of the grace": ({"expires": ago(GRACE)}, True),
        "expired, within the grace": ({"expires": ago(GRACE - 1)}, True),
        "not expired": ({"expires": later}, True),
        # Sessions from before the expiry existed may hold tokens that outlive it (backfilled expiry): refused from
        # the session's expiry on all the same, so they go with it.
        "expired, token outliving it": ({"expires": ago(DAY)}, False),
        "expired and revoked": ({"expires": ago(DAY), "revoked": ago(2 * DAY)}, False),
        # Opened moments ago, outside the walk over old sessions: a short max age must not wait for that walk.
        "young, expired": ({"created": ago(GRACE + 2), "expires": ago(GRACE + 1)}, False),
    }
    ids = {
        name: (await seed.session(user, **{"created": ago(60 * DAY), "tokens": live, **spec}))[0]
        for name, (spec, _) in cases.items()
    }
    report = await _sweeper(database, settings).sweep_once()
    remaining = await values_of(database, _sessions.c.id)
    assert {name for name, session_id in ids.items() if session_id in remaining} == {
        name for name, (_, alive) in cases.items() if alive
    }
    assert await values_of(database, _refresh.c.session_id) == remaining
    gone = sum(1 for _, alive in cases.values() if not alive)
    assert report.deleted["sessions"] == gone and report.deleted["refresh_tokens"] == gone


async def test_expired_sessions_go_in_bounded_batches(database: Database, settings: Settings) -> None:
    seed = Seed(database)
    user = await seed.user()
    # Families refreshed without pause until they expired: many spent tokens each, and a newest one still valid.
    tokens = [(ago(DAY * 2), ago(DAY))] * 6 + [(ago(60), NOW + dt.timedelta(days=1))]
    expired = await seed.session(user, created=ago(31 * DAY), expires=ago(DAY), tokens=tokens, count=5)
    (alive,) = await seed.session(user, created=ago(31 * DAY), tokens=tokens)
    sweeper = _sweeper(database, settings, housekeeping_batch_size=4)
    batches: list[dict[str, int]] = []
    original = sweeper._expired_sessions_batch

    async def recorded(conn: Any, state: Any) -> tuple[dict[str, int], bool]:
        deleted, more = await original(conn, state)
        batches.append(deleted)
        return deleted, more

    sweeper._steps = tuple(recorded if step == original else step for step in sweeper._steps)
    report = await sweeper.sweep_once()
    assert report.deleted["sessions"] == 5 and report.deleted["refresh_tokens"] == 5 * 7
    assert all(rows <= 4 for batch in batches for rows in batch.values()), batches
    assert len(batches) >= 5 * 7 // 4
    assert await values_of(database, _sessions.c.id) == {alive} and await rows_in(database, _refresh) == 7
    assert set(expired).isdisjoint(await values_of(database, _refresh.c.session_id))


async def test_families_refreshed_without_pause_level_off(database: Database, settings: Settings) -> None:
    """Every simulated hour: 10 logins, every live family refreshes (its newest token always valid), then a sweep.
    Without an absolute expiry such families were never swept; now each goes its max age (+ grace) after login."""
    max_age, step, rounds, logins = 4 * 3600, 3600, 12, 10
    clock = {"now": NOW}
    configured = make_settings(settings.database_url, housekeeping_grace_seconds=0)
    sweeper = Housekeeper(database, configured, clock=lambda: clock["now"])
    seed = Seed(database)
    user = await seed.user()
    sizes: list[tuple[int, int]] = []
    for number in range(rounds):
        now = clock["now"] = NOW + dt.timedelta(seconds=step * number)
        await seed.session(user, created=now, expires=now + dt.timedelta(seconds=max_age), count=logins)
        await _rotate_every_family(database, now)
        await sweeper.sweep_once()
        sizes.append((await rows_in(database, _sessions), await rows_in(database, _refresh)))
    # A family lives from its login until its max age has passed: the logins of this round and the four before...
    lifetime_rounds = max_age // step + 1
    assert all(sessions <= lifetime_rounds * logins for sessions, _ in sizes), sizes
    assert sizes[-1][0] == sizes[-3][0] == lifetime_rounds * logins, sizes
    # ... and holds a token per round it lived (the spent ones for theft detection): 1 + 2 + ... + 5 per login.
    assert sizes[-1][1] == sizes[-3][1] == logins * sum(range(1, lifetime_rounds + 1)), sizes


async def _rotate_every_family(database: Database, now: dt.datetime) -> None:
    """What a refresh of every session does: its newest token spent, a new one valid for a day."""
    async with database.connect() as conn:
        await conn.execute(update(_refresh).where(_refresh.c.used_at.is_(None)).values(used_at=now))
        session_ids = (await conn.execute(select(_sessions.c.id))).scalars().all()
        rows = [
            {
                "token_hash": uuid.uuid4().hex + uuid.uuid4().hex,
                "session_id": session_id,
                "issued_at": now,
                "expires_at": now + dt.timedelta(days=1),
                "used_at": None,
            }
            for session_id in session_ids
        ]
        await conn.execute(insert(_refresh), rows)  # type: ignore[arg-type]  # a list: SQLAlchemy's executemany
        await conn.commit()
