"""Determinism and output-directory hygiene of the generator."""

from __future__ import annotations

from pathlib import Path

from scripts.generate import generate
from tests.generator.helpers import GOLDEN

PETSTORE = GOLDEN / "petstore" / "openapi.yaml"


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_generate_twice_gives_byte_identical_trees(tmp_path: Path) -> None:
    generate(PETSTORE, tmp_path / "a", display="openapi.yaml")
    generate(PETSTORE, tmp_path / "b", display="openapi.yaml")
    first = _tree(tmp_path / "a")
    assert first == _tree(tmp_path / "b")
    assert generate(PETSTORE, tmp_path / "a", display="openapi.yaml") == []  # nothing rewritten on a re-run
    assert _tree(tmp_path / "a") == first


def test_generate_removes_stale_generated_files_but_keeps_foreign_ones(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    generate(PETSTORE, out, display="openapi.yaml")
    stale = out / "routers" / "old_tag.py"
    stale.write_text('"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""\n')
    foreign = out / "routers" / "handwritten.py"
    foreign.write_text('"""Not generated."""\n')
    outside = tmp_path / "sibling.py"
    outside.write_text('"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""\n')
    changed = generate(PETSTORE, out, display="openapi.yaml")
    assert changed == ["routers/old_tag.py"]
    assert not stale.exists() and foreign.exists() and outside.exists()


def test_generate_removes_stale_runtime_modules_which_carry_no_header(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    generate(PETSTORE, out, display="openapi.yaml")
    stale = out / "runtime" / "renamed_away.py"
    stale.write_text('"""A runtime module scripts/runtime/ no longer has."""\n')
    foreign = out / "routers" / "handwritten.py"
    foreign.write_text('"""Not generated."""\n')
    assert generate(PETSTORE, out, display="openapi.yaml") == ["runtime/renamed_away.py"]
    assert not stale.exists() and foreign.exists()


def test_generate_header_names_the_spec_path_as_given(tmp_path: Path) -> None:
    generate(PETSTORE, tmp_path / "pkg", display="openapi/openapi.yaml")
    rendered = [p for p in (tmp_path / "pkg").rglob("*.py") if "runtime" not in p.relative_to(tmp_path / "pkg").parts]
    assert {p.relative_to(tmp_path / "pkg").as_posix() for p in rendered} >= {"__init__.py", "security.py"}
    for path in rendered:
        first = path.read_text().splitlines()[0]
        assert first == '"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""', path
        assert "__all__" in path.read_text()
    # The runtime is source copied as it is: its own docstrings, and `__all__` like every module.
    for path in (tmp_path / "pkg" / "runtime").glob("*.py"):
        assert "Generated from" not in path.read_text().splitlines()[0], path
        assert "__all__" in path.read_text(), path
