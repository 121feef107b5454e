"""The soak's traffic: one Locust virtual user (FastHttpUser) with mixed traffic, retries and a client-side ledger.

Each virtual user signs up, logs in, and then creates items (with an Idempotency-Key), changes them (PATCH or PUT
with If-Match), uploads images, reads them back (a read must show the last acknowledged version: read-your-writes
across instances), deletes some, refreshes its tokens, logs in again and now and then signs up a new account. A
failed or ambiguous attempt (a 5xx or no answer: it may or may not have been applied) is retried the way a careful
client would: the same Idempotency-Key, the same If-Match, or a read that tells whether it was applied
(`bench.soak.outcomes`). Once `SoakUser.stopping` is set, every user finishes the operation it is in and stops.
"""

from __future__ import annotations

import json
import random
import secrets
import uuid
from typing import ClassVar
from urllib.parse import urlencode

import gevent  # type: ignore[import-untyped]  # gevent ships no type information
import geventhttpclient.client
from locust import FastHttpUser, between, task
from locust.env import Environment
from locust.exception import StopUser

from bench.soak.ledger import ItemRecord, Ledger
from bench.soak.outcomes import (
    Answer,
    Attempts,
    GiveUp,
    confirm_delete,
    expect,
    image_etag,
    updated_etag,
)

MAX_IMAGES = 10
_PNG = b"\x89PNG\r\n\x1a\n"
_LOST = "lost"
_READS = frozenset(("GET", "HEAD", "OPTIONS"))

# What this process's users were told: `bench.soak.load` names the run and writes it out.
LEDGER = Ledger(run="")


def _replays_only_reads(method: str) -> bool:
    """Whether geventhttpclient may send a request again by itself when its connection closed before the answer:
    for reads only."""
    return method.upper() in _READS


def _no_unseen_write_replays() -> None:
    """Out of the box geventhttpclient (FastHttpUser's client) also sends a PUT or a DELETE again, unseen, when its
    connection closes unanswered (RFC 9110 lets a client retry idempotent methods) — as it does when the instance
    serving it is killed. The replay's 412 or 404 then reached the user as the answer to its first attempt, so it
    could not know that attempt may have landed, and gave the write up. Writes are retried by the user alone."""
    if not callable(getattr(geventhttpclient.client, "_may_retry_after_send_error", None)):
        raise RuntimeError("geventhttpclient no longer has _may_retry_after_send_error: re-check its replays")
    geventhttpclient.client._may_retry_after_send_error = _replays_only_reads


