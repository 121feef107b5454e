"""`mypy --strict` fails when a service method is missing, misnamed or its signature differs from the contract.

Each case copies what the generator and mypy read into a temporary directory, mutates the copy's
`openapi/openapi.yaml` (PyYAML: load, change the dict, dump), regenerates `generated/` there and runs mypy with the
copy's own `pyproject.toml`. The implementation is never touched: the contract moves, impl does not, so mypy must
fail and name the method that no longer matches.

What is a type error depends on how a service is bound, and both ways are covered:

- A service without a base class (`SqlUsersService`) is checked structurally against its Protocol (`UsersService`)
  where `Services` binds it. A changed signature, a renamed operation and a NEW operation of its tag are all type
  errors: the binding no longer fits the Protocol.
- A service deriving from the generated `Unimplemented<Tag>Service` (`SqlItemsService`, `InProcessDemoService`,
  `AppSystemService`) marks each method it implements `@typing_extensions.override`, and pyproject enables mypy's
  `explicit-override` for `impl.*`. A changed signature is an incompatible override; a renamed or removed operation
  it implements leaves an `@override` method with no base method. Both are type errors.
- Not a type error, by design: a NEW operation added to the tag of a service deriving from the `Unimplemented` base.
  The service inherits the base's stub and the operation answers 501 until someone implements it; deriving from the
  base is the opt-in to exactly that (the gRPC `Unimplemented...Servicer` semantics the design chose). A test pins
  this: mypy passes and the regenerated app answers 501 for the new operation.

One clean run on the unmutated copy (the baseline, also a test) seeds the mypy cache; every mutated case starts
from a copy of it and they run concurrently, so a mutation costs a few seconds instead of a cold mypy run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.caches import run_mypy

REPO = Path(__file__).resolve().parents[2]
SPEC = Path("openapi/openapi.yaml")
# The generator's inputs and the package impl imports; pyproject's mypy `files` are added to these.
NEEDED = ("openapi", "scripts", "generated", "impl", "pyproject.toml")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
TIMEOUT = 900
# The name the baseline's mypy cache is saved under between runs (tests/caches.py).
SAVED_CACHE = "typed-binding"

Spec = dict[str, Any]
Mutation = Callable[[Spec], None]


# --- contract mutations -------------------------------------------------------------------------------------------


def operations(spec: Spec) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (path, operation) for every operation of the spec."""
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, item[method]


def operation(spec: Spec, operation_id: str) -> dict[str, Any]:
    """The operation with this operationId."""
    found = [op for _, op in operations(spec) if op.get("operationId") == operation_id]
    assert len(found) == 1, f"the contract has {len(found)} operations {operation_id!r}"
    return found[0]


def links(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every Link object below `node` (response `links` maps and `components.links`)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "links" and isinstance(value, dict):
                yield from (link for link in value.values() if isinstance(link, dict))
            else:
                yield from links(value)
    elif isinstance(node, list):
        for value in node:
            yield from links(value)


def rename_path_parameter(component: str, new: str) -> Mutation:
    """Rename the shared path parameter `components.parameters.<component>`, in every path template using it and
    in the links that pass it, so the result stays a valid spec."""

    def mutate(spec: Spec) -> None:
        parameter = spec["components"]["parameters"][component]
        old = parameter["name"]
        parameter["name"] = new
        before, after = "{" + old + "}", "{" + new + "}"
        assert any(before in path for path in spec["paths"]), f"no path uses {before}"
        spec["paths"] = {path.replace(before, after): item for path, item in spec["paths"].items()}
        targets = {op["operationId"] for path, op in operations(spec) if after in path}
        for link in links(spec):
            arguments = link.get("parameters")
            if link.get("operationId") in targets and isinstance(arguments, dict) and old in arguments:
                arguments[new] = arguments.pop(old)

    return mutate


def add_required_query_parameter(operation_id: str, name: str) -> Mutation:
    """Give the operation one more parameter, a required query string."""

    def mutate(spec: Spec) -> None:
        operation(spec, operation_id).setdefault("parameters", []).append(
            {
                "name": name,
                "in": "query",
                "required": True,
                "description": "Added by the test.",
                "schema": {"type": "string"},
            }
        )

    return mutate


def add_operation(path: str, method: str, body: dict[str, Any]) -> Mutation:
    """Declare a new operation at `path`."""

    def mutate(spec: Spec) -> None:
        item = spec["paths"].setdefault(path, {})
        assert method not in item, f"{method.upper()} {path} already exists"
        item[method] = body

    return mutate


def rename_operation(old: str, new: str) -> Mutation:
    """Change an operationId, and the links that target it."""

    def mutate(spec: Spec) -> None:
        operation(spec, old)["operationId"] = new
        for link in links(spec):
            if link.get("operationId") == old:
                link["operationId"] = new

    return mutate


def unchanged(spec: Spec) -> None:
    """The baseline: only the PyYAML round trip every mutation goes through."""


SUSPEND_USER = {
    "operationId": "suspendUser",
    "tags": ["users"],
    "summary": "Suspend a user (administrators only)",
    "parameters": [{"$ref": "#/components/parameters/UserId"}],
    "security": [{"OAuth2PasswordBearer": ["users:admin"]}, {"CookieSession": ["users:admin"]}],
    "responses": {
        "204": {"description": "The user is suspended."},
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "404": {"$ref": "#/components/responses/NotFound"},
    },
}


# A new `items` operation readable anonymously (like getItem), so the probe needs no credentials to reach it.
ITEM_HISTORY = {
    "operationId": "listItemHistory",
    "tags": ["items"],
    "summary": "Earlier versions of an item",
    "parameters": [{"$ref": "#/components/parameters/ItemId"}],
    "security": [{}, {"OAuth2PasswordBearer": ["items:read"]}, {"CookieSession": ["items:read"]}],
    "responses": {
        "200": {
            "description": "The item's earlier versions, oldest first.",
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}
            },
        },
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "404": {"$ref": "#/components/responses/NotFound"},
        "422": {"$ref": "#/components/responses/ValidationFailed"},
        "500": {"$ref": "#/components/responses/InternalError"},
    },
}

