"""Object-level authorisation across the two fuzzing users, checked on every response of `make fuzz`.

A plain module (scripts/fuzz_hooks.py registers it as the Schemathesis check `cross_user_authorization`). Every
request of the run goes out as the administrator or as the member (scripts/fuzz_seed.py); for each answer:

- *what the caller got* must be theirs: a 2xx needs a security requirement of the operation the caller's scopes
  meet; `/users/me` is the caller's own account; the member changes, deletes and reads (private files, accounts)
  only what the member owns; `GET /items?mine=true` lists only the caller's items; a created item is the caller's.
- *what the member must not get*: when the administrator succeeds on an object that is not the member's, the same
  request is sent again as the member, who must be refused with the status the contract gives; every item, file
  and account the run creates, and the administrator's own account, is also tried once by the member with each
  operation that changes or privately reads it (so deletions are covered although a replayed DELETE finds nothing).

The rules quote the contract (openapi/openapi.yaml); the request paths come from it too.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from impl.security.authenticator import CSRF_HEADER, SESSION_COOKIE
from scripts.fuzz_seed import FuzzUser

# One pixel, a valid PNG: what an item image probe uploads (the server decides the type from these bytes).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002"
    "00000500010d0a2db40000000049454e44ae426082"
)
# The bodies of the member's probes: valid, so that only authorisation can refuse them.
PROBE_BODIES: dict[str, dict[str, object]] = {
    "updateItem": {"name": "not yours"},
    "replaceItem": {"name": "not yours", "price": 1},
    "updateUser": {"is_active": False},
}
SUCCESS = range(200, 300)
ITEM_ANSWERS = ("createItem", "getItem", "replaceItem", "updateItem", "uploadItemImage")
ITEM_CHANGES = ("replaceItem", "updateItem", "uploadItemImage")
FILE_READS = ("getFile", "downloadFile")
ACCOUNT_READS = ("getUser", "deleteUser")
CURRENT_USER = ("readCurrentUser", "updateCurrentUser")
# The contract's and the service's own words for each rule, quoted in every failure.
ITEMS_RULE = "items: only the owner or an administrator may change, delete or add an image to an item; others get 403"
FILES_RULE = (
    "files: a file (not an item's image) only to its owner and administrators; others get the 404 of an unknown id"
)
ACCOUNTS_RULE = (
    "accounts: only the account itself or an administrator reads or deletes it; others get the 404 of a missing id"
)
SCOPES_RULE = "scopes: a 2xx only for a caller whose scopes meet one of the operation's security requirements, else 403"
ME_RULE = "/users/me: the authenticated user's own account, never another"
MINE_RULE = "GET /items?mine=true: only the caller's own items"
CREATE_RULE = "POST /items: the item is the caller's; an Idempotency-Key replays only its own caller's earlier request"

# What a run of the whole contract must show the check did (its counts): both users sent requests, and the member was
# tried on another's items, files and accounts with every operation that changes or privately reads them.
EXPECTED_ACTIVITY = (
    "requests as admin",
    "requests as member",
    "answers checked",
    "replayed as member: GET",
    *(
        f"probed as member: {operation}"
        for operation in (
            "updateItem", "replaceItem", "deleteItem", "uploadItemImage", "getFile", "downloadFile", "getUser",
            "updateUser", "deleteUser",
        )
    ),
)  # fmt: skip


def missing_activity(counts: Mapping[str, int]) -> list[str]:
    """The entries of EXPECTED_ACTIVITY that `counts` (the check's, at the end of a run) never reached."""
    return [name for name in EXPECTED_ACTIVITY if counts.get(name, 0) <= 0]


Send = Callable[[requests.PreparedRequest], requests.Response]


class AccessViolation(AssertionError):
    """An answer that gave a user what the contract keeps from them."""


@dataclass(frozen=True)
class Credentials:
    """A fuzzing user and the access token its requests carry in the session cookie."""

    user: FuzzUser
    token: str


@dataclass(frozen=True)
class Observation:
    """One request of the run and its answer, as the check sees them."""

    operation_id: str
    request: requests.PreparedRequest
    status: int
    body: object
    path_parameters: Mapping[str, object]
    security: list[dict[str, list[str]]] | None


def operation_paths(raw_schema: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """`operationId` → (METHOD, path template) of every operation of the contract."""
    return {
        operation["operationId"]: (method.upper(), path)
        for path, item in raw_schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }


def satisfies(scopes: frozenset[str], security: list[dict[str, list[str]]] | None) -> bool:
    """Whether `scopes` meet one of the operation's security requirements (`[]`, `{}` or no `security`: anyone)."""
    if not security:
        return True
    return any(all(set(required) <= scopes for required in requirement.values()) for requirement in security)


def session_token(request: requests.PreparedRequest) -> str | None:
    """The session cookie's value in the request as sent."""
    for pair in _text(request.headers.get("Cookie")).split(";"):
        name, _, value = pair.strip().partition("=")
        if name == SESSION_COOKIE:
            return value
    return None


def _text(value: str | bytes | None) -> str:
    """A header value or URL of a prepared request as text (requests types them loosely)."""
    return value.decode("latin-1") if isinstance(value, bytes) else (value or "")


def _json(response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _field(body: object, name: str) -> object:
    return body.get(name) if isinstance(body, dict) else None


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


class AccessChecker:
    """The check's state for one run: who owns which item and private file, what was probed, and counts."""

    def __init__(
        self, admin: Credentials, member: Credentials, paths: Mapping[str, tuple[str, str]], send: Send
    ) -> None:
        self.admin, self.member = admin, member
        self._by_token = {admin.token: admin, member.token: member}
        self._paths = paths
        self._send = send
        self._lock = threading.Lock()
        self._item_owners: dict[int, object] = {}
        self._private_files: dict[str, object] = {}
        self._probed: set[tuple[str, object]] = set()
        self.counts: Counter[str] = Counter()

    def caller(self, request: requests.PreparedRequest) -> Credentials | None:
        """Which fuzzing user sent `request` (None: neither, e.g. a probe without credentials)."""
        token = session_token(request)
        return self._by_token.get(token) if token is not None else None

    def owner(self, operation_id: str, path_parameters: Mapping[str, object]) -> int | None:
        """Whose object a request to an account or a private file names, when known."""
        if operation_id in ACCOUNT_READS:
            return _int(path_parameters.get("user_id"))
        if operation_id in FILE_READS:
            with self._lock:
                owner = self._private_files.get(str(path_parameters.get("file_id")))
            return owner if isinstance(owner, int) else None
        return None

    def check(self, seen: Observation) -> None:
        """Raise AccessViolation when the answer, or a probe it leads to, breaks one of the module's rules."""
        caller = self.caller(seen.request)
        if caller is None:
            return
        self.count(f"requests as {caller.user.name}")
        if seen.status in SUCCESS:
            self._check_own(seen, caller)
            if caller.user.is_admin:
                self._replay_as_member(seen)
            self._learn(seen)
            self._probe_new_objects(seen)

    def count(self, key: str) -> None:
        """Add one to the run's count `key` (the report lists every count)."""
        with self._lock:
            self.counts[key] += 1

    # What the caller got must be theirs.
    def _check_own(self, seen: Observation, caller: Credentials) -> None:
        op, body, user = seen.operation_id, seen.body, caller.user
        self.count("answers checked")
        fail = _failure(seen, caller)
        if not satisfies(user.scopes, seen.security):
            raise fail(SCOPES_RULE, f"the caller's scopes are {sorted(user.scopes)}")
        if op in CURRENT_USER and _field(body, "id") != user.user_id:
            raise fail(ME_RULE, f"it answered account {_field(body, 'id')}")
        if op == "createItem" and _field(body, "owner_id") != user.user_id:
            raise fail(CREATE_RULE, f"the item answered is {_field(body, 'id')} of {_field(body, 'owner_id')}")
        if op == "listItems" and _mine(seen.request):
            others = [item for item in _items(body) if item.get("owner_id") != user.user_id]
            if others:
                raise fail(MINE_RULE, f"it listed {others[0]}")
        if user.is_admin:
            return
        account, item = _int(seen.path_parameters.get("user_id")), _int(seen.path_parameters.get("item_id"))
        if op in ACCOUNT_READS and account != user.user_id:
            raise fail(ACCOUNTS_RULE, f"account {account} is not the caller's")
        if op in ITEM_CHANGES and _field(body, "owner_id") != user.user_id:
            raise fail(ITEMS_RULE, f"item {item} belongs to {_field(body, 'owner_id')}")
        if op == "deleteItem" and item in self._item_owners and self._item_owners[item] != user.user_id:
            raise fail(ITEMS_RULE, f"item {item} belonged to {self._item_owners[item]}")
        if op in FILE_READS and self._private_and_not(seen, user.user_id):
            raise fail(FILES_RULE, f"file {seen.path_parameters['file_id']} is private and not the caller's")

    def _private_and_not(self, seen: Observation, user_id: int) -> bool:
        """Whether the request's file was uploaded with `POST /files` (never an item's image) by someone else."""
        file_id = str(seen.path_parameters.get("file_id"))
        with self._lock:
            return file_id in self._private_files and self._private_files[file_id] != user_id

    # What the administrator got on an object that is not the member's, the member must not get.
    def _replay_as_member(self, seen: Observation) -> None:
        op, body, member = seen.operation_id, seen.body, self.member.user
        if not satisfies(member.scopes, seen.security):
            self._expect(seen, self._replay(seen.request), {403}, SCOPES_RULE)
        elif op in ITEM_CHANGES and _field(body, "owner_id") != member.user_id:
            self._expect(seen, self._replay(seen.request), {403}, ITEMS_RULE)
        elif op in FILE_READS and self._private_and_not(seen, member.user_id):
            self._expect(seen, self._replay(seen.request), {404}, FILES_RULE)
        elif op == "getUser" and _int(seen.path_parameters.get("user_id")) != member.user_id:
            self._expect(seen, self._replay(seen.request), {404}, ACCOUNTS_RULE)
        elif op in CURRENT_USER:
            answer = self._replay(seen.request)
            self._expect_own(seen, answer, ME_RULE, lambda got: _field(got, "id") == member.user_id)
        elif op == "listItems" and _mine(seen.request):
            answer = self._replay(seen.request)
            mine = lambda got: all(item.get("owner_id") == member.user_id for item in _items(got))  # noqa: E731
            self._expect_own(seen, answer, MINE_RULE, mine)
        elif op == "createItem" and "Idempotency-Key" in seen.request.headers:
            answer = self._replay(seen.request)
            theirs = _field(body, "id")
            own = lambda got: _field(got, "owner_id") == member.user_id and _field(got, "id") != theirs  # noqa: E731
            self._expect_own(seen, answer, CREATE_RULE, own, allowed={409})

    def _replay(self, request: requests.PreparedRequest) -> requests.Response:
        """`request` again, byte for byte, with the member's session cookie and CSRF header instead."""
        again = request.copy()
        pairs = [pair.strip() for pair in _text(again.headers.get("Cookie")).split(";") if pair.strip()]
        kept = [pair for pair in pairs if pair.partition("=")[0] != SESSION_COOKIE]
        again.headers["Cookie"] = "; ".join([*kept, f"{SESSION_COOKIE}={self.member.token}"])
        again.headers[CSRF_HEADER] = self.member.user.csrf
        self.count(f"replayed as member: {request.method}")
        return self._send(again)

    def _learn(self, seen: Observation) -> None:
        op, body = seen.operation_id, seen.body
        with self._lock:
            if op in ITEM_ANSWERS and isinstance(_field(body, "id"), int):
                self._item_owners[_field(body, "id")] = _field(body, "owner_id")  # type: ignore[index]  # an int
            elif op == "listItems":
                listed = ((item.get("id"), item.get("owner_id")) for item in _items(body))
                self._item_owners.update((item_id, owner) for item_id, owner in listed if isinstance(item_id, int))
            elif op == "deleteItem":
                self._item_owners.pop(_int(seen.path_parameters.get("item_id")) or 0, None)
            elif op == "uploadFile" and isinstance(_field(body, "id"), str):
                self._private_files[_field(body, "id")] = _field(body, "owner_id")  # type: ignore[index]  # a str

    # Every object the run creates, and the administrator's account, is tried once by the member.
    def _probe_new_objects(self, seen: Observation) -> None:
        op, body, member = seen.operation_id, seen.body, self.member.user
        object_id, owner = _field(body, "id"), _field(body, "owner_id")
        if op == "createItem" and owner != member.user_id and self._first(op, object_id):
            item = {"item_id": object_id}
            self._probe(seen, "updateItem", item, {403}, ITEMS_RULE, json=PROBE_BODIES["updateItem"])
            self._probe(seen, "replaceItem", item, {403}, ITEMS_RULE, json=PROBE_BODIES["replaceItem"])
            self._probe(seen, "uploadItemImage", item, {403}, ITEMS_RULE, files={"file": ("x.png", PNG, "image/png")})
            self._probe(seen, "deleteItem", item, {403}, ITEMS_RULE)
        elif op == "uploadFile" and owner != member.user_id and self._first(op, object_id):
            for read in FILE_READS:
                self._probe(seen, read, {"file_id": object_id}, {404}, FILES_RULE)
        elif op in ("createUser", "readCurrentUser", "getUser") and object_id != member.user_id:
            if self._first("account", object_id):
                account = {"user_id": object_id}
                self._probe(seen, "getUser", account, {404}, ACCOUNTS_RULE)
                self._probe(seen, "updateUser", account, {403}, SCOPES_RULE, json=PROBE_BODIES["updateUser"])
                self._probe(seen, "deleteUser", account, {404}, ACCOUNTS_RULE)

    def _first(self, kind: str, object_id: object) -> bool:
        with self._lock:
            if object_id is None or (kind, object_id) in self._probed:
                return False
            self._probed.add((kind, object_id))
            return True

    def _probe(
        self,
        seen: Observation,
        operation_id: str,
        path_parameters: Mapping[str, object],
        expected: set[int],
        rule: str,
        **content: Any,
    ) -> None:
        method, template = self._paths[operation_id]
        parts = urlsplit(_text(seen.request.url))
        request = requests.Request(
            method,
            f"{parts.scheme}://{parts.netloc}{template.format(**path_parameters)}",
            headers={CSRF_HEADER: self.member.user.csrf},
            cookies={SESSION_COOKIE: self.member.token},
            **content,
        ).prepare()
        self.count(f"probed as member: {operation_id}")
        self._expect(seen, self._send(request), expected, rule)

    def _expect(self, seen: Observation, answer: requests.Response, expected: set[int], rule: str) -> None:
        if answer.status_code not in expected:
            raise _probe_failure(seen, answer, rule, f"the contract's answer is {sorted(expected)}")

    def _expect_own(
        self,
        seen: Observation,
        answer: requests.Response,
        rule: str,
        own: Callable[[object], bool],
        *,
        allowed: Iterable[int] = (),
    ) -> None:
        """A 2xx with the member's own data, or one of the `allowed` refusals."""
        if (answer.status_code in SUCCESS and own(_json(answer))) or answer.status_code in allowed:
            return
        raise _probe_failure(seen, answer, rule, "a 2xx with the member's own data was expected")


def _mine(request: requests.PreparedRequest) -> bool:
    return parse_qs(urlsplit(_text(request.url)).query).get("mine") == ["true"]


def _items(body: object) -> Iterator[dict[str, object]]:
    return (item for item in (body if isinstance(body, list) else []) if isinstance(item, dict))


def _describe(request: requests.PreparedRequest) -> str:
    parts = urlsplit(_text(request.url))
    return f"{request.method} {parts.path}{'?' + parts.query if parts.query else ''}"


def _failure(seen: Observation, caller: Credentials) -> Callable[[str, str], AccessViolation]:
    def build(rule: str, detail: str) -> AccessViolation:
        return AccessViolation(
            f"{_describe(seen.request)} as {caller.user.name} answered {seen.status}, but {detail}.\nRule: {rule}"
        )

    return build


def _probe_failure(seen: Observation, answer: requests.Response, rule: str, detail: str) -> AccessViolation:
    body = answer.text[:300] if answer.text else ""
    return AccessViolation(
        f"{_describe(answer.request)} as member answered {answer.status_code} ({detail}).\n"
        f"After: {_describe(seen.request)} -> {seen.status}\nRule: {rule}\nBody: {body}"
    )


def report(counts: Mapping[str, int]) -> str:
    """The counts as one JSON document (what `make fuzz` prints and its test reads)."""
    return json.dumps(dict(sorted(counts.items())), indent=1)
