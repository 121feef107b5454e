"""The soak client's outcome resolution (bench/soak/outcomes.py, bench/soak/traffic.py): a write whose answer was lost
counts as landed only on evidence, and the client always knows which of its writes may have landed.

The first tests call the resolution directly. The last runs a real soak client (Locust, in a process of its own, as
`make soak` runs it) against a small item server that commits a PUT, a PATCH and a DELETE and then drops each one's
connection unanswered, as an instance SIGKILLed after its commit does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from bench.soak.ledger import Ledger
from bench.soak.outcomes import Answer, Attempts, confirm_delete, updated_etag
from tests.databases import REPO_ROOT

ETAG = '"7.4"'
SENT = {"name": "item 9", "price": 12.5}
LOST = Answer(0, {}, b"connection closed")


def _item(version: int, **fields: object) -> Answer:
    body = {"id": 7, "name": "item 3", "price": 3.0, "description": "m", "images": [], **fields}
    return Answer(200, {"etag": f'"7.{version}"'}, json.dumps(body).encode())


def _problem(status: int) -> Answer:
    return Answer(status, {"content-type": "application/problem+json"}, json.dumps({"status": status}).encode())


def _run(ledger: Ledger, answers: list[Answer], outcome: Callable[[Answer, bool], Any]) -> Any:
    """Feed `answers` to one operation, one an attempt, through the client's retry loop."""
    attempts = Attempts(ledger, sleep=lambda _: None)
    remaining = iter(answers)
    return attempts.retrying("op", lambda ambiguous: outcome(attempts.check("op", next(remaining)), ambiguous))


def test_a_412_after_a_lost_update_counts_it_when_the_item_carries_exactly_that_update() -> None:
    ledger = Ledger(run="r")
    etag = _run(
        ledger, [LOST, _problem(412)], lambda a, amb: updated_etag(ledger, a, amb, lambda: _item(5, **SENT), ETAG, SENT)
    )
    assert etag == '"7.5"'
    assert ledger.resolved == {"item updates (412, then a read showing them)": 1}
    assert [f.recovered for f in ledger.failures] == [True] and not ledger.unexpected


@pytest.mark.parametrize(
    "current",
    [
        _item(5, name="item 8", price=12.5),  # one version on, but not what was sent
        _item(6, **SENT),  # what was sent, then something else
        _item(4),  # nothing moved: the 412 is not explained
    ],
)
def test_a_412_after_a_lost_update_the_read_does_not_explain_is_never_counted(current: Answer) -> None:
    ledger = Ledger(run="r")
    outcome = _run(
        ledger, [LOST, _problem(412)], lambda a, amb: updated_etag(ledger, a, amb, lambda: current, ETAG, SENT)
    )
    assert outcome is None and not ledger.resolved
    assert len(ledger.unexpected) == 1 and "412" in ledger.unexpected[0]


def test_a_412_or_a_404_with_no_lost_attempt_is_off_contract_not_a_landed_write() -> None:
    ledger = Ledger(run="r")

    def read_shows_it() -> Answer:  # would explain the 412, had an attempt been lost
        return _item(5, **SENT)

    assert _run(ledger, [_problem(412)], lambda a, amb: updated_etag(ledger, a, amb, read_shows_it, ETAG, SENT)) is None
    assert _run(ledger, [_problem(404)], lambda a, amb: confirm_delete(ledger, a, amb)) is None
    assert not ledger.resolved and len(ledger.unexpected) == 2


def test_a_404_after_a_lost_delete_counts_it_as_landed() -> None:
    ledger = Ledger(run="r")
    assert _run(ledger, [LOST, _problem(503), _problem(404)], lambda a, amb: confirm_delete(ledger, a, amb) or True)
    assert ledger.resolved == {"item deletes (404)": 1}
    assert [f.recovered for f in ledger.failures] == [True, True] and ledger.retried_operations == 1


def test_an_operation_whose_retries_run_out_is_abandoned_and_its_failures_stay_unrecovered() -> None:
    ledger = Ledger(run="r")
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    attempts = Attempts(ledger, sleep=sleep, budget=1.0, clock=lambda: now[0])
    assert attempts.retrying("op", lambda _: attempts.check("op", LOST)) is None
    assert ledger.abandoned and ledger.failures and not any(f.recovered for f in ledger.failures)


