"""The soak clients' ledger: every write the service acknowledged, and every failed attempt on the way.

Written by the load process (`bench.soak.load`) as JSON when the run ends, read by the checks (`bench.soak.verify`).
Only what a client could know goes in: the answers it got. A write counts as acknowledged when the client saw its
2xx, or when a retry after an ambiguous failure (a 5xx or a dropped connection: the first attempt may or may not
have been applied) proved it applied — the same Idempotency-Key replayed, the If-Match version moved to exactly
what was sent, a delete answered 404, an image present under the name the client chose.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ItemRecord:
    """An item one virtual user created (it is the only writer): its last acknowledged state."""

    id: int
    # Unique per create and kept in `description` through every update: two rows with one marker are a duplicate.
    marker: str
    owner: str
    name: str
    price: float
    etag: str
    images: list[str] = field(default_factory=list)
    deleted: bool = False


@dataclass
class Failure:
    """A 5xx answer or a failed connection, and whether the operation it belonged to succeeded in the end."""

    at: float  # wall clock (time.time()), comparable with the kill's
    operation: str
    status: int  # 0: no HTTP answer (connection refused, reset or timed out)
    detail: str
    recovered: bool = False


@dataclass
class Ledger:
    """Everything the virtual users of one run were told."""

    run: str
    accounts: dict[str, int] = field(default_factory=dict)  # e-mail -> user id
    items: dict[int, ItemRecord] = field(default_factory=dict)
    # Markers of items whose state the client never learned (retries ran out, or an answer off-contract): each
    # present at most once, nothing more claimed.
    uncertain_markers: list[str] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=dict)  # kind of write -> count
    # Acknowledged writes whose own answer was lost, proven applied on retry: kind and evidence -> count.
    resolved: dict[str, int] = field(default_factory=dict)
    reads: int = 0
    stale_reads: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    # An operation given up after its retries, or an answer the contract does not allow at that point.
    abandoned: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    # A rotation whose answer was lost: the retry presents a used refresh token, which (correctly) ends the family.
    refresh_lost: int = 0
    retried_operations: int = 0

    def acknowledge(self, kind: str) -> None:
        self.acknowledged[kind] = self.acknowledged.get(kind, 0) + 1

    def resolve(self, kind: str) -> None:
        self.resolved[kind] = self.resolved.get(kind, 0) + 1

    def count_status(self, status: int) -> None:
        key = str(status)
        self.statuses[key] = self.statuses.get(key, 0) + 1

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: Path) -> Ledger:
        raw: dict[str, Any] = json.loads(path.read_text())
        raw["items"] = {int(key): ItemRecord(**value) for key, value in raw["items"].items()}
        raw["failures"] = [Failure(**value) for value in raw["failures"]]
        return cls(**raw)
