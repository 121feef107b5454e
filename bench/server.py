"""Start, probe and stop one uvicorn server on 127.0.0.1 with the benchmark's flags."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.processes import HOST, ROOT, children, cpu_seconds, free_port, memory_kb, stop_group

READY_TIMEOUT_S = 30.0


class BenchError(Exception):
    """A failure that makes the benchmark's results meaningless."""


def venv_bin(name: str) -> str:
    """Return the path of a console script next to the running interpreter, else in the repo's .venv."""
    for candidate in (Path(sys.executable).parent / name, ROOT / ".venv" / "bin" / name):
        if candidate.exists():
            return str(candidate)
    raise BenchError(f"{name} not found next to {sys.executable} nor in {ROOT / '.venv' / 'bin'}")


def run_alembic(env: dict[str, str]) -> None:
    """Run `alembic upgrade head` from the repo root with the given environment."""
    proc = subprocess.run(
        [venv_bin("alembic"), "upgrade", "head"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise BenchError(f"alembic upgrade head failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")


class Server:
    """A uvicorn process serving one ASGI target with the benchmark's fixed flags."""

    def __init__(
        self,
        target: str,
        env: dict[str, str],
        log_path: Path,
        *,
        workers: int = 1,
        cpus: str | None = None,
        ready_timeout_s: float = READY_TIMEOUT_S,
    ) -> None:
        """Remember what to run (workers: uvicorn --workers; cpus: a taskset CPU list); nothing starts until start()."""
        self.target = target
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.cpus = cpus
        self.ready_timeout_s = ready_timeout_s
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """Return http://127.0.0.1:PORT."""
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        """Launch uvicorn in its own process group, logging to log_path."""
        cmd = [
            venv_bin("uvicorn"), self.target, "--host", HOST, "--port", str(self.port), "--workers", str(self.workers),
            "--no-access-log", "--loop", "uvloop", "--http", "httptools", "--log-level", "warning",
            "--no-proxy-headers",
        ]  # fmt: skip
        cmd = taskset(self.cpus) + cmd
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log_tail(self, lines: int = 40) -> str:
        """Return the last lines of the server log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self, headers: dict[str, str]) -> None:
        """Poll GET /items?limit=1 until it answers 200, the process dies, or the timeout passes."""
        assert self.proc is not None
        deadline = time.monotonic() + self.ready_timeout_s
        last = "no answer"
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise BenchError(f"{self.target} exited with {self.proc.returncode}:\n{self.log_tail()}")
                try:
                    resp = client.get("/items", params={"limit": 1})
                    if resp.status_code == 200:
                        return
                    last = f"HTTP {resp.status_code}: {resp.text[:300]}"
                except httpx.TransportError as exc:
                    last = repr(exc)
                time.sleep(0.1)
        raise BenchError(f"{self.target} not ready after {self.ready_timeout_s:.0f}s ({last}):\n{self.log_tail()}")

    def serving_pid(self) -> int:
        """Return the pid that serves requests: the deepest descendant if uvicorn forked, else the process itself."""
        assert self.proc is not None
        pid = self.proc.pid
        while found := children(pid):
            pid = max(found, key=lambda p: memory_kb(p).get("VmRSS", 0))
        return pid

    def worker_pids(self) -> list[int]:
        """Return the pids of uvicorn's worker processes (the process itself when it serves alone)."""
        assert self.proc is not None
        if self.workers == 1:
            return [self.serving_pid()]
        # The supervisor's children: the workers, plus multiprocessing's resource tracker, which is not one.
        return sorted(pid for pid in children(self.proc.pid) if b"resource_tracker" not in _cmdline(pid))

    def stop(self) -> None:
        """Terminate the process group, kill it after 10 s."""
        if self.proc is not None:
            stop_group(self.proc, timeout=10)


def _cmdline(pid: int) -> bytes:
    """Return the raw command line of pid (empty if the process is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def taskset(cpus: str | None) -> list[str]:
    """Return the command prefix that pins a process to a CPU list ("0", "0-1"), or nothing."""
    if not cpus:
        return []
    found = shutil.which("taskset")
    if not found:
        raise BenchError("taskset (util-linux) is needed to pin processes to CPUs")
    return [found, "--cpu-list", cpus]


__all__ = [
    "HOST",
    "READY_TIMEOUT_S",
    "ROOT",
    "BenchError",
    "Server",
    "cpu_seconds",
    "free_port",
    "memory_kb",
    "run_alembic",
    "taskset",
    "venv_bin",
]
