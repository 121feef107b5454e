"""The soak's traffic: Locust virtual users (FastHttpUser) with mixed traffic, retries and a client-side ledger.

Run by `bench.soak` as a process of its own (Locust patches the process for gevent):
`python -m bench.soak.load --host URL --users N --seconds S --out DIR --run ID`.

Each virtual user signs up, logs in, and then creates items (with an Idempotency-Key), changes them (PATCH or PUT
with If-Match), uploads images, reads them back (a read must show the last acknowledged version: read-your-writes
across instances), deletes some, refreshes its tokens, logs in again and now and then signs up a new account. A
failed or ambiguous attempt (a 5xx or no answer: it may or may not have been applied) is retried the way a careful
client would: the same Idempotency-Key, the same If-Match, or a read that tells whether it was applied. When the
run ends, every user finishes the operation it is in, and the ledger is written.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import gevent  # type: ignore[import-untyped]  # gevent ships no type information
from locust import FastHttpUser, between, task
from locust.env import Environment
from locust.exception import StopUser

from bench.soak.ledger import Failure, ItemRecord, Ledger

T = TypeVar("T")
# How long one operation may keep retrying: longer than an instance takes to be marked down and its traffic to
# move (about a second here), far shorter than the run.
RETRY_BUDGET_SECONDS = 30.0
MAX_IMAGES = 10
_PNG = b"\x89PNG\r\n\x1a\n"
_LOST = "lost"

LEDGER = Ledger(run="")
_STOPPING = False


@dataclass(frozen=True)
class Answer:
    """One HTTP answer (status 0: none came)."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def describe(self) -> str:
        return f"{self.status} {self.body[:300].decode(errors='replace')}"


class _Retry(Exception):
    """The attempt failed in a way that may or may not have changed anything: retry (and find out)."""

    def __init__(self, answer: Answer, wait: float | None = None) -> None:
        super().__init__(answer.describe())
        self.answer = answer
        self.wait = wait


class _GiveUp(Exception):
    """An answer the contract does not allow at this point: recorded, the operation is dropped."""


