"""Real server processes for tests that need more than one (workers, instances) or that kill one: each on a port of
its own, awaited on /healthz, signalled (SIGTERM: graceful, SIGKILL: sudden death), restarted on the same port, and
always stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import httpx

from impl.settings import Settings
from tests.contract.live_server import free_port
from tests.databases import REPO_ROOT, TEST_SECRET_KEY

# For servers whose tests sign up and log in often from one address: cheap hashing, limits far away (the limits are
# other files' subject).
CHEAP_ACCOUNTS = {
    "ENVIRONMENT": "test",
    "ARGON2_TIME_COST": "1",
    "ARGON2_MEMORY_COST_KIB": str(8 * 1024),
    "SIGNUPS_PER_ADDRESS": str(10**6),
    "LOGIN_FAILURES_PER_IP": str(10**6),
}
# The service's own variables (and uvicorn's, and the metrics directory) never leak in from the shell running the
# tests: a server gets exactly what its test says.
_SETTINGS = frozenset(name.upper() for name in Settings.model_fields)
_FOREIGN_PREFIXES = ("UVICORN_", "PROMETHEUS_MULTIPROC_DIR")


def process_environment(env: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without the service's settings, then the test defaults, then `env`."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key not in _SETTINGS and not key.startswith(_FOREIGN_PREFIXES)
    }
    return {**inherited, "SECRET_KEY": TEST_SECRET_KEY, "LOG_JSON": "false", **env}


def spawn(command: Sequence[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `command` in the repository, in a process group of its own (so its children can be killed with it),
    its output appended to `log`."""
    with log.open("ab") as output:
        return subprocess.Popen(
            list(command), cwd=REPO_ROOT, env=dict(env), stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def kill_group(process: subprocess.Popen[bytes]) -> int:
    """SIGKILL the process and every child in its group (uvicorn's workers, taskiq's); its exit status."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    return process.wait(timeout=10)


class ServerProcess:
    """`uvicorn impl.app:app` as `make serve` starts it, with `env` (see `process_environment`) and uvicorn
    `options`; on `port` (default: a free one, kept across restarts)."""

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        log: Path,
        workers: int = 1,
        port: int | None = None,
        options: Sequence[str] = (),
        log_level: str = "warning",
        startup_timeout: float = 60.0,
    ) -> None:
        self.environment = process_environment({"WEB_CONCURRENCY": str(workers), **env})
        self.log = log
        self.workers = workers
        self.port = port or free_port()
        self._port_chosen = port is None
        self.options = tuple(options)
        self.log_level = log_level
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        log.write_bytes(b"")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def output(self) -> str:
        """The end of the server's output (every start's, in order)."""
        return self.log.read_text(errors="replace")[-4000:]

    def start(self) -> ServerProcess:
        """Start it and wait until /healthz answers 200; a free port taken meanwhile by someone else is replaced."""
        for _ in range(3):
            offset = self.log.stat().st_size
            command = [
                sys.executable, "-m", "uvicorn", "impl.app:app", "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", str(self.workers), "--no-proxy-headers", "--log-level", self.log_level, *self.options,
            ]  # fmt: skip
            self.process = spawn(command, self.environment, self.log)
            if self._wait_until_healthy():
                self._port_chosen = False  # it is ours now: restarts keep it
                return self
            kill_group(self.process)
            with self.log.open("rb") as log:
                log.seek(offset)
                port_taken = b"address already in use" in log.read()
            if not (port_taken and self._port_chosen):
                break
            self.port = free_port()
        raise RuntimeError(f"the server did not start: {self.output()}")

    def send_signal(self, sig: signal.Signals) -> None:
        """Signal the server's main process (uvicorn: it stops its workers itself), as an orchestrator does."""
        assert self.process is not None and self.process.poll() is None, "the server is not running"
        self.process.send_signal(sig)

    def wait(self, timeout: float) -> int:
        """Its exit status once it has exited; TimeoutError (after killing it) if it takes longer than `timeout`."""
        assert self.process is not None
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(self.process)
            raise TimeoutError(f"the server did not exit within {timeout} s: {self.output()}") from None

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM (graceful shutdown) and wait for the exit; its status."""
        self.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> int:
        """SIGKILL the server and its workers at once (sudden death: nothing runs any clean-up)."""
        assert self.process is not None
        return kill_group(self.process)

    def restart(self, env: Mapping[str, str] | None = None) -> ServerProcess:
        """Start it again on the same port (with `env` changed), once the previous process has gone."""
        assert self.process is None or self.process.poll() is not None, "stop the server before restarting it"
        self.environment.update(env or {})
        return self.start()

    def stop(self) -> None:
        """SIGTERM if it still runs, SIGKILL for anything left (a worker, or a server that does not exit)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        kill_group(self.process)

    def __enter__(self) -> ServerProcess:
        """Started (unless it runs already: `with server.restart(...)`); stopped when the block ends."""
        if self.process is None or self.process.poll() is not None:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def _wait_until_healthy(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return True
            time.sleep(0.1)
        return False


@contextmanager
def uvicorn_server(
    env: Mapping[str, str], *, workers: int = 1, log: Path, startup_timeout: float = 60.0
) -> Iterator[str]:
    """A `ServerProcess` for the block; yields its base URL."""
    with ServerProcess(env, workers=workers, log=log, startup_timeout=startup_timeout) as server:
        yield server.base_url