# --- a real soak client against an item server that loses answers -----------------------------------------------


@dataclass
class _Store:
    """One item; each kind of write is committed and then left unanswered the first time it applies."""

    item: dict[str, Any] | None
    version: int = 1
    dropped: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _ItemHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    store: ClassVar[_Store]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _reply(self, status: int, body: dict[str, Any] | None = None) -> None:
        content = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if self.store.item is not None:
            self.send_header("ETag", f'"7.{self.store.version}"')
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def do_GET(self) -> None:
        if self.store.item is None:
            self._reply(404, {"status": 404})
        else:
            self._reply(200, self.store.item)

    def _write(self, change: Callable[[dict[str, Any]], dict[str, Any] | None], answer: int) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else {}
        store = self.store
        with store.lock:
            store.requests.append(self.command)
            if store.item is None:
                return self._reply(404, {"status": 404})
            if self.headers.get("If-Match") != f'"7.{store.version}"':
                return self._reply(412, {"status": 412})
            store.item = change(body)
            store.version += 1
            if self.command not in store.dropped:
                store.dropped.add(self.command)
                self.close_connection = True  # committed, then the connection closes unanswered
                return None
            self._reply(answer, store.item)

    def do_PUT(self) -> None:
        self._write(lambda body: {**(self.store.item or {}), **body}, 200)

    def do_PATCH(self) -> None:
        self._write(lambda body: {**(self.store.item or {}), **body}, 200)

    def do_DELETE(self) -> None:
        self._write(lambda body: None, 204)


@pytest.fixture
def item_server() -> Iterator[tuple[str, _Store]]:
    image = {"url": "/files/1", "name": "front"}
    store = _Store({"id": 7, "name": "item 0", "price": 1.0, "description": "soak:r:u:1", "images": [image]})
    handler = type("Handler", (_ItemHandler,), {"store": store})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", store
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


_CLIENT = """
import json, sys
from dataclasses import asdict
from bench.soak.ledger import ItemRecord
from bench.soak.traffic import LEDGER, SoakUser
from locust.env import Environment

SoakUser.host = sys.argv[1]
user = SoakUser(Environment(user_classes=[SoakUser], host=sys.argv[1]))
record = ItemRecord(7, "soak:r:u:1", "owner@example.com", "item 0", 1.0, '"7.1"', images=["front"])
LEDGER.items[7] = record
user.mine.append(7)
for step in (lambda: user.update(record, replace=True), lambda: user.update(record, replace=False),
             lambda: user.delete(record)):
    if 7 in LEDGER.items:  # not given up (and so out of the ledger) by an earlier step
        step()
print(json.dumps(asdict(LEDGER)))
"""


def test_the_soak_client_resolves_a_put_a_patch_and_a_delete_committed_while_their_answers_were_lost(
    item_server: tuple[str, _Store],
) -> None:
    url, store = item_server
    done = subprocess.run(
        [sys.executable, "-c", _CLIENT, url], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ledger = json.loads(done.stdout.strip().splitlines()[-1])
    # The client saw each lost answer itself (geventhttpclient replays no PUT or DELETE unseen), retried, and found
    # each write applied: nothing given up, nothing of unknown outcome.
    assert ledger["unexpected"] == [] and ledger["abandoned"] == [] and ledger["uncertain_markers"] == []
    failures = [(f["operation"], f["status"], f["recovered"]) for f in ledger["failures"]]
    assert failures == [("update item", 0, True), ("update item", 0, True), ("delete item", 0, True)]
    assert ledger["acknowledged"] == {"item updates": 2, "item deletes": 1}
    assert ledger["resolved"] == {"item updates (412, then a read showing them)": 2, "item deletes (404)": 1}
    record = ledger["items"]["7"]
    assert record["deleted"] and record["etag"] == '"7.3"' and record["images"] == ["front"]
    # Each write reached the server twice: the attempt whose answer was lost, and the client's own retry.
    assert store.requests == ["PUT", "PUT", "PATCH", "PATCH", "DELETE", "DELETE"]
