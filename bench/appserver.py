"""`uvicorn impl.app:app` as `make serve` starts it, in a process group of its own: probed, signalled, SIGKILLed
with its workers and started again on its port.

The core of the topology's instances (bench/topology.py) and of the tests' server processes (tests/processes.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from bench.processes import HOST, ROOT, kill_group, process_tree, stop_group, tail
from impl.settings import Settings

APP = "impl.app:app"
# The service's own variables (and uvicorn's, and the metrics directory) never leak in from the shell: a server gets
# exactly what its caller says.
_SETTINGS = frozenset(name.upper() for name in Settings.model_fields)
_FOREIGN_PREFIXES = ("UVICORN_", "PROMETHEUS_MULTIPROC_DIR")


def inherited_environment() -> dict[str, str]:
    """This process's environment without the service's settings, uvicorn's variables and the metrics directory."""
    return {
        key: value
        for key, value in os.environ.items()
        if key.upper() not in _SETTINGS and not key.upper().startswith(_FOREIGN_PREFIXES)
    }


class AppServer:
    """The app on 127.0.0.1:`port` with `workers` processes, environment `env` (complete: see
    `inherited_environment`) and more uvicorn `options`; every start's output appended to `log`."""

    def __init__(
        self, env: Mapping[str, str], *, port: int, log: Path, workers: int = 1, options: Sequence[str] = ()
    ) -> None:
        self.env = dict(env)
        self.port = port
        self.log = log
        self.workers = workers
        self.options = tuple(options)
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def launch(self) -> None:
        """Start the processes (the supervisor leads the group its workers join) without waiting for them."""
        if self.alive:
            raise RuntimeError(f"the server on port {self.port} is already running")
        command = [
            sys.executable, "-m", "uvicorn", APP, "--host", HOST, "--port", str(self.port),
            "--workers", str(self.workers), "--no-proxy-headers", *self.options,
        ]  # fmt: skip
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts + 1} ---\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.starts += 1

    def wait_for(self, path: str, timeout: float) -> bool:
        """Until GET `path` answers 200: True; False once the process has exited or `timeout` seconds have passed."""
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}{path}", timeout=1).status_code == 200:
                    return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return False

    def output(self, chars: int = 4000) -> str:
        """The end of the server's output (every start's, in order)."""
        return tail(self.log, chars)

    def send_signal(self, sig: signal.Signals) -> None:
        """Signal the server's main process (uvicorn: it stops its workers itself), as an orchestrator does."""
        assert self.process is not None and self.process.poll() is None, "the server is not running"
        self.process.send_signal(sig)

    def kill(self) -> int | None:
        """SIGKILL the server and its workers at once (sudden death: nothing runs any clean-up) and wait until none
        is left, so that the port is free for a restart; its exit status (None: it was never started)."""
        return None if self.process is None else kill_group(self.process)

    def stop(self) -> None:
        """SIGTERM (graceful shutdown) if it still runs, SIGKILL for anything left after 20 s."""
        if self.process is not None:
            stop_group(self.process, leader_only=True)

    def pids(self) -> list[int]:
        """The processes serving now (supervisor and workers); empty while down."""
        return process_tree(self.process.pid) if self.alive and self.process is not None else []


__all__ = ["APP", "AppServer", "inherited_environment"]