# Run in the regenerated copy: the app as impl binds it (in-memory SQLite, never queried), asked for the new
# operation anonymously. Prints one JSON line; logs go to stderr.
ITEM_HISTORY_PROBE = """
import asyncio, json
import httpx
from generated.routers import implemented_operations
from impl.app import create_app
from impl.settings import Settings

app = create_app(Settings(environment="test", database_url="sqlite+aiosqlite:///:memory:", redis_url=None))

async def main():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/items/1/history")
    implemented = sorted(op.operation_id for op in implemented_operations(app.state.services))
    print(json.dumps({
        "items_service": type(app.state.services.items).__name__,
        "implemented": implemented,
        "status": response.status_code,
        "content_type": response.headers.get("content-type"),
        "body": response.json(),
    }))

asyncio.run(main())
"""


@dataclass(frozen=True)
class Case:
    mutate: Mutation
    # What the regenerated code must now declare: proof the mutation reached the Protocol / Unimplemented base.
    generated: str
    # Python source run in the regenerated copy (cwd), before mypy; its output is the test's to read.
    probe: str | None = None


CASES: dict[str, Case] = {
    "baseline": Case(unchanged, r"def get_user\([^)]*\buser_id: int"),
    "user_id_renamed": Case(rename_path_parameter("UserId", "account_id"), r"def get_user\([^)]*\baccount_id: int"),
    "item_id_renamed": Case(rename_path_parameter("ItemId", "product_id"), r"def get_item\([^)]*\bproduct_id: int"),
    "list_users_required_query": Case(
        add_required_query_parameter("listUsers", "tenant"), r"def list_users\([^)]*\btenant: str"
    ),
    "list_items_required_query": Case(
        add_required_query_parameter("listItems", "tenant"), r"def list_items\([^)]*\btenant: str"
    ),
    "users_operation_added": Case(
        add_operation("/users/{user_id}/suspend", "post", SUSPEND_USER), r"def suspend_user\("
    ),
    "get_user_renamed": Case(rename_operation("getUser", "fetchUser"), r"def fetch_user\("),
    "get_item_renamed": Case(rename_operation("getItem", "fetchItem"), r"def fetch_item\("),
    "items_operation_added": Case(
        add_operation("/items/{item_id}/history", "get", ITEM_HISTORY),
        # In the Unimplemented base, not only the Protocol: the stub SqlItemsService inherits.
        r"(?s)class UnimplementedItemsService\b(?:(?!\nclass ).)*\n    async def list_item_history\(",
        probe=ITEM_HISTORY_PROBE,
    ),
}


# --- running the generator and mypy on a copy ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    generate: subprocess.CompletedProcess[str]
    mypy: subprocess.CompletedProcess[str] | None
    generated: str
    probe: subprocess.CompletedProcess[str] | None = None

    @property
    def output(self) -> str:
        assert self.mypy is not None
        return self.mypy.stdout + self.mypy.stderr


