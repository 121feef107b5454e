"""Real server processes for tests that need more than one (workers, instances) or that kill one: each on a port of
its own, awaited on /healthz, signalled (SIGTERM: graceful, SIGKILL: sudden death), restarted on the same port, and
always stopped."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from bench.appserver import AppServer, inherited_environment
from bench.processes import free_port, kill_group
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


def process_environment(env: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without the service's settings (bench/appserver.py), then the test defaults, then
    `env`: a server gets exactly what its test says."""
    return {**inherited_environment(), "SECRET_KEY": TEST_SECRET_KEY, "LOG_JSON": "false", **env}


def spawn(command: Sequence[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `command` in the repository, in a process group of its own (so its children can be killed with it),
    its output appended to `log`."""
    with log.open("ab") as output:
        return subprocess.Popen(
            list(command), cwd=REPO_ROOT, env=dict(env), stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


class ServerProcess(AppServer):
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
        super().__init__(
            process_environment({"WEB_CONCURRENCY": str(workers), **env}),
            port=port or free_port(),
            log=log,
            workers=workers,
            options=("--log-level", log_level, *options),
        )
        self._port_chosen = port is None
        self.startup_timeout = startup_timeout
        log.write_bytes(b"")

    @property
    def base_url(self) -> str:
        return self.url

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1)

    def start(self) -> ServerProcess:
        """Start it and wait until /healthz answers 200; a free port taken meanwhile by someone else is replaced."""
        for _ in range(3):
            offset = self.log.stat().st_size
            self.launch()
            if self.wait_for("/healthz", self.startup_timeout):
                self._port_chosen = False  # it is ours now: restarts keep it
                return self
            self.kill()
            with self.log.open("rb") as log:
                log.seek(offset)
                port_taken = b"address already in use" in log.read()
            if not (port_taken and self._port_chosen):
                break
            self.port = free_port()
        raise RuntimeError(f"the server did not start: {self.output()}")

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

    def restart(self, env: Mapping[str, str] | None = None) -> ServerProcess:
        """Start it again on the same port (with `env` changed), once the previous process has gone."""
        assert not self.alive, "stop the server before restarting it"
        self.env.update(env or {})
        return self.start()

    def __enter__(self) -> ServerProcess:
        """Started (unless it runs already: `with server.restart(...)`); stopped when the block ends."""
        if not self.alive:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


@contextmanager
def uvicorn_server(
    env: Mapping[str, str], *, workers: int = 1, log: Path, startup_timeout: float = 60.0
) -> Iterator[str]:
    """A `ServerProcess` for the block; yields its base URL."""
    with ServerProcess(env, workers=workers, log=log, startup_timeout=startup_timeout) as server:
        yield server.base_url
