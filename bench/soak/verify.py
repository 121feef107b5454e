"""The soak's verdict: the client ledger against the database, the failures against the kill, connections and memory.

Each check is a line of the report with the figure it measured and whether it passed; `bench.soak` exits non-zero
when one did not.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.pgdb import connect
from bench.processes import local_tcp_ports
from bench.soak.ledger import Ledger
from bench.topology import Topology
from impl.etags import make_etag

# Pool of one worker (impl/db_pooled.py): pool_size + max_overflow.
POOL_LIMIT_PER_WORKER = 20


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    figure: str
    ok: bool


@dataclass(frozen=True)
class KillWindow:
    """Wall-clock times (time.time()) of the SIGKILL and of HAProxy seeing the instance up again."""

    killed_at: float
    back_at: float
    grace: float = 5.0

    def covers(self, at: float) -> bool:
        return self.killed_at - 1.0 <= at <= self.back_at + self.grace


def _within(ledger: Ledger, marker: str) -> bool:
    return marker.startswith(f"soak:{ledger.run}:")


async def ledger_checks(database_url: str, ledger: Ledger) -> list[Check]:
    """Every acknowledged write present exactly once and as acknowledged; nothing present that nobody wrote."""
    conn = await connect(database_url, application_name="soak verify")
    try:
        items = await conn.fetch("SELECT id, name, description, price, version, images FROM items")
        users = await conn.fetch("SELECT id, email FROM users")
        files = await conn.fetch("SELECT item_id FROM files")
        keys = await conn.fetchval("SELECT count(*) FROM idempotency_keys")
    finally:
        await conn.close()

    by_marker: dict[str, list[Any]] = defaultdict(list)
    for row in items:
        if row["description"] and _within(ledger, row["description"]):
            by_marker[row["description"]].append(row)
    files_per_item = Counter(row["item_id"] for row in files if row["item_id"] is not None)

    problems: list[str] = []
    for record in ledger.items.values():
        rows = by_marker.get(record.marker, [])
        if record.deleted:
            if rows or files_per_item[record.id]:
                problems.append(f"item {record.id} was deleted (acknowledged) but is still there")
            continue
        if len(rows) != 1 or rows[0]["id"] != record.id:
            problems.append(f"item {record.id}: {len(rows)} rows carry its marker")
            continue
        row = rows[0]
        found = (make_etag(row["id"], row["version"]), row["name"], row["price"], [i["name"] for i in _json(row)])
        expected = (record.etag, record.name, record.price, record.images)
        if found != expected:
            problems.append(f"item {record.id}: database has {found}, the client was told {expected}")
        if files_per_item[record.id] != len(record.images):
            problems.append(f"item {record.id}: {files_per_item[record.id]} file rows for {len(record.images)} images")

    duplicates = sorted(marker for marker, rows in by_marker.items() if len(rows) > 1)
    known = {record.marker for record in ledger.items.values()} | set(ledger.uncertain_markers)
    phantoms = sorted(marker for marker in by_marker if marker not in known)

    emails = Counter(row["email"] for row in users)
    accounts_missing = [email for email, user_id in ledger.accounts.items() if emails[email] != 1]
    ids = {row["email"]: row["id"] for row in users}
    accounts_missing += [email for email, user_id in ledger.accounts.items() if ids.get(email) != user_id]
    creates = ledger.acknowledged.get("item creates", 0)

    acknowledged = sum(ledger.acknowledged.values())
    lost = len(problems) + len(set(accounts_missing))
    details = "; ".join([*problems, *sorted(set(accounts_missing))][:5])
    return [
        Check("acknowledged writes", _breakdown(ledger.acknowledged), acknowledged > 0),
        Check(
            "acknowledged writes missing or wrong in the database",
            f"{lost}{' — ' + details if details else ''}",
            lost == 0,
        ),
        Check(
            "duplicated writes (rows sharing a marker)",
            f"{len(duplicates)} {duplicates[:3] or ''}".strip(),
            not duplicates,
        ),
        Check("rows no client wrote", f"{len(phantoms)} {phantoms[:3] or ''}".strip(), not phantoms),
        Check(
            "idempotency keys stored (one per create)",
            f"{keys} for {creates} acknowledged creates, {len(ledger.uncertain_markers)} uncertain",
            creates <= keys <= creates + len(ledger.uncertain_markers),
        ),
        Check(
            "writes of unknown outcome (given up)",
            str(len(ledger.uncertain_markers)),
            not ledger.uncertain_markers,
        ),
    ]


def _json(row: Any) -> list[dict[str, str]]:
    images = row["images"]
    return list(json.loads(images) if isinstance(images, str) else images)


def _breakdown(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    return f"{total} ({', '.join(f'{n} {kind}' for kind, n in sorted(counts.items()))})"


def client_checks(ledger: Ledger, window: KillWindow) -> list[Check]:
    """5xx and dropped connections: only while the instance was down, and each one's operation succeeded later."""
    during = [f for f in ledger.failures if f.status in (0, 502, 503, 504) and window.covers(f.at) and f.recovered]
    unexpected = [f for f in ledger.failures if f not in during]
    statuses = Counter(f.status or "no answer" for f in during)
    examples = "; ".join(f"{f.operation} {f.status} {f.detail[:80]}" for f in unexpected[:3])
    return [
        Check(
            "5xx / dropped during the kill, retried OK",
            f"{len(during)} {dict(statuses) if statuses else ''}".strip(),
            True,
        ),
        Check("unexpected 5xx / dropped connections", f"{len(unexpected)} {examples}".strip(), not unexpected),
        Check(
            "operations given up or answered off-contract",
            str(len(ledger.abandoned) + len(ledger.unexpected)) + _first(ledger.abandoned + ledger.unexpected),
            not ledger.abandoned and not ledger.unexpected,
        ),
        Check(
            "stale reads (a read missing an acknowledged write)",
            f"{len(ledger.stale_reads)}{_first(ledger.stale_reads)}",
            not ledger.stale_reads,
        ),
        Check(
            "writes whose answer was lost, found applied on retry",
            _breakdown(ledger.resolved) if ledger.resolved else "0",
            True,
        ),
        Check("refreshes whose answer was lost (family revoked, logged in again)", str(ledger.refresh_lost), True),
    ]


