"""The test run's bytecode cache starts from the bytecode an installed tree already has (tests/caches.py)."""

from __future__ import annotations

import os
import py_compile
import subprocess
import sys
from pathlib import Path

from tests.caches import _seed_bytecode

TAG = sys.implementation.cache_tag


def _compile_beside(source: Path) -> None:
    """Compile `source` into its own __pycache__ (this process has a cache prefix, which py_compile would follow)."""
    cached = source.parent / "__pycache__" / f"{source.stem}.{TAG}.pyc"
    py_compile.compile(str(source), cfile=str(cached), doraise=True)


def _installed(root: Path) -> Path:
    """A tiny installed tree: one package compiled beside its sources, as `make install` leaves the venv."""
    package = root / "site" / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("VALUE = 'from source'\n")
    _compile_beside(package / "__init__.py")
    return root / "site"


def test_the_prefix_gets_the_installed_bytecode_and_python_imports_it_without_compiling(tmp_path: Path) -> None:
    installed, prefix = _installed(tmp_path), tmp_path / "prefix"
    _seed_bytecode(prefix, installed)
    mirrored = prefix / installed.relative_to(installed.anchor) / "pkg" / f"__init__.{TAG}.pyc"
    assert mirrored.read_bytes() == (installed / "pkg" / "__pycache__" / f"__init__.{TAG}.pyc").read_bytes()
    # Python reads the seeded file, not the source: the seeded file's text is changed (its header still matches the
    # source), and the import shows which one was read.
    mirrored.write_bytes(mirrored.read_bytes().replace(b"from source", b"from seeded"))
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(prefix), "PYTHONPATH": str(installed)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(
        [sys.executable, "-c", "import pkg; print(pkg.VALUE)"], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "from seeded"


def test_seeding_is_done_once_per_state_of_the_installed_tree(tmp_path: Path) -> None:
    installed, prefix = _installed(tmp_path), tmp_path / "prefix"
    _seed_bytecode(prefix, installed)
    mirror = prefix / installed.relative_to(installed.anchor)
    (mirror / "pkg" / f"__init__.{TAG}.pyc").unlink()
    _seed_bytecode(prefix, installed)
    assert not (mirror / "pkg" / f"__init__.{TAG}.pyc").exists(), "the unchanged tree was seeded again"
    # A package installed later changes the tree: the next run seeds again, the new package included.
    (installed / "added.py").write_text("")
    _compile_beside(installed / "added.py")
    _seed_bytecode(prefix, installed)
    assert (mirror / f"added.{TAG}.pyc").is_file()
    assert (mirror / "pkg" / f"__init__.{TAG}.pyc").is_file()


def test_only_this_interpreters_bytecode_is_seeded(tmp_path: Path) -> None:
    installed, prefix = _installed(tmp_path), tmp_path / "prefix"
    (installed / "pkg" / "__pycache__" / "__init__.cpython-27.pyc").write_bytes(b"other")
    (installed / "pkg" / "__pycache__" / f"__init__.{TAG}.opt-1.pyc").write_bytes(b"optimised")
    _seed_bytecode(prefix, installed)
    mirrored = sorted(p.name for p in (prefix / installed.relative_to(installed.anchor) / "pkg").iterdir())
    assert mirrored == [f"__init__.{TAG}.pyc"]


def test_a_tree_that_does_not_exist_seeds_nothing(tmp_path: Path) -> None:
    _seed_bytecode(tmp_path / "prefix", tmp_path / "absent")
    assert not (tmp_path / "prefix").exists()
