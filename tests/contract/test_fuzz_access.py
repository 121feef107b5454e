"""The cross-user check of `make fuzz` (scripts/fuzz_access.py): its rules one by one against canned answers, and the
whole fuzzer against a server whose owner checks were removed on purpose (`broken_app`, served by uvicorn)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi import FastAPI

from generated import Services, models
from generated.runtime import RequestContext
from generated.security import SCOPE_USERS_ADMIN
from impl.files import SqlFilesService
from impl.items import SqlItemsService
from impl.users import SqlUsersService
from scripts.fuzz_access import (
    ACCOUNTS_RULE,
    EXPECTED_ACTIVITY,
    FILES_RULE,
    ITEMS_RULE,
    ME_RULE,
    MINE_RULE,
    PNG,
    PROBE_BODIES,
    SCOPES_RULE,
    AccessChecker,
    AccessViolation,
    Credentials,
    Observation,
    missing_activity,
    operation_paths,
)
from scripts.fuzz_seed import ADMIN, MEMBER
from tests.contract.contract import contract
from tests.databases import REPO_ROOT

CONTRACT = contract()
BASE = "http://127.0.0.1:9"
ADMIN_CREDENTIALS = Credentials(ADMIN, "admin-token")
MEMBER_CREDENTIALS = Credentials(MEMBER, "member-token")
ADMIN_ITEM = {"id": 5, "owner_id": ADMIN.user_id, "name": "x"}
ADMIN_FILE = {"id": "3b241101-e2bb-4255-8caf-4136c566a962", "owner_id": ADMIN.user_id}


# --- a server that skips the owner checks, for the end-to-end proof ------------------------------------------------


def _as_administrator(ctx: RequestContext) -> RequestContext:
    """The broken owner check: the service sees every caller as an administrator (the routes' scope checks stay)."""
    if ctx.principal is not None:
        ctx.principal = dataclasses.replace(ctx.principal, scopes=ctx.principal.scopes | {SCOPE_USERS_ADMIN})
    return ctx


class _ItemsWithoutOwnerCheck(SqlItemsService):
    async def replace_item(self, ctx: RequestContext, **kwargs: Any) -> Any:
        return await super().replace_item(_as_administrator(ctx), **kwargs)

    async def update_item(self, ctx: RequestContext, **kwargs: Any) -> Any:
        return await super().update_item(_as_administrator(ctx), **kwargs)

    async def delete_item(self, ctx: RequestContext, **kwargs: Any) -> Any:
        return await super().delete_item(_as_administrator(ctx), **kwargs)


class _FilesWithoutOwnerCheck(SqlFilesService):
    async def get_file(self, ctx: RequestContext, **kwargs: Any) -> Any:
        return await super().get_file(_as_administrator(ctx), **kwargs)

    async def download_file(self, ctx: RequestContext, **kwargs: Any) -> Any:
        return await super().download_file(_as_administrator(ctx), **kwargs)


class _UsersWithoutOwnerCheck(SqlUsersService):
    async def get_user(self, ctx: RequestContext, **kwargs: Any) -> Any:
        return await super().get_user(_as_administrator(ctx), **kwargs)


def _broken_services(infra: Any) -> Services:
    """The real binding, with the item, file and account services' owner checks skipped (same objects, same state:
    only their class changes, to a subclass)."""
    from impl.app import bind_services

    bound = bind_services(infra)
    for service, broken in (
        (bound.items, _ItemsWithoutOwnerCheck),
        (bound.files, _FilesWithoutOwnerCheck),
        (bound.users, _UsersWithoutOwnerCheck),
    ):
        assert isinstance(service, broken.__bases__[0])
        service.__class__ = broken
    return bound


def __getattr__(name: str) -> FastAPI:
    # `uvicorn tests.contract.test_fuzz_access:broken_app` builds it on demand; importing the tests builds nothing.
    if name == "broken_app":
        from impl.app import create_app

        return create_app(services=_broken_services)
    raise AttributeError(name)


# --- the rules, one by one ----------------------------------------------------------------------------------------


class _FakeServer:
    """Answers the checker's probes from a table (METHOD, path) → (status, body), else as the contract refuses the
    member (the 404 of an unknown id for reads and deletions of accounts and files, else 403); records each."""

    def __init__(self, answers: dict[tuple[str, str], tuple[int, object]] | None = None) -> None:
        self.answers = answers or {}
        self.sent: list[requests.PreparedRequest] = []

    def __call__(self, request: requests.PreparedRequest) -> requests.Response:
        self.sent.append(request)
        method, path = str(request.method), str(request.url).removeprefix(BASE).split("?")[0]
        hidden = method in ("GET", "DELETE") and path.startswith(("/users/", "/files/"))
        status, body = self.answers.get((method, path), (404 if hidden else 403, {}))
        response = requests.Response()
        response.status_code, response.request = status, request
        response._content = json.dumps(body).encode()
        return response


def _checker(server: _FakeServer) -> AccessChecker:
    return AccessChecker(ADMIN_CREDENTIALS, MEMBER_CREDENTIALS, operation_paths(CONTRACT), server)


def _seen(
    operation_id: str, caller: Credentials, status: int, body: object, path: dict[str, object] | None = None, **kw: Any
) -> Observation:
    method, template = operation_paths(CONTRACT)[operation_id]
    path = path or {}
    request = requests.Request(
        method,
        BASE + template.format(**path),
        cookies={"access_token": caller.token},
        headers={"X-CSRF-Token": caller.user.csrf, **kw.pop("headers", {})},
        **kw,
    ).prepare()
    security = next(
        op.get("security")
        for item in CONTRACT["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and op.get("operationId") == operation_id
    )
    return Observation(operation_id, request, status, body, path, security)


def _violation(check: Callable[[], None]) -> str:
    with pytest.raises(AccessViolation) as raised:
        check()
    return str(raised.value)


def test_the_member_replays_what_the_administrator_changed_on_an_item_and_must_get_403() -> None:
    server = _FakeServer({("PATCH", "/items/5"): (403, {})})
    checker = _checker(server)
    checker.check(_seen("updateItem", ADMIN_CREDENTIALS, 200, ADMIN_ITEM, {"item_id": 5}, json={"price": 2}))
    [replayed] = server.sent
    assert replayed.headers["Cookie"] == "access_token=member-token"
    assert replayed.headers["X-CSRF-Token"] == MEMBER.csrf and replayed.body == b'{"price": 2}'
    server.answers[("PATCH", "/items/5")] = (200, ADMIN_ITEM)  # the owner check skipped
    seen = _seen("updateItem", ADMIN_CREDENTIALS, 200, ADMIN_ITEM, {"item_id": 5}, json={"price": 2})
    assert ITEMS_RULE in _violation(lambda: checker.check(seen))
    server.answers[("PATCH", "/items/5")] = (412, {})  # ...or decided after the If-Match check: still a failure
    assert ITEMS_RULE in _violation(lambda: checker.check(seen))


def test_every_item_the_administrator_creates_is_tried_once_by_the_member_with_each_write() -> None:
    server = _FakeServer()
    checker = _checker(server)
    created = _seen("createItem", ADMIN_CREDENTIALS, 201, ADMIN_ITEM, json={"name": "x", "price": 1})
    checker.check(created)
    checker.check(created)
    assert sorted((r.method, r.url) for r in server.sent) == [
        ("DELETE", f"{BASE}/items/5"),
        ("PATCH", f"{BASE}/items/5"),
        ("POST", f"{BASE}/items/5/images"),
        ("PUT", f"{BASE}/items/5"),
    ]
    server.answers[("DELETE", "/items/6")] = (204, None)
    message = _violation(lambda: checker.check(dataclasses.replace(created, body={**ADMIN_ITEM, "id": 6})))
    assert "DELETE /items/6 as member answered 204" in message and ITEMS_RULE in message


def test_the_members_own_item_is_not_probed_and_its_changes_are_the_members() -> None:
    server = _FakeServer()
    checker = _checker(server)
    own = {"id": 7, "owner_id": MEMBER.user_id}
    checker.check(_seen("createItem", MEMBER_CREDENTIALS, 201, own, json={"name": "x", "price": 1}))
    checker.check(_seen("updateItem", MEMBER_CREDENTIALS, 200, own, {"item_id": 7}, json={}))
    assert server.sent == []
    theirs = _seen("updateItem", MEMBER_CREDENTIALS, 200, ADMIN_ITEM, {"item_id": 5}, json={})
    assert ITEMS_RULE in _violation(lambda: checker.check(theirs))


def test_a_member_deleting_an_item_known_to_be_someone_elses_is_a_violation() -> None:
    checker = _checker(_FakeServer())
    checker.check(_seen("getItem", MEMBER_CREDENTIALS, 200, ADMIN_ITEM, {"item_id": 5}))
    deleted = _seen("deleteItem", MEMBER_CREDENTIALS, 204, None, {"item_id": 5})
    assert ITEMS_RULE in _violation(lambda: checker.check(deleted))


def test_a_private_file_is_probed_once_and_must_be_the_404_of_an_unknown_id_to_the_member() -> None:
    file_id = ADMIN_FILE["id"]
    server = _FakeServer()
    checker = _checker(server)
    checker.check(_seen("uploadFile", ADMIN_CREDENTIALS, 201, ADMIN_FILE, files={"file": ("a", b"a")}))
    assert [r.url for r in server.sent] == [f"{BASE}/files/{file_id}", f"{BASE}/files/{file_id}/content"]
    assert checker.owner("getFile", {"file_id": file_id}) == ADMIN.user_id
    server.answers[("GET", f"/files/{file_id}")] = (200, ADMIN_FILE)
    message = _violation(
        lambda: checker.check(_seen("getFile", ADMIN_CREDENTIALS, 200, ADMIN_FILE, {"file_id": file_id}))
    )
    assert FILES_RULE in message
    # The member reading it is a violation too, without any probe.
    member_read = _seen("downloadFile", MEMBER_CREDENTIALS, 200, None, {"file_id": file_id})
    assert FILES_RULE in _violation(lambda: checker.check(member_read))


def test_an_unknown_file_may_be_an_items_public_image_and_is_not_judged() -> None:
    server = _FakeServer()
    _checker(server).check(_seen("getFile", MEMBER_CREDENTIALS, 200, ADMIN_FILE, {"file_id": ADMIN_FILE["id"]}))
    assert server.sent == []


def test_accounts_the_member_does_not_own_are_tried_and_must_stay_hidden() -> None:
    other = {"id": 11, "email": "x@example.com"}
    server = _FakeServer()
    checker = _checker(server)
    checker.check(_seen("createUser", ADMIN_CREDENTIALS, 201, other, json={}))
    assert [(r.method, r.url) for r in server.sent] == [
        ("GET", f"{BASE}/users/11"),
        ("PATCH", f"{BASE}/users/11"),
        ("DELETE", f"{BASE}/users/11"),
    ]
    server.answers[("DELETE", "/users/12")] = (204, None)
    message = _violation(lambda: checker.check(_seen("createUser", MEMBER_CREDENTIALS, 201, {"id": 12}, json={})))
    assert "DELETE /users/12 as member answered 204" in message and ACCOUNTS_RULE in message
    read = _seen("getUser", MEMBER_CREDENTIALS, 200, {"id": ADMIN.user_id}, {"user_id": ADMIN.user_id})
    assert ACCOUNTS_RULE in _violation(lambda: checker.check(read))


def test_users_me_is_the_callers_own_account_also_when_replayed() -> None:
    server = _FakeServer({("GET", "/users/me"): (200, {"id": MEMBER.user_id})})
    checker = _checker(server)
    checker.check(_seen("readCurrentUser", ADMIN_CREDENTIALS, 200, {"id": ADMIN.user_id}))
    server.answers[("GET", "/users/me")] = (200, {"id": ADMIN.user_id})
    assert ME_RULE in _violation(
        lambda: checker.check(_seen("readCurrentUser", ADMIN_CREDENTIALS, 200, {"id": ADMIN.user_id}))
    )
    wrong = _seen("updateCurrentUser", MEMBER_CREDENTIALS, 200, {"id": ADMIN.user_id}, json={})
    assert ME_RULE in _violation(lambda: checker.check(wrong))


def test_operations_the_members_scopes_do_not_meet_must_refuse_it() -> None:
    server = _FakeServer({("GET", "/users"): (403, {})})
    checker = _checker(server)
    checker.check(_seen("listUsers", ADMIN_CREDENTIALS, 200, []))
    assert [r.url for r in server.sent] == [f"{BASE}/users"]
    server.answers[("GET", "/users")] = (200, [])
    assert SCOPES_RULE in _violation(lambda: checker.check(_seen("listUsers", ADMIN_CREDENTIALS, 200, [])))
    assert SCOPES_RULE in _violation(lambda: checker.check(_seen("listUsers", MEMBER_CREDENTIALS, 200, [])))
    # Public operations and those the member's scopes meet are no one's to refuse.
    checker.check(_seen("createUser", MEMBER_CREDENTIALS, 201, {"id": MEMBER.user_id}, json={}))
    checker.check(_seen("getHealth", MEMBER_CREDENTIALS, 200, {"status": "ok"}))


def test_mine_lists_only_the_callers_items() -> None:
    server = _FakeServer({("GET", "/items"): (200, [{"id": 1, "owner_id": MEMBER.user_id}])})
    checker = _checker(server)
    checker.check(_seen("listItems", ADMIN_CREDENTIALS, 200, [ADMIN_ITEM], params={"mine": "true"}))
    server.answers[("GET", "/items")] = (200, [ADMIN_ITEM])
    mine = _seen("listItems", ADMIN_CREDENTIALS, 200, [ADMIN_ITEM], params={"mine": "true"})
    assert MINE_RULE in _violation(lambda: checker.check(mine))
    # Without mine=true anyone's items are listed.
    checker.check(_seen("listItems", MEMBER_CREDENTIALS, 200, [ADMIN_ITEM]))


def test_an_idempotency_key_never_replays_another_users_item() -> None:
    keyed: dict[str, Any] = {"headers": {"Idempotency-Key": "k1"}, "json": {"name": "x", "price": 1}}
    server = _FakeServer({("POST", "/items"): (201, {"id": 9, "owner_id": MEMBER.user_id})})
    checker = _checker(server)
    checker.check(_seen("createItem", ADMIN_CREDENTIALS, 201, ADMIN_ITEM, **keyed))
    assert server.sent[0].headers["Idempotency-Key"] == "k1"
    server.answers[("POST", "/items")] = (201, ADMIN_ITEM)  # the administrator's item, replayed to the member
    keyed_again = _seen("createItem", ADMIN_CREDENTIALS, 201, ADMIN_ITEM, **keyed)
    assert "Idempotency-Key" in _violation(lambda: checker.check(keyed_again))


def test_requests_without_a_fuzzing_users_cookie_are_not_judged() -> None:
    server = _FakeServer()
    seen = _seen("listUsers", Credentials(MEMBER, "someone-else"), 200, [])
    _checker(server).check(seen)
    assert server.sent == []


def test_the_probes_bodies_are_valid_requests_so_only_authorisation_can_refuse_them() -> None:
    # The generated models are what the routes validate bodies with.
    models.ItemPatch.model_validate(PROBE_BODIES["updateItem"])
    models.ItemCreate.model_validate(PROBE_BODIES["replaceItem"])
    models.UserAdminUpdate.model_validate(PROBE_BODIES["updateUser"])
    assert PNG.startswith(b"\x89PNG\r\n\x1a\n")


def test_a_run_where_either_user_or_a_probe_never_happened_is_reported() -> None:
    everything = dict.fromkeys(EXPECTED_ACTIVITY, 1)
    assert missing_activity(everything) == []
    assert missing_activity({**everything, "requests as member": 0}) == ["requests as member"]
    assert "probed as member: deleteItem" in missing_activity({})


# --- the fuzzer against the broken server ---------------------------------------------------------------------------


NARROWED = (
    "FUZZ_EXAMPLES=3",
    "FUZZ_ARGS=--include-operation-id createItem --include-operation-id uploadFile "
    "--include-operation-id readCurrentUser --phases examples,fuzzing",
)


def _make_fuzz(tmp_path: Path, *variables: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """`make fuzz` with `variables`; its result and the failed testcases of its JUnit report (name → XML)."""
    junit = tmp_path / "junit.xml"
    result = subprocess.run(
        ["make", "--no-print-directory", "fuzz", f"FUZZ_JUNIT={junit}", *variables],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    failures = {
        case.attrib["name"]: ET.tostring(case, encoding="unicode")
        for case in ET.parse(junit).getroot().iter("testcase")
        if case.find("failure") is not None
    }
    return result, failures


def test_make_fuzz_reports_a_server_that_lets_the_member_at_the_administrators_objects(tmp_path: Path) -> None:
    # The same run against the real app passes: what fails below is the broken owner checks, nothing else.
    control, failures = _make_fuzz(tmp_path / "real", *NARROWED)
    assert control.returncode == 0 and not failures, control.stdout[-5000:] + control.stderr[-3000:]

    result, failures = _make_fuzz(tmp_path / "broken", *NARROWED, "FUZZ_APP=tests.contract.test_fuzz_access:broken_app")
    output = result.stdout[-5000:] + result.stderr[-3000:]
    assert result.returncode != 0, output
    # Each broken owner check is reported, on the operation whose object the member then reached.
    assert "cross_user_authorization" in failures.get("POST /items", ""), output
    assert ITEMS_RULE in failures["POST /items"] and "as member answered 200" in failures["POST /items"]
    assert FILES_RULE in failures.get("POST /files", ""), output
    assert ACCOUNTS_RULE in failures.get("GET /users/me", ""), output  # the administrator's own account
