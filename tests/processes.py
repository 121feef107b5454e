"""Real server processes for tests that need more than one (workers, instances): started, awaited, always stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.contract.live_server import free_port
from tests.databases import REPO_ROOT, TEST_SECRET_KEY


@contextmanager
def uvicorn_server(
    env: Mapping[str, str], *, workers: int = 1, log: Path, startup_timeout: float = 60.0
) -> Iterator[str]:
    """`uvicorn impl.app:app` as `make serve` starts it, with `env` on top of this process's environment."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "impl.app:app", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--no-proxy-headers", "--log-level", "warning",
    ]  # fmt: skip
    environment = {
        **os.environ,
        "SECRET_KEY": TEST_SECRET_KEY,
        "WEB_CONCURRENCY": str(workers),
        "LOG_JSON": "false",
        **env,
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, process, startup_timeout, log)
        yield base_url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not become healthy in {timeout} s: {log.read_text()[-2000:]}")