def copied_paths() -> list[str]:
    """NEEDED plus every path pyproject's [tool.mypy] `files` lists (mypy fails on a missing one)."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    files = config["tool"]["mypy"]["files"]
    return sorted({*NEEDED, *(Path(f).parts[0] for f in ([files] if isinstance(files, str) else files))})


def snapshot(target: Path) -> None:
    """Copy what the generator and mypy read from the working tree into `target`."""
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")
    for name in copied_paths():
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)


def clean_env() -> dict[str, str]:
    """The environment without anything that could point mypy or Python back at the working tree."""
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "MYPYPATH", "MYPY_CACHE_DIR"}}


def run(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=copy, env=clean_env(), capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


@dataclass(frozen=True)
class Generated:
    process: subprocess.CompletedProcess[str]
    text: str  # every generated .py file of the copy
    probe: subprocess.CompletedProcess[str] | None


def regenerate(source: Path, copy: Path, case: Case) -> Generated:
    """Copy `source` to `copy`, mutate its contract (PyYAML round trip), regenerate `generated/` there and run the
    case's probe on the result (this happens while the baseline's cold mypy run seeds the cache)."""
    shutil.copytree(source, copy)
    spec_path = copy / SPEC
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    case.mutate(spec)
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
    process = run(copy, "-m", "scripts.generate")
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((copy / "generated").rglob("*.py")))
    probe = run(copy, "-c", case.probe) if case.probe is not None and process.returncode == 0 else None
    return Generated(process, text, probe)


def type_check(copy: Path, generated: Generated, cache: Path, seed: Path) -> Outcome:
    """mypy with the copy's own configuration, on a cache copied from `seed`."""
    if generated.process.returncode != 0:
        return Outcome(generated.process, None, generated.text)
    shutil.copytree(seed, cache)
    mypy = run(copy, "-m", "mypy", "--cache-dir", str(cache))
    return Outcome(generated.process, mypy, generated.text, generated.probe)


def seed_baseline(source: Path, copy: Path, seed: Path) -> Outcome:
    """The unmutated copy, type-checked: its cache seeds every mutated case, and the next run's baseline.

    It starts from the cache the last run saved (tests/caches.py), else from the repo's own `.mypy_cache` (`make
    check` leaves it before `make test`): a cold run costs ~20 s of CPU. A seed mypy cannot use means one cold run.
    """
    generated = regenerate(source, copy, CASES["baseline"])
    if generated.process.returncode != 0:
        return Outcome(generated.process, None, generated.text)
    fallbacks = [REPO / ".mypy_cache"]
    mypy = run_mypy(SAVED_CACHE, seed, fallbacks=fallbacks, cwd=copy, env=clean_env(), timeout=TIMEOUT)
    return Outcome(generated.process, mypy, generated.text, generated.probe)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every case's outcome. The mutated copies regenerate while the baseline's cold mypy run seeds the cache, then
    their mypy runs start from copies of that cache; everything is a subprocess, so threads run them in parallel."""
    root = tmp_path_factory.mktemp("typed-binding")
    source = root / "snapshot"
    snapshot(source)
    seed = root / "seed-cache"
    mutations = [name for name in CASES if name != "baseline"]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        seeded = pool.submit(seed_baseline, source, root / "baseline", seed)
        regenerated = {name: pool.submit(regenerate, source, root / name, CASES[name]) for name in mutations}
        generated = {name: future.result() for name, future in regenerated.items()}
        results = {"baseline": seeded.result()}
        checked = {
            name: pool.submit(type_check, root / name, generated[name], root / name / ".mypy-cache", seed)
            for name in mutations
        }
        results.update({name: future.result() for name, future in checked.items()})
    return results


def mypy_errors(outcome: Outcome) -> list[str]:
    return [line for line in outcome.output.splitlines() if ": error: " in line]


def reached_generated_code(outcomes: dict[str, Outcome], name: str) -> Outcome:
    """The case's outcome, once its contract regenerated and the mutation shows in the generated code."""
    outcome = outcomes[name]
    assert outcome.generate.returncode == 0, f"{name}: the generator failed:\n{outcome.generate.stderr}"
    assert re.search(CASES[name].generated, outcome.generated), f"{name}: generated code lacks {CASES[name].generated}"
    return outcome


def assert_baseline_passes(outcomes: dict[str, Outcome]) -> None:
    """A mutated case means nothing unless the unmutated copy type-checks."""
    clean = outcomes["baseline"]
    assert clean.mypy is not None and clean.mypy.returncode == 0, (
        f"the unmutated copy must type-check first:\n{clean.output if clean.mypy else clean.generate.stderr}"
    )


