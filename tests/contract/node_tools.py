"""The contract's node tools (Spectral, Prism) from node_modules/, and `make` targets run without reinstalling it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.databases import REPO_ROOT

NODE_STAMP = "node_modules/.installed"


def node_tool(name: str) -> Path:
    """node_modules/.bin/<name>, installed by `make install`; skips without it, except in CI, which never skips."""
    tool = REPO_ROOT / "node_modules" / ".bin" / name
    if shutil.which("node") is not None and tool.exists():
        return tool
    message = f"node and node_modules/.bin/{name} are needed (make install)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def make_command(target: str, **variables: str) -> list[str]:
    """`make <target> VAR=value...`, treating node_modules/ as installed: installing is `make install`'s job, and a
    test must not run `npm ci` under the other tests' feet when package-lock.json is newer than the stamp."""
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is needed")
    return [make, "--no-print-directory", "-o", NODE_STAMP, target, *(f"{k}={v}" for k, v in variables.items())]


def run_make(target: str, *, timeout: float = 120, **variables: str) -> subprocess.CompletedProcess[str]:
    """Run a make target in the repository to completion; its exit status is the caller's to check."""
    return subprocess.run(
        make_command(target, **variables), cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
