"""A private `redis-server` (no persistence) on a free port of 127.0.0.1: the scale-out topology's Redis, and the one
fault tests stop, start again on the same port, or freeze, touching nobody else's Redis."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import redis

from bench.processes import HOST, TopologyError, free_port, require_program, stop_group, tail


class RedisServer:
    """A redis-server on a port of its own, logging to `workdir/redis.log`; it can be stopped and started again on
    the same port, frozen and thawed."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it on its port, once it answers PING (10 s at most); TopologyError otherwise."""
        binary = require_program("redis-server")
        command = [binary, "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no"]
        log = self._workdir / "redis.log"
        with log.open("ab") as out:
            self._process = subprocess.Popen(
                command, cwd=self._workdir, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 10
        client = redis.Redis(host=HOST, port=self.port, socket_timeout=0.5)
        try:
            while time.monotonic() < deadline:
                try:
                    if client.ping():
                        return
                except redis.RedisError:
                    time.sleep(0.05)
        finally:
            client.close()
        raise TopologyError(f"redis-server did not start: {tail(log)}")

    def stop(self) -> None:
        """Stop it (a frozen one too): its clients' connections are closed."""
        if self._process is not None:
            self.thaw()  # a stopped process would act on SIGTERM only once resumed
            stop_group(self._process, timeout=10)
            self._process = None

    def freeze(self) -> None:
        """SIGSTOP: connections stay open and the kernel still accepts bytes, but nothing is answered — a hung
        server, which no client notices from its socket alone."""
        assert self._process is not None, "redis-server is not running"
        self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT: it works through what arrived meanwhile."""
        assert self._process is not None, "redis-server is not running"
        self._process.send_signal(signal.SIGCONT)


__all__ = ["RedisServer"]
