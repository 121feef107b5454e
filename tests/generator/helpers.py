"""Helpers of the generator tests: repo paths, importing generated packages and type-checking them."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]

GOLDEN = REPO / "tests" / "generator" / "golden"
# In CI the repo is a fresh clone with `shared/` beside it.
SPECS = (REPO / ".." / "shared" / "specs").resolve()

_MYPY_INI = """\
[mypy]
strict = True
plugins = pydantic.mypy
"""


def import_package(root: Path, name: str) -> ModuleType:
    """Import the generated package `root/name` under its own (unique) name."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    return importlib.import_module(name)


def run_mypy(root: Path, *packages: str) -> subprocess.CompletedProcess[str]:
    """Run `mypy --strict` (pydantic plugin) on generated packages below `root`."""
    config = root / "mypy.ini"
    config.write_text(_MYPY_INI)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(config),
            "--cache-dir",
            str(root / ".mypy_cache"),
            *packages,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