def _first(messages: Sequence[str]) -> str:
    return f" — {messages[0][:160]}" if messages else ""


async def connection_checks(topology: Topology, database_url: str, workers: int) -> list[Check]:
    """After the load: no connection checked out of a pool, none left over from the killed instance, none idle in a
    transaction, and each instance within its pool."""
    in_use = {name: instance.metric("db_connections_in_use") for name, instance in topology.instances.items()}
    database = database_url.rsplit("/", 1)[1].split("?", 1)[0]
    conn = await connect(database_url, application_name="soak verify")
    try:
        rows = await conn.fetch(
            "SELECT client_port, state FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", database
        )
    finally:
        await conn.close()
    owners = {name: local_tcp_ports(instance.pids()) for name, instance in topology.instances.items()}
    per_instance = {name: sum(row["client_port"] in ports for row in rows) for name, ports in owners.items()}
    orphans = [row for row in rows if not any(row["client_port"] in ports for ports in owners.values())]
    busy = Counter(row["state"] for row in rows if row["state"] != "idle")
    limit = POOL_LIMIT_PER_WORKER * workers
    return [
        Check("pool connections checked out after the load", str(in_use), not any(in_use.values())),
        Check(
            "PostgreSQL connections of the run's database",
            f"{len(rows)}: {per_instance}, {len(orphans)} of no live instance",
            not orphans and all(n <= limit for n in per_instance.values()),
        ),
        Check("connections busy or idle in transaction after the load", str(dict(busy) or 0), not busy),
    ]
