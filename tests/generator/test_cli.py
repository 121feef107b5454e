"""The command line: bad specs exit 2 with one `error: <file>: <pointer>: <reason>` line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.generator.helpers import REPO

_HEAD = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n"
BAD = {
    "invalid_yaml": ("openapi: 3.1.0\npaths: [unclosed\n", "#", "invalid YAML at line"),
    "not_openapi": (
        "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n",
        "#/openapi",
        "not an OpenAPI 3.0/3.1",
    ),
    "dangling_ref": (
        _HEAD + "paths:\n  /pets:\n    get:\n      responses:\n        '200':\n"
        "          description: ok\n          content:\n            application/json:\n"
        "              schema: {$ref: '#/components/schemas/Nope'}\n",
        "#/paths/~1pets/get/responses/200/content/application~1json/schema/$ref",
        "unresolvable reference '#/components/schemas/Nope'",
    ),
    "validator_failure": (
        _HEAD + "paths:\n  /pets:\n    get:\n      responses:\n        '200': {descriptio: typo}\n",
        "#/paths/~1pets/get/responses/200",
        "invalid OpenAPI",
    ),
}


def _run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.generate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(REPO), "PATH": str(Path(sys.executable).parent)},
    )


@pytest.mark.parametrize("case", sorted(BAD))
def test_cli_bad_spec_exits_2_with_one_line_naming_file_and_pointer(case: str, tmp_path: Path) -> None:
    text, pointer, reason = BAD[case]
    spec = tmp_path / f"{case}.yaml"
    spec.write_text(text)
    done = _run("--spec", str(spec), "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: {spec}: {pointer}: "), lines[0]
    assert reason in lines[0]
    assert not (tmp_path / "out").exists()


def test_cli_lenient_reports_validator_findings_as_warnings_and_generates(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(BAD["validator_failure"][0])
    done = _run("--spec", str(spec), "--out", str(tmp_path / "out"), "--lenient")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(f"warning: {spec}: #/paths/~1pets/get/responses/200: ")
    assert (tmp_path / "out" / "routers" / "default.py").is_file()


def test_cli_lenient_points_at_a_bad_default(tmp_path: Path) -> None:
    # openapi-spec-validator checks defaults with a validator of their own: the error has no path in the document.
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        _HEAD + "paths:\n  /d:\n    get:\n      parameters:\n        - {name: q, in: query, schema: {type: string}}\n"
        "        - {name: n, in: query, schema: {type: string, default: 1}}\n"
        "      responses:\n        '200': {description: ok}\n"
    )
    done = _run("--spec", str(spec), "--out", str(tmp_path / "out"), "--lenient")
    assert done.returncode == 0, done.stderr
    expected = f"warning: {spec}: #/paths/~1d/get/parameters/1/schema/default: invalid OpenAPI: 1 is not of type "
    assert done.stderr.startswith(expected), done.stderr


def test_cli_error_outlines_a_large_offending_object_instead_of_dumping_it(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    properties = ", ".join(f"p{i}: {{type: string, description: property number {i}}}" for i in range(20))
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n"
        f"        '200':\n          content:\n            application/json:\n"
        f"              schema: {{type: object, properties: {{{properties}}}}}\n"
    )
    done = _run("--spec", str(spec), "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"error: {spec}: #/paths/~1a/get/responses/200: invalid OpenAPI: an object with keys "), line
    assert "property number" not in line and len(line) < 300, line


def test_cli_package_option_names_the_output_directory(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(_HEAD + "paths: {}\n")
    done = _run("--spec", str(spec), "--package", "clientpkg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "clientpkg" / "__init__.py").is_file()
    assert '"""Generated from spec.yaml by' in (tmp_path / "clientpkg" / "models.py").read_text()
