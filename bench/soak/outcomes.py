"""What became of a soak client's write: its answers counted, its failed attempts retried, and proof that a write
whose answer was lost had landed.

An attempt that got a 5xx or no answer at all may or may not have been applied. The client retries it knowing that
(`ambiguous`) and counts the write as landed only on evidence: the same Idempotency-Key replayed; after a 412, a read
showing the item exactly one version past the If-Match it sent and carrying every field it sent; a delete answered
404 to a retry; an image present under the name it chose; a 409 sign-up whose account accepts its password. A 412 or
a 404 with no attempt lost is off-contract, never a landed write: so nothing below the client may send a write again
unseen (`bench.soak.traffic` turns geventhttpclient's own replays of PUT and DELETE off). No Locust or gevent here:
the tests import this module in-process.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bench.soak.ledger import Failure, Ledger

T = TypeVar("T")
# How long one operation may keep retrying: longer than an instance takes to be marked down and its traffic to
# move (about a second here), far shorter than the run.
RETRY_BUDGET_SECONDS = 30.0


@dataclass(frozen=True)
class Answer:
    """One HTTP answer (status 0: none came)."""

    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def failed(self) -> bool:
        """A 5xx or no answer: the attempt may or may not have been applied."""
        return self.status == 0 or self.status >= 500

    def json(self) -> Any:
        return json.loads(self.body)

    def describe(self) -> str:
        return f"{self.status} {self.body[:300].decode(errors='replace')}"


class Retry(Exception):
    """The attempt failed in a way that may or may not have changed anything: retry (and find out)."""

    def __init__(self, answer: Answer, wait: float | None = None) -> None:
        super().__init__(answer.describe())
        self.answer = answer
        self.wait = wait


class GiveUp(Exception):
    """An answer the contract does not allow at this point: recorded, the operation is dropped."""


def expect(answer: Answer, status: int) -> Answer:
    """`answer` if it has `status`; GiveUp otherwise."""
    if answer.status != status:
        raise GiveUp(answer.describe())
    return answer


def version(etag: str) -> int:
    """The version in one of the service's ETags (`"<id>.<version>"`)."""
    return int(etag.strip('"').rsplit(".", 1)[1])


@dataclass
class Attempts:
    """One virtual user's attempts: each answer counted in the ledger, each failure recorded there and marked
    recovered once its operation succeeds; `retrying` runs an operation until it has an outcome."""

    ledger: Ledger
    sleep: Callable[[float], object]
    budget: float = RETRY_BUDGET_SECONDS
    clock: Callable[[], float] = time.monotonic
    _unrecovered: list[Failure] = field(default_factory=list)

    def check(self, operation: str, answer: Answer) -> Answer:
        """`answer`, counted; raises Retry for a 5xx or no answer, after recording the failure."""
        self.ledger.count_status(answer.status)
        if not answer.failed:
            return answer
        failure = Failure(time.time(), operation, answer.status, answer.describe()[:200])
        self.ledger.failures.append(failure)
        self._unrecovered.append(failure)
        retry_after = answer.headers.get("retry-after")
        raise Retry(answer, float(retry_after) if retry_after and retry_after.isdigit() else None)

    def retrying(self, operation: str, attempt: Callable[[bool], T]) -> T | None:
        """`attempt(ambiguous)` until it returns; `ambiguous` tells it an earlier attempt may have been applied.
        None when the retries ran out or an answer was not one the contract allows here (both recorded)."""
        first_failure = len(self._unrecovered)
        ambiguous = False
        delay = 0.1
        deadline = self.clock() + self.budget
        while True:
            try:
                result = attempt(ambiguous)
            except Retry as retry:
                ambiguous = True
                if self.clock() > deadline:
                    self.ledger.abandoned.append(f"{operation}: retries ran out, last answer {retry}")
                    return None
                self.sleep(retry.wait if retry.wait is not None else delay)
                delay = min(delay * 2, 2.0)
                continue
            except GiveUp as unexpected:
                self.ledger.unexpected.append(f"{operation}: {unexpected}")
                return None
            if len(self._unrecovered) > first_failure:
                self.ledger.retried_operations += 1
                for failure in self._unrecovered[first_failure:]:
                    failure.recovered = True
                del self._unrecovered[first_failure:]
            return result


def updated_etag(
    ledger: Ledger, answer: Answer, ambiguous: bool, read: Callable[[], Answer], etag_sent: str, sent: Mapping[str, Any]
) -> str:
    """The item's ETag after an update sent with `If-Match: etag_sent` and fields `sent`: from a 200, or — when a
    412 answers the retry of an attempt whose answer was lost — from a `read` showing that attempt applied: exactly
    one version past `etag_sent` and every field as sent (each item has one writer, so nobody else moved it; a name
    is never sent twice). GiveUp otherwise: a 412 without a lost attempt, or one the read does not explain."""
    if answer.status == 200:
        return answer.headers["etag"]
    if answer.status == 412 and ambiguous:
        current = expect(read(), 200)
        etag = current.headers.get("etag")
        body = current.json()
        if (
            etag is not None
            and version(etag) == version(etag_sent) + 1
            and all(body.get(key) == value for key, value in sent.items())
        ):
            ledger.resolve("item updates (412, then a read showing them)")
            return etag
        raise GiveUp(f"{answer.describe()}; the item then read {current.describe()}")
    raise GiveUp(answer.describe())


def confirm_delete(ledger: Ledger, answer: Answer, ambiguous: bool) -> None:
    """Returns when the delete is known to have landed: a 204, or a 404 once an attempt's answer was lost (the item
    is gone and its owner, its only writer, deleted nothing else; the checks then find no row and no file of it).
    GiveUp otherwise: a 404 with no lost attempt is an item gone that nobody deleted."""
    if answer.status == 204:
        return
    if answer.status == 404 and ambiguous:
        ledger.resolve("item deletes (404)")
        return
    raise GiveUp(answer.describe())


def image_etag(current: Answer, name: str) -> str | None:
    """The item's ETag if `current` (a read of it) lists an image named `name`, else None."""
    if name in [image["name"] for image in current.json()["images"]]:
        return current.headers["etag"]
    return None


__all__ = [
    "RETRY_BUDGET_SECONDS",
    "Answer",
    "Attempts",
    "GiveUp",
    "Retry",
    "confirm_delete",
    "expect",
    "image_etag",
    "updated_etag",
    "version",
]
