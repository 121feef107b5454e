"""`make fuzz` runs Schemathesis against a live server as two users, writes a JUnit report and the cross-user
check's counts, and fails when the server breaks the contract it is held to."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

from scripts.fuzz_access import missing_activity
from scripts.fuzz_live import generated_cases
from tests.contract.contract import contract as parsed_contract
from tests.databases import REPO_ROOT

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _make_fuzz(tmp_path: Path, *variables: str) -> tuple[subprocess.CompletedProcess[str], ET.Element]:
    junit = tmp_path / "junit.xml"
    result = subprocess.run(
        ["make", "--no-print-directory", "fuzz", f"FUZZ_JUNIT={junit}", *variables],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert junit.is_file(), f"no JUnit report\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result, ET.parse(junit).getroot()


def _testcases(report: ET.Element) -> dict[str, ET.Element]:
    return {case.attrib["name"]: case for case in report.iter("testcase")}


# The live target's plumbing is what these tests hold to account (the server, both users, the report, the counts),
# not what each phase finds: the coverage phase, 22 of a run's 28 s here, runs in process against the app on both
# backends in test_fuzz_contract.py.
WITHOUT_COVERAGE = "FUZZ_ARGS=--phases examples,fuzzing,stateful"


def test_make_fuzz_reports_a_testcase_for_every_operation_of_the_contract(tmp_path: Path) -> None:
    result, report = _make_fuzz(tmp_path, "FUZZ_EXAMPLES=1", WITHOUT_COVERAGE)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    assert "SUMMARY" in result.stdout and "Stateful" in result.stdout
    paths = parsed_contract()["paths"].items()
    expected = {f"{method.upper()} {path}" for path, item in paths for method in item if method in HTTP_METHODS}
    cases = _testcases(report)
    assert expected <= cases.keys(), sorted(expected - cases.keys())
    assert not [name for name, case in cases.items() if len(case)], "a testcase reported a failure or an error"
    # Both users sent requests, and the member was tried on the administrator's items, files and account, by fresh
    # probes and by replaying the administrator's own successful requests (scripts/fuzz_access.py).
    counts = json.loads((tmp_path / "access.json").read_text())
    assert missing_activity(counts) == [], counts
    assert f"cross-user check ({tmp_path / 'access.json'})" in result.stdout
    assert re.search(r"fuzz: schemathesis exited 0: test cases: \d+ generated, \d+ passed", result.stdout)


def test_make_fuzz_exits_non_zero_when_the_server_breaks_the_contract(tmp_path: Path) -> None:
    # Held to a contract whose Health.status is an integer, the real server's `{"status": "ok"}` is a violation.
    contract = copy.deepcopy(parsed_contract())
    contract["components"]["schemas"]["Health"] = {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "integer"}},
    }
    mutated = tmp_path / "openapi.yaml"
    mutated.write_text(yaml.safe_dump(contract, sort_keys=False))
    result, report = _make_fuzz(
        tmp_path,
        "FUZZ_EXAMPLES=1",
        f"FUZZ_CONTRACT={mutated}",
        # One operation: no links to follow, so no stateful phase (which would report its own error).
        "FUZZ_ARGS=--include-operation-id getHealth --phases examples,coverage,fuzzing",
    )
    assert result.returncode != 0, result.stdout[-5000:]
    failure = _testcases(report)["GET /healthz"].find("failure")
    assert failure is not None, ET.tostring(report, encoding="unicode")[-3000:]
    assert "schema" in ET.tostring(failure, encoding="unicode").lower()


def test_make_fuzz_fails_a_run_with_fewer_cases_than_asked_for(tmp_path: Path) -> None:
    result, _ = _make_fuzz(
        tmp_path,
        "FUZZ_EXAMPLES=1",
        "FUZZ_MIN_CASES=1000",
        "FUZZ_ARGS=--include-operation-id getHealth --phases examples,fuzzing",
    )
    assert result.returncode != 0, result.stdout[-3000:]
    assert "fewer than --min-cases 1000" in result.stderr, result.stderr[-3000:]
    generated = re.search(r"test cases: (\d+) generated", result.stdout)
    assert generated is not None and generated_cases(f"{generated.group(1)} generated, ...") < 1000


def test_the_summary_line_gives_the_number_of_generated_cases() -> None:
    assert generated_cases("11351 generated, 11351 passed, 28 skipped") == 11351
    assert generated_cases("none reported") == 0
