"""`make lint-contract` passes on the contract, and each project rule of openapi/.spectral.yaml reports the defect it
is for: mutated copies of the contract, each broken in one way, are linted by Spectral with the same ruleset, less
Spectral's two example validators. No mutation is for them, they run on the contract itself (the first test), and
they were ~0.4 s of CPU per document, most of the lint's time."""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.contract.contract import contract
from tests.contract.node_tools import node_tool, run_make
from tests.databases import REPO_ROOT

RULESET = REPO_ROOT / "openapi" / ".spectral.yaml"
UNTARGETED = ("oas3-valid-media-example", "oas3-valid-schema-example")
Spec = dict[str, Any]


def _drop_operation_id(spec: Spec) -> None:
    del spec["paths"]["/healthz"]["get"]["operationId"]


def _not_found_as_plain_json(spec: Spec) -> None:
    spec["paths"]["/items/{item_id}"]["get"]["responses"]["404"] = {
        "description": "No such item.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _oauth_error_outside_the_token_endpoints(spec: Spec) -> None:
    spec["paths"]["/users"]["post"]["responses"]["400"] = {"$ref": "#/components/responses/OAuthBadRequest"}


def _token_endpoint_error_as_problem(spec: Spec) -> None:
    # The RFC 6749 exception is exact both ways: the token endpoint's 400 is an OAuth error, not a problem.
    spec["paths"]["/token"]["post"]["responses"]["400"] = {"$ref": "#/components/responses/BadRequest"}


def _unused_schema(spec: Spec) -> None:
    spec["components"]["schemas"]["Orphan"] = {"type": "object", "examples": [{}]}


def _unused_security_scheme(spec: Spec) -> None:
    spec["components"]["securitySchemes"]["ApiKey"] = {"type": "apiKey", "in": "header", "name": "X-API-Key"}


def _created_without_link(spec: Spec) -> None:
    del spec["paths"]["/users"]["post"]["responses"]["201"]["links"]


def _created_links_only_to_a_delete(spec: Spec) -> None:
    links = spec["paths"]["/users"]["post"]["responses"]["201"]["links"]
    for name in ("GetUser", "UpdateUser"):
        del links[name]


def _public_without_security(spec: Spec) -> None:
    del spec["paths"]["/healthz"]["get"]["security"]


def _secured_without_security(spec: Spec) -> None:
    del spec["paths"]["/items"]["post"]["security"]


def _role_that_is_no_scope(spec: Spec) -> None:
    spec["paths"]["/users"]["get"]["security"][1] = {"CookieSession": ["root"]}


def _no_summary(spec: Spec) -> None:
    del spec["paths"]["/items"]["get"]["summary"]


def _no_tags(spec: Spec) -> None:
    del spec["paths"]["/items"]["get"]["tags"]


def _request_body_without_example(spec: Spec) -> None:
    del spec["components"]["schemas"]["ItemCreate"]["examples"]


def _list_without_example(spec: Spec) -> None:
    del spec["paths"]["/items"]["get"]["responses"]["200"]["content"]["application/json"]["example"]


def _problem_example_with_another_status(spec: Spec) -> None:
    spec["components"]["responses"]["Unauthorized"]["content"]["application/problem+json"]["example"]["status"] = 404


def _invalid_example(spec: Spec) -> None:
    spec["components"]["schemas"]["Item"]["examples"][0]["price"] = "cheap"


# name -> (mutation, the rule that must report it, the JSON path it must report at, or a prefix of it)
MUTATIONS: dict[str, tuple[Callable[[Spec], None], str, list[str]]] = {
    "operation-without-operation-id": (_drop_operation_id, "operation-operationId", ["paths", "/healthz", "get"]),
    "404-as-application-json": (
        _not_found_as_plain_json,
        "error-response-problem",
        ["paths", "/items/{item_id}", "get", "responses", "404"],
    ),
    "oauth-error-elsewhere": (
        _oauth_error_outside_the_token_endpoints,
        "error-response-problem",
        ["paths", "/users", "post", "responses", "400"],
    ),
    "token-error-as-problem": (
        _token_endpoint_error_as_problem,
        "error-response-problem",
        ["paths", "/token", "post", "responses", "400"],
    ),
    "unused-component": (_unused_schema, "oas3-unused-component", ["components", "schemas", "Orphan"]),
    "unused-security-scheme": (
        _unused_security_scheme,
        "security-scheme-used",
        ["components", "securitySchemes", "ApiKey"],
    ),
    "201-without-link": (
        _created_without_link,
        "created-resource-link",
        ["paths", "/users", "post", "responses", "201"],
    ),
    "201-without-read-back-link": (
        _created_links_only_to_a_delete,
        "created-resource-link",
        ["paths", "/users", "post", "responses", "201"],
    ),
    "public-operation-without-security": (
        _public_without_security,
        "operation-security-declared",
        ["paths", "/healthz", "get"],
    ),
    "secured-operation-without-security": (
        _secured_without_security,
        "operation-security-declared",
        ["paths", "/items", "post"],
    ),
    "role-that-is-no-scope": (
        _role_that_is_no_scope,
        "security-requirement-defined",
        ["paths", "/users", "get", "security", "1", "CookieSession", "0"],
    ),
    "operation-without-summary": (_no_summary, "operation-summary", ["paths", "/items", "get"]),
    "operation-without-tags": (_no_tags, "operation-tags", ["paths", "/items", "get"]),
    "request-body-without-example": (
        _request_body_without_example,
        "operation-examples",
        ["paths", "/items", "post", "requestBody", "content", "application/json"],
    ),
    "list-without-example": (
        _list_without_example,
        "operation-examples",
        ["paths", "/items", "get", "responses", "200", "content", "application/json"],
    ),
    "problem-example-with-another-status": (
        _problem_example_with_another_status,
        "problem-example-status",
        ["paths", "/users/me", "get", "responses", "401"],
    ),
    "example-breaking-its-schema": (
        _invalid_example,
        "schema-examples-valid",
        ["components", "schemas", "Item", "examples", "0", "price"],
    ),
}


def _lint(paths: list[Path], ruleset: Path) -> list[dict[str, Any]]:
    """Spectral's findings (JSON) for these documents, with `ruleset` and `make lint-contract`'s flags."""
    spectral = node_tool("spectral")
    run = subprocess.run(
        [str(spectral), "lint", "--ruleset", str(ruleset), "--fail-severity=warn", "--format", "json", "--quiet",
         *map(str, paths)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert run.stdout.strip().startswith("["), run.stdout + run.stderr
    findings: list[dict[str, Any]] = json.loads(run.stdout)
    return findings


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Mutation name -> Spectral's findings on the contract broken that way (one Spectral run for all of them)."""
    root = tmp_path_factory.mktemp("mutants")
    ruleset = root / "spectral.yaml"
    ruleset.write_text(yaml.safe_dump({"extends": [str(RULESET)], "rules": dict.fromkeys(UNTARGETED, "off")}))
    paths = []
    for name, (mutate, _, _) in MUTATIONS.items():
        spec = copy.deepcopy(contract())
        mutate(spec)
        (root / name).mkdir()
        path = root / name / "openapi.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
        paths.append(path)
    by_name: dict[str, list[dict[str, Any]]] = {name: [] for name in MUTATIONS}
    for finding in _lint(paths, ruleset):
        by_name[Path(finding["source"]).parent.name].append(finding)
    return by_name


def test_make_lint_contract_passes_on_the_contract() -> None:
    node_tool("spectral")
    run = run_make("lint-contract")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "No results" in run.stdout, run.stdout


def test_make_lint_contract_fails_on_a_broken_copy(tmp_path: Path) -> None:
    node_tool("spectral")
    spec = copy.deepcopy(contract())
    _public_without_security(spec)
    broken = tmp_path / "openapi.yaml"
    broken.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    run = run_make("lint-contract", CONTRACT=str(broken))
    assert run.returncode != 0, run.stdout
    assert "operation-security-declared" in run.stdout, run.stdout


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_each_mutation_is_reported_by_its_rule(name: str, findings: dict[str, list[dict[str, Any]]]) -> None:
    _, rule, where = MUTATIONS[name]
    reported = [(f["code"], [str(p) for p in f["path"]]) for f in findings[name]]
    assert any(code == rule and path[: len(where)] == where for code, path in reported), reported
