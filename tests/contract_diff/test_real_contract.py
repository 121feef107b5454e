"""The checker on the project's own contract, the version-bump rule, the command line and `make contract-diff`."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.contract_diff import main, major_bumped
from scripts.load import load_spec
from tests.contract_diff.documents import diff, document
from tests.databases import REPO_ROOT

CONTRACT = REPO_ROOT / "openapi" / "openapi.yaml"


@pytest.fixture(scope="module")
def contract() -> dict[str, Any]:
    spec, _ = load_spec(CONTRACT, strict=False)
    return spec


def _mutated(contract: dict[str, Any]) -> dict[str, Any]:
    """The contract without DELETE /items/{item_id} and with a new required field `sku` in ItemCreate."""
    head = copy.deepcopy(contract)
    del head["paths"]["/items/{item_id}"]["delete"]
    item_create = head["components"]["schemas"]["ItemCreate"]
    item_create["properties"]["sku"] = {"type": "string"}
    item_create["required"] = [*item_create["required"], "sku"]
    return head


def _write(path: Path, spec: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_the_real_contract_against_itself_has_no_findings(contract: dict[str, Any]) -> None:
    assert diff(contract, copy.deepcopy(contract)) == []


def test_a_mutated_real_contract_names_the_removed_operation_and_the_new_required_field(
    contract: dict[str, Any],
) -> None:
    findings = diff(contract, _mutated(contract))
    assert "DELETE /items/{item_id}: operation removed — clients calling it now get an error" in findings
    # ItemCreate is the body of both POST /items and PUT /items/{item_id}: each operation is named.
    for operation in ("POST /items", "PUT /items/{item_id}"):
        line = f"{operation} request body (application/json) $.sku: new required field"
        assert f"{line} — requests without it are now rejected" in findings
    assert len(findings) == 3, findings
    # The mirror: a new operation and a property removed from a closed object (ItemCreate forbids extra fields).
    assert all("$.sku: property removed" in line for line in diff(_mutated(contract), contract))


@pytest.mark.parametrize(
    ("old", "new", "bumped"),
    [
        ("1.4.2", "2.0.0", True),
        ("1.4.2", "1.5.0", False),
        ("1.4.2", "1.4.3", False),
        ("0.1.0", "0.2.0", True),  # SemVer §4: anything may change in 0.x, so a minor bump announces a break
        ("0.1.0", "0.1.1", False),
        ("0.9.3", "1.0.0", True),
        ("2.0.0", "1.0.0", False),
        ("latest", "2.0.0", False),
    ],
)
def test_major_bumped(old: str, new: str, bumped: bool) -> None:
    assert major_bumped(old, new) is bumped


def test_cli_fails_on_a_breaking_change_and_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = _write(tmp_path / "base.yaml", document(version="1.2.0"))
    head = _write(tmp_path / "head.yaml", document(version="1.3.0", security=[{"OAuth2": ["read"]}]))
    assert main(["--base-file", str(base), "--head-file", str(head)]) == 1
    out = capsys.readouterr().out
    assert "BREAKING POST /things/{thing_id} security: authentication now required" in out
    assert "1 breaking change(s)." in out
    assert "1.2.0 -> 1.3.0 is not a major bump: failing" in out


def test_cli_reports_but_passes_when_the_major_version_was_bumped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _write(tmp_path / "base.yaml", document(version="0.4.1"))
    head = _write(tmp_path / "head.yaml", document(version="0.5.0", security=[{"OAuth2": ["read"]}]))
    assert main(["--base-file", str(base), "--head-file", str(head)]) == 0
    out = capsys.readouterr().out
    assert "BREAKING POST /things/{thing_id} security: authentication now required" in out
    assert "0.4.1 -> 0.5.0 is a major bump (SemVer §4: for 0.x, a minor one): not failing." in out


def test_cli_passes_without_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = _write(tmp_path / "base.yaml", document())
    assert main(["--base-file", str(base), "--head-file", str(base)]) == 0
    assert capsys.readouterr().out.endswith("No breaking changes.\n")


def test_cli_exits_2_on_an_unknown_ref(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--base", "no-such-ref-anywhere", "--head-file", str(CONTRACT)]) == 2
    assert "git show failed" in capsys.readouterr().err


def _make_contract_diff(head_file: Path) -> subprocess.CompletedProcess[str]:
    # `-o .venv/.installed`: use the venv as it is; the test must not reinstall dependencies under other tests.
    command = ["make", "-s", "-o", ".venv/.installed", "contract-diff", "BASE=HEAD", f"HEAD_FILE={head_file}"]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_make_contract_diff_against_head(tmp_path: Path) -> None:
    # The working tree's contract may be mid-edit: compare HEAD's contract (as a file) and a mutation of it instead.
    shown = subprocess.run(
        ["git", "show", "HEAD:openapi/openapi.yaml"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    same = tmp_path / "same.yaml"
    same.write_text(shown.stdout, encoding="utf-8")
    result = _make_contract_diff(same)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No breaking changes." in result.stdout

    spec, _ = load_spec(same, strict=False)
    result = _make_contract_diff(_write(tmp_path / "mutated.yaml", _mutated(spec)))
    # make answers 2 when a recipe fails; the recipe's own status (1: a breaking change) is in its message.
    assert result.returncode == 2 and "Error 1" in result.stderr, result.stdout + result.stderr
    assert "BREAKING DELETE /items/{item_id}: operation removed" in result.stdout