class SoakUser(FastHttpUser):
    """One client: its own accounts and items (it is their only writer), its own ledger entries."""

    wait_time = between(0.05, 0.3)
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.tag = secrets.token_hex(4)
        self.sequence = 0
        self.email = ""
        self.password = ""
        self.access = ""
        self.refresh_token = ""
        self.mine: list[int] = []
        self.deleted: list[int] = []
        # This user's failed attempts (each also in the ledger): marked recovered when their operation succeeds.
        self.failures: list[Failure] = []
        if not self._sign_up() or not self._login():
            raise StopUser()

    # --- plumbing -----------------------------------------------------------------------------------------------

    def _next(self) -> int:
        self.sequence += 1
        return self.sequence

    def _auth(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}", **extra}

    def _send(
        self, op: str, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        """One attempt; raises _Retry for a 5xx or a failed connection (after recording it)."""
        # geventhttpclient sends bytes as they are; locust's hint names only str and dict.
        request = self.client.request(method, path, name=op, data=body, headers=headers, catch_response=True)  # type: ignore[arg-type]
        with request as response:
            status = int(response.status_code or 0)
            answer = Answer(
                status,
                {key.lower(): value for key, value in (response.headers or {}).items()},
                (response.content or b"") if status else str(getattr(response, "error", "")).encode(),
            )
            LEDGER.count_status(status)
            if status == 0 or status >= 500:
                response.failure(answer.describe())
                failure = Failure(time.time(), op, status, answer.describe()[:200])
                LEDGER.failures.append(failure)
                self.failures.append(failure)
                retry_after = answer.headers.get("retry-after")
                raise _Retry(answer, float(retry_after) if retry_after and retry_after.isdigit() else None)
            response.success()
            return answer

    def _retrying(self, op: str, attempt: Callable[[bool], T]) -> T | None:
        """`attempt(ambiguous)` until it returns; `ambiguous` tells it an earlier attempt may have been applied.
        None when the retries ran out or an answer was not one the contract allows here."""
        first_failure = len(self.failures)
        ambiguous = False
        delay = 0.1
        deadline = time.monotonic() + RETRY_BUDGET_SECONDS
        while True:
            try:
                result = attempt(ambiguous)
            except _Retry as retry:
                ambiguous = True
                if time.monotonic() > deadline:
                    LEDGER.abandoned.append(f"{op}: retries ran out, last answer {retry}")
                    return None
                gevent.sleep(retry.wait if retry.wait is not None else delay)
                delay = min(delay * 2, 2.0)
                continue
            except _GiveUp as unexpected:
                LEDGER.unexpected.append(f"{op}: {unexpected}")
                return None
            if len(self.failures) > first_failure:
                LEDGER.retried_operations += 1
                for failure in self.failures[first_failure:]:
                    failure.recovered = True
                del self.failures[first_failure:]
            return result

    def _form(self, op: str, fields: dict[str, str]) -> Answer:
        body = urlencode(fields).encode()
        return self._send(
            op, "POST", "/token", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )

    def _json(self, op: str, method: str, path: str, document: object, headers: dict[str, str] | None = None) -> Answer:
        body = json.dumps(document).encode()
        return self._send(op, method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})})

    def _get_item(self, item_id: int) -> Answer:
        return self._send("read item", "GET", f"/items/{item_id}")

    def _check_stopping(self) -> None:
        if _STOPPING:
            raise StopUser()

    # --- accounts and tokens ------------------------------------------------------------------------------------

    def _sign_up(self) -> bool:
        email = f"soak-{LEDGER.run}-{self.tag}-{self._next()}@example.com"
        password = secrets.token_urlsafe(12)

        def attempt(ambiguous: bool) -> bool:
            answer = self._json("sign up", "POST", "/users", {"email": email, "password": password})
            if answer.status == 201:
                LEDGER.accounts[email] = int(answer.json()["id"])
                return True
            if answer.status == 409 and ambiguous:
                return False  # the lost attempt created it: its id comes with the login below
            raise _GiveUp(answer.describe())

        created = self._retrying("sign up", attempt)
        if created is None:
            return False
        self.email, self.password = email, password
        if not created:
            if not self._login():
                return False
            me = self._retrying(
                "read account",
                lambda _: self._expect(self._send("read account", "GET", "/users/me", headers=self._auth()), 200),
            )
            if me is None:
                return False
            LEDGER.accounts[email] = int(me.json()["id"])
        LEDGER.acknowledge("sign-ups")
        self.mine, self.deleted = [], []
        return True

    @staticmethod
    def _expect(answer: Answer, status: int) -> Answer:
        if answer.status != status:
            raise _GiveUp(answer.describe())
        return answer

    def _login(self) -> bool:
        fields = {"grant_type": "password", "username": self.email, "password": self.password}
        answer = self._retrying("login", lambda _: self._expect(self._form("login", fields), 200))
        if answer is None:
            return False
        tokens = answer.json()
        self.access, self.refresh_token = tokens["access_token"], tokens["refresh_token"]
        return True

    @task(2)
    def refresh(self) -> None:
        self._check_stopping()
        fields = {"grant_type": "refresh_token", "refresh_token": self.refresh_token}

        def attempt(ambiguous: bool) -> Answer | str:
            answer = self._form("refresh", fields)
            if answer.status == 200:
                return answer
            if answer.status == 400 and ambiguous and answer.json().get("error") == "invalid_grant":
                return _LOST  # the first attempt rotated it and its answer was lost
            raise _GiveUp(answer.describe())

        outcome = self._retrying("refresh", attempt)
        if isinstance(outcome, Answer):
            tokens = outcome.json()
            self.access, self.refresh_token = tokens["access_token"], tokens["refresh_token"]
        elif outcome == _LOST:
            # Presenting a used refresh token ends the whole login (theft detection), as it must: log in again.
            LEDGER.refresh_lost += 1
            self._login()

    @task(1)
    def login_again(self) -> None:
        self._check_stopping()
        self._login()

    @task(1)
    def new_account(self) -> None:
        self._check_stopping()
        if self._sign_up():
            self._login()

    # --- items --------------------------------------------------------------------------------------------------

    @task(5)
    def create_item(self) -> None:
        self._check_stopping()
        marker = f"soak:{LEDGER.run}:{self.tag}:{self._next()}"
        document = {"name": f"item {self.sequence}", "price": round(random.uniform(1, 500), 2), "description": marker}
        key = str(uuid.uuid4())

        def attempt(ambiguous: bool) -> Answer:
            return self._expect(
                self._json("create item", "POST", "/items", document, self._auth(**{"Idempotency-Key": key})), 201
            )

        answer = self._retrying("create item", attempt)
        if answer is None:
            LEDGER.uncertain_markers.append(marker)
            return
        item = answer.json()
        etag = answer.headers.get("etag")
        if etag is None:  # a replay of the first answer carries no ETag: read the current one
            current = self._retrying("read item", lambda _: self._expect(self._get_item(item["id"]), 200))
            if current is None:
                LEDGER.uncertain_markers.append(marker)
                return
            etag = current.headers["etag"]
        LEDGER.items[item["id"]] = ItemRecord(item["id"], marker, self.email, item["name"], item["price"], etag)
        LEDGER.acknowledge("item creates")
        self.mine.append(item["id"])

    def _pick(self) -> ItemRecord | None:
        live = [item_id for item_id in self.mine if item_id in LEDGER.items]
        return LEDGER.items[random.choice(live)] if live else None

    def _lose(self, record: ItemRecord) -> None:
        """Its state is unknown now: it must still exist at most once, nothing more is claimed about it."""
        del LEDGER.items[record.id]
        LEDGER.uncertain_markers.append(record.marker)

    @task(5)
    def update_item(self) -> None:
        self._check_stopping()
        record = self._pick()
        if record is None:
            return
        name, price = f"item {self._next()}", round(random.uniform(1, 500), 2)
        replace = random.random() < 0.3
        if replace:  # PUT: every field, the images kept
            document: dict[str, object] = {"name": name, "price": price, "description": record.marker}
            images = self._images(record)
            if images is None:
                return
            document["images"] = images
        else:
            document = {"name": name, "price": price}
        version = _version(record.etag)

        def attempt(ambiguous: bool) -> str:
            method = "PUT" if replace else "PATCH"
            answer = self._json(
                "update item", method, f"/items/{record.id}", document, self._auth(**{"If-Match": record.etag})
            )
            if answer.status == 200:
                return answer.headers["etag"]
            if answer.status == 412 and ambiguous:
                # Moved on since our If-Match: only our lost attempt can have done it (we are its only writer).
                current = self._expect(self._get_item(record.id), 200)
                body = current.json()
                if _version(current.headers["etag"]) == version + 1 and (body["name"], body["price"]) == (name, price):
                    return current.headers["etag"]
            raise _GiveUp(answer.describe())

        etag = self._retrying("update item", attempt)
        if etag is None:
            self._lose(record)
            return
        record.name, record.price, record.etag = name, price, etag
        LEDGER.acknowledge("item updates")

    def _images(self, record: ItemRecord) -> list[dict[str, str]] | None:
        answer = self._retrying("read item", lambda _: self._expect(self._get_item(record.id), 200))
        if answer is None:
            return None
        images: list[dict[str, str]] = answer.json()["images"]
        return images

    @task(2)
    def upload_image(self) -> None:
        self._check_stopping()
        record = self._pick()
        if record is None or len(record.images) >= MAX_IMAGES:
            return
        name = f"image-{self._next()}"
        boundary = uuid.uuid4().hex
        content = _PNG + secrets.token_bytes(random.randint(1024, 16 * 1024))
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n{name}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}.png"\r\n'
                "Content-Type: image/png\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )

        def attempt(ambiguous: bool) -> str:
            if ambiguous:  # no Idempotency-Key on uploads: look before sending it again
                current = self._expect(self._get_item(record.id), 200)
                if name in [image["name"] for image in current.json()["images"]]:
                    return current.headers["etag"]
            answer = self._send(
                "upload image", "POST", f"/items/{record.id}/images", body=body,
                headers=self._auth(**{"Content-Type": f"multipart/form-data; boundary={boundary}"}),
            )  # fmt: skip
            return self._expect(answer, 201).headers["etag"]

        etag = self._retrying("upload image", attempt)
        if etag is None:
            self._lose(record)
            return
        record.images.append(name)
        record.etag = etag
        LEDGER.acknowledge("image uploads")

    @task(1)
    def delete_item(self) -> None:
        self._check_stopping()
        record = self._pick()
        if record is None:
            return

        def attempt(ambiguous: bool) -> bool:
            answer = self._send(
                "delete item", "DELETE", f"/items/{record.id}", headers=self._auth(**{"If-Match": record.etag})
            )
            if answer.status == 204 or (answer.status == 404 and ambiguous):
                return True
            raise _GiveUp(answer.describe())

        if self._retrying("delete item", attempt) is None:
            self._lose(record)
            return
        record.deleted = True
        self.mine.remove(record.id)
        self.deleted.append(record.id)
        LEDGER.acknowledge("item deletes")

    @task(6)
    def read(self) -> None:
        """Read one of ours back: whichever instance answers, it shows the last acknowledged write (or the 404)."""
        self._check_stopping()
        if random.random() < 0.3 or not (self.mine or self.deleted):
            self._retrying(
                "list items",
                lambda _: self._expect(
                    self._send("list items", "GET", f"/items?limit=20&skip={random.randint(0, 200)}"), 200
                ),
            )
            LEDGER.reads += 1
            return
        item_id = random.choice(self.mine + self.deleted)
        answer = self._retrying("read item", lambda _: self._get_item(item_id))
        if answer is None or item_id not in LEDGER.items:
            return
        LEDGER.reads += 1
        record = LEDGER.items[item_id]
        if record.deleted:
            seen = "" if answer.status == 404 else answer.describe()
        elif answer.status == 200:
            body = answer.json()
            current = (answer.headers.get("etag"), body["name"], body["price"], [i["name"] for i in body["images"]])
            expected = (record.etag, record.name, record.price, record.images)
            seen = "" if current == expected else f"{current} instead of {expected}"
        else:
            seen = answer.describe()
        if seen:
            LEDGER.stale_reads.append(f"item {item_id}: {seen}")