def assert_fails_naming(outcomes: dict[str, Outcome], name: str, *methods: str) -> None:
    """mypy failed on the mutated copy, with errors in impl/ only, and its output names every one of `methods`."""
    assert_baseline_passes(outcomes)
    outcome = reached_generated_code(outcomes, name)
    assert outcome.mypy is not None
    errors = mypy_errors(outcome)
    assert outcome.mypy.returncode == 1 and errors, f"{name}: mypy did not report type errors:\n{outcome.output}"
    # The contract moved and impl did not: the generated code itself must still type-check, and impl must not.
    # Other hand-written code (bench/ imports operation constants by name) may break too; generated/ never.
    folders = {Path(line.split(":", 1)[0]).parts[0] for line in errors}
    assert "impl" in folders and "generated" not in folders, outcome.output
    reported = [line for line in outcome.output.splitlines() if ": error: " in line or ": note: " in line]
    for method in methods:
        assert any(re.search(rf"\b{method}\b", line) for line in reported), (
            f"{name}: mypy's output does not name {method}:\n{outcome.output}"
        )


# --- the tests ------------------------------------------------------------------------------------------------------


def test_unmutated_contract_passes_type_check(outcomes: dict[str, Outcome]) -> None:
    outcome = reached_generated_code(outcomes, "baseline")
    assert outcome.mypy is not None
    assert outcome.mypy.returncode == 0, f"the unmutated copy does not type-check:\n{outcome.output}"
    assert "Success: no issues found" in outcome.output


def test_renamed_parameter_fails_type_check_naming_get_user(outcomes: dict[str, Outcome]) -> None:
    """SqlUsersService has no base class: the binding `users=SqlUsersService(...)` no longer fits UsersService."""
    assert_fails_naming(outcomes, "user_id_renamed", "get_user", "delete_user")


def test_renamed_parameter_fails_type_check_naming_get_item(outcomes: dict[str, Outcome]) -> None:
    """SqlItemsService derives from UnimplementedItemsService: each override is now incompatible."""
    assert_fails_naming(outcomes, "item_id_renamed", "get_item", "replace_item", "update_item", "delete_item")


def test_added_required_parameter_fails_type_check_naming_list_users(outcomes: dict[str, Outcome]) -> None:
    assert_fails_naming(outcomes, "list_users_required_query", "list_users")


def test_added_required_parameter_fails_type_check_naming_list_items(outcomes: dict[str, Outcome]) -> None:
    assert_fails_naming(outcomes, "list_items_required_query", "list_items")


def test_added_operation_fails_type_check_naming_suspend_user(outcomes: dict[str, Outcome]) -> None:
    """A new `users` operation is a missing Protocol member of SqlUsersService, not a silent 501."""
    assert_fails_naming(outcomes, "users_operation_added", "suspend_user")


def test_renamed_operation_fails_type_check_naming_fetch_user(outcomes: dict[str, Outcome]) -> None:
    """getUser -> fetchUser: SqlUsersService.get_user is now misnamed and fetch_user is missing."""
    assert_fails_naming(outcomes, "get_user_renamed", "fetch_user")
    assert not re.search(r"def get_user\(", outcomes["get_user_renamed"].generated)


def test_renamed_operation_of_a_partial_service_fails_type_check_naming_get_item(outcomes: dict[str, Outcome]) -> None:
    """getItem -> fetchItem: SqlItemsService still fits ItemsService (it inherits a 501 `fetch_item`), but its
    `@override get_item` no longer overrides anything, which `explicit-override` reports."""
    assert_fails_naming(outcomes, "get_item_renamed", "get_item")
    outcome = outcomes["get_item_renamed"]
    assert not re.search(r"def get_item\(", outcome.generated)
    assert any(
        line.startswith("impl/items.py:")
        and 'Method "get_item" is marked as an override, but no base method was found with this name' in line
        for line in mypy_errors(outcome)
    ), outcome.output


def test_new_operation_on_a_partial_service_type_checks_and_answers_501_by_design(outcomes: dict[str, Outcome]) -> None:
    """A new `items` operation is not a type error: SqlItemsService derives from UnimplementedItemsService, so it
    inherits the new method and the operation answers 501 until implemented (the documented gRPC-style semantics)."""
    assert_baseline_passes(outcomes)
    outcome = reached_generated_code(outcomes, "items_operation_added")
    assert outcome.mypy is not None
    assert outcome.mypy.returncode == 0 and not mypy_errors(outcome), outcome.output
    assert "Success: no issues found" in outcome.output
    probe = outcome.probe
    assert probe is not None and probe.returncode == 0, probe and probe.stdout + probe.stderr
    answer = json.loads(probe.stdout.strip().splitlines()[-1])
    assert answer["items_service"] == "SqlItemsService", answer
    # The bound service implements getItem but not the new operation: it is the inherited 501 stub.
    assert "getItem" in answer["implemented"] and "listItemHistory" not in answer["implemented"], answer
    assert answer["status"] == 501, answer
    assert answer["content_type"] == "application/problem+json", answer
    assert answer["body"]["status"] == 501 and "listItemHistory" in answer["body"]["detail"], answer
