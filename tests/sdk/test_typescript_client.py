"""The generated TypeScript client (clients/typescript): compiled by tsc under `strict`, then its journey run by
node's own test runner against the real server."""

from __future__ import annotations

import os
import subprocess

from tests.databases import REPO_ROOT

TYPESCRIPT_CLIENT = REPO_ROOT / "clients" / "typescript"
NODE_BIN = REPO_ROOT / "node_modules" / ".bin"


def test_typescript_journey_compiles_and_passes_against_the_server(base_url: str) -> None:
    # tsc's exit status is the type check: journey.test.ts must compile against the generated schema.ts.
    compiled = subprocess.run(
        [NODE_BIN / "tsc", "-p", TYPESCRIPT_CLIENT], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    journey = subprocess.run(
        ["node", "--test", TYPESCRIPT_CLIENT / "dist" / "journey.test.js"],
        cwd=REPO_ROOT,
        env={**os.environ, "BASE_URL": base_url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert journey.returncode == 0, journey.stdout + journey.stderr
    assert "# pass 1" in journey.stdout, journey.stdout