def _version(etag: str) -> int:
    """The version in one of our ETags (`"<id>.<version>"`)."""
    return int(etag.strip('"').rsplit(".", 1)[1])


def run(host: str, users: int, seconds: float, out: Path, run_id: str) -> None:
    """Run the users for `seconds` once all are spawned (the time is written to `out/started`), let each finish the
    operation it is in, then write `out/ledger.json` and Locust's figures to `out/locust.json`."""
    global _STOPPING
    LEDGER.run = run_id
    env = Environment(user_classes=[SoakUser], host=host)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    assert runner.spawning_greenlet is not None
    runner.spawning_greenlet.join()
    started = time.time()
    (out / "started").write_text(str(started))
    gevent.sleep(seconds)
    _STOPPING = True
    deadline = time.monotonic() + RETRY_BUDGET_SECONDS + 30
    while runner.user_count > 0 and time.monotonic() < deadline:
        gevent.sleep(0.2)
    stragglers = runner.user_count
    runner.quit()
    LEDGER.dump(out / "ledger.json")
    total = env.stats.total
    stats = {
        "started": started,
        "stopped": time.time(),
        "stragglers": stragglers,
        "requests": total.num_requests,
        "failures": total.num_failures,
        "rps": total.num_requests / max(time.time() - started, 1e-9),
        "p50_ms": total.get_response_time_percentile(0.5),
        "p99_ms": total.get_response_time_percentile(0.99),
        "operations": {
            name: {
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "p50_ms": entry.get_response_time_percentile(0.5),
                "p99_ms": entry.get_response_time_percentile(0.99),
            }
            for (name, _method), entry in sorted(env.stats.entries.items())
        },
    }
    (out / "locust.json").write_text(json.dumps(stats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True, help="directory for started, ledger.json, locust.json")
    parser.add_argument("--run", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    run(args.host, args.users, args.seconds, args.out, args.run)


if __name__ == "__main__":
    main()