class SoakUser(FastHttpUser):
    """One client: its own accounts and items (it is their only writer), its own ledger entries."""

    wait_time = between(0.05, 0.3)
    network_timeout = 30.0
    connection_timeout = 10.0
    # Set when the run's time is up: each user stops once the operation it is in has an outcome.
    stopping: ClassVar[bool] = False

    def __init__(self, environment: Environment) -> None:
        _no_unseen_write_replays()
        super().__init__(environment)
        self.tag = secrets.token_hex(4)
        self.sequence = 0
        self.email = ""
        self.password = ""
        self.access = ""
        self.refresh_token = ""
        self.mine: list[int] = []
        self.deleted: list[int] = []
        self.attempts = Attempts(LEDGER, gevent.sleep)

    def on_start(self) -> None:
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
        """One attempt; raises Retry for a 5xx or a failed connection (after recording it)."""
        # geventhttpclient sends bytes as they are; locust's hint names only str and dict.
        request = self.client.request(method, path, name=op, data=body, headers=headers, catch_response=True)  # type: ignore[arg-type]
        with request as response:
            status = int(response.status_code or 0)
            answer = Answer(
                status,
                {key.lower(): value for key, value in (response.headers or {}).items()},
                (response.content or b"") if status else str(getattr(response, "error", "")).encode(),
            )
            if answer.failed:
                response.failure(answer.describe())
            else:
                response.success()
        return self.attempts.check(op, answer)

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
        if self.stopping:
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
                return False  # the lost attempt created it (if the password works): its id comes with the login
            raise GiveUp(answer.describe())

        created = self.attempts.retrying("sign up", attempt)
        if created is None:
            return False
        self.email, self.password = email, password
        if not created:
            if not self._login():
                return False
            LEDGER.resolve("sign-ups (409, then the password accepted)")
            me = self.attempts.retrying(
                "read account",
                lambda _: expect(self._send("read account", "GET", "/users/me", headers=self._auth()), 200),
            )
            if me is None:
                return False
            LEDGER.accounts[email] = int(me.json()["id"])
        LEDGER.acknowledge("sign-ups")
        self.mine, self.deleted = [], []
        return True

    def _login(self) -> bool:
        fields = {"grant_type": "password", "username": self.email, "password": self.password}
        answer = self.attempts.retrying("login", lambda _: expect(self._form("login", fields), 200))
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
            raise GiveUp(answer.describe())

        outcome = self.attempts.retrying("refresh", attempt)
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
            return expect(
                self._json("create item", "POST", "/items", document, self._auth(**{"Idempotency-Key": key})), 201
            )

        answer = self.attempts.retrying("create item", attempt)
        if answer is None:
            LEDGER.uncertain_markers.append(marker)
            return
        item = answer.json()
        etag = answer.headers.get("etag")
        if etag is None:  # a replay of the first answer carries no ETag: read the current one
            current = self.attempts.retrying("read item", lambda _: expect(self._get_item(item["id"]), 200))
            if current is None:
                LEDGER.uncertain_markers.append(marker)
                return
            etag = current.headers["etag"]
            LEDGER.resolve("item creates (Idempotency-Key replayed)")
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
        if record is not None:
            self.update(record, replace=random.random() < 0.3)

    def update(self, record: ItemRecord, *, replace: bool) -> None:
        """PUT (`replace`: every field, the images kept) or PATCH a new name and price, with If-Match."""
        name, price = f"item {self._next()}", round(random.uniform(1, 500), 2)
        if replace:
            document: dict[str, object] = {"name": name, "price": price, "description": record.marker}
            images = self._images(record)
            if images is None:
                return
            document["images"] = images
        else:
            document = {"name": name, "price": price}

        def attempt(ambiguous: bool) -> str:
            method = "PUT" if replace else "PATCH"
            answer = self._json(
                "update item", method, f"/items/{record.id}", document, self._auth(**{"If-Match": record.etag})
            )
            return updated_etag(LEDGER, answer, ambiguous, lambda: self._get_item(record.id), record.etag, document)

        etag = self.attempts.retrying("update item", attempt)
        if etag is None:
            self._lose(record)
            return
        record.name, record.price, record.etag = name, price, etag
        LEDGER.acknowledge("item updates")

    def _images(self, record: ItemRecord) -> list[dict[str, str]] | None:
        answer = self.attempts.retrying("read item", lambda _: expect(self._get_item(record.id), 200))
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
                present = image_etag(expect(self._get_item(record.id), 200), name)
                if present is not None:
                    LEDGER.resolve("image uploads (present when looked for)")
                    return present
            answer = self._send(
                "upload image", "POST", f"/items/{record.id}/images", body=body,
                headers=self._auth(**{"Content-Type": f"multipart/form-data; boundary={boundary}"}),
            )  # fmt: skip
            return expect(answer, 201).headers["etag"]

        etag = self.attempts.retrying("upload image", attempt)
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
        if record is not None:
            self.delete(record)

    def delete(self, record: ItemRecord) -> None:
        """DELETE with If-Match."""

        def attempt(ambiguous: bool) -> bool:
            answer = self._send(
                "delete item", "DELETE", f"/items/{record.id}", headers=self._auth(**{"If-Match": record.etag})
            )
            confirm_delete(LEDGER, answer, ambiguous)
            return True

        if self.attempts.retrying("delete item", attempt) is None:
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
            self.attempts.retrying(
                "list items",
                lambda _: expect(
                    self._send("list items", "GET", f"/items?limit=20&skip={random.randint(0, 200)}"), 200
                ),
            )
            LEDGER.reads += 1
            return
        item_id = random.choice(self.mine + self.deleted)
        answer = self.attempts.retrying("read item", lambda _: self._get_item(item_id))
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


__all__ = ["LEDGER", "SoakUser"]
