"""A private `redis-server` for fault tests: stopped, started again on the same port, or frozen, touching nobody
else's Redis. The binary comes with Redis on every machine of this project: its absence fails, never skips."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from tests.contract.live_server import free_port


class RedisProcess:
    """A redis-server without persistence on a spare port, which the test can stop, start, freeze and thaw."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it on its port, once it answers PING (10 s at most)."""
        binary = shutil.which("redis-server")
        assert binary, "redis-server is installed wherever Redis runs (the machines of this project)"
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self._process = subprocess.Popen(
            command, cwd=self._workdir, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with redis.Redis(port=self.port, socket_timeout=0.5) as client:
                    if client.ping():
                        return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """Stop it (a frozen one too): its clients' connections are closed."""
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)  # a stopped process would only act on SIGTERM once resumed
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def freeze(self) -> None:
        """SIGSTOP: connections stay open and the kernel still accepts bytes, but nothing is answered — a hung
        server, which no client notices from its socket alone."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT: it works through what arrived meanwhile."""
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)
