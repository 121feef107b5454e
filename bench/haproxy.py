"""Debian's HAProxy in front of the app instances of the topology (bench/topology.py), configured as a deployment
would be: round robin, health checks on /readyz, `option forwardfor`, retries and redispatch on connection failure
(and, for safe methods only, on a close without an answer), WebSocket tunnels; its stats socket says what it sees."""

from __future__ import annotations

import csv
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from bench.processes import HOST, TopologyError, free_port, require_program, stop_group, tail

# A request through HAProxy may name the instance it wants (tests only: `Topology(pinnable=True)`); every response
# says which instance answered.
PIN_HEADER = "X-Pin-Instance"
SERVED_BY_HEADER = "X-Served-By"

_HAPROXY_CONFIG = """\
# Rendered by bench/haproxy.py for one run; every address is on 127.0.0.1.
global
    maxconn 4096
    stats socket {stats_socket} mode 600 level admin
    # One line per request on HAProxy's stdout, which goes to its log file (haproxy.log in the work directory).
    log stdout format raw local0 info

defaults
    mode http
    log global
    option httplog
    # The client's address for the app (TRUSTED_PROXIES names 127.0.0.1): appended to any X-Forwarded-For.
    option forwardfor
    # A connection refused or timed out before the request was sent is retried, on another server each time. Once
    # sent, only a GET, HEAD or OPTIONS is (RFC 9110 9.2.2: safe methods may be retried automatically), when the
    # server closed without a byte of answer: a dead instance's idle connection reused for the next request, say. A
    # write is never replayed by the proxy (the client owns replays: Idempotency-Key).
    retries 3
    retry-on conn-failure empty-response
    option redispatch 1
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 10s
    # An upgraded WebSocket is a tunnel: idle up to uvicorn's ping interval and well beyond.
    timeout tunnel 1h
    timeout client-fin 5s
    timeout server-fin 5s

frontend public
    bind {host}:{port}
    http-request disable-l7-retry unless METH_GET || METH_OPTIONS
    # /metrics needs no credentials: Prometheus scrapes each instance directly, never through the public listener.
    http-request deny if {{ path /metrics }}
    http-response set-header {served_by} %[srv_name]
    default_backend app

backend app
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz
    http-check expect status 200
    # A refused connection marks a server down at once (the process is gone); a slow /readyz under load does not:
    # three checks in a row must fail, each allowed 3 s. Two passes bring a server back.
    timeout check 3s
    default-server inter 1s downinter 500ms rise 2 fall 3 observe layer4 error-limit 1 on-error mark-down
{pins}{servers}
"""


class HAProxy:
    """Debian's haproxy in the foreground with a rendered config; its stats socket says what it sees."""

    def __init__(self, workdir: Path, backends: Mapping[str, int], *, pinnable: bool) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.config = workdir / "haproxy.cfg"
        self.stats_socket = workdir / "haproxy.sock"
        self._log = workdir / "haproxy.log"
        self._process: subprocess.Popen[bytes] | None = None
        pins = "".join(
            f"    use-server {name} if {{ req.hdr({PIN_HEADER}) -m str {name} }}\n" for name in backends if pinnable
        )
        servers = "".join(f"    server {name} {HOST}:{port} check\n" for name, port in backends.items())
        self.config.write_text(
            _HAPROXY_CONFIG.format(
                stats_socket=self.stats_socket,
                host=HOST,
                port=self.port,
                served_by=SERVED_BY_HEADER,
                pins=pins,
                servers=servers,
            )
        )

    @property
    def log(self) -> Path:
        """HAProxy's output: its warnings, and one line per request (`option httplog`)."""
        return self._log

    def start(self) -> None:
        binary = require_program("haproxy")
        check = subprocess.run([binary, "-c", "-q", "-f", str(self.config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise TopologyError(f"haproxy refused {self.config}: {check.stdout}{check.stderr}")
        with self._log.open("wb") as out:
            self._process = subprocess.Popen(
                [binary, "-db", "-f", str(self.config)], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self) -> None:
        if self._process is not None:
            stop_group(self._process, timeout=5)  # SIGTERM: a hard stop, open tunnels (WebSockets) included
            self._process = None

    def stats(self) -> dict[str, dict[str, str]]:
        """`show stat` of the backend: one row per server (and BACKEND), by name."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.stats_socket))
            sock.sendall(b"show stat\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        text = b"".join(chunks).decode().lstrip("# ")
        return {row["svname"]: row for row in csv.DictReader(text.splitlines()) if row["pxname"] == "app"}

    def wait_for(self, server: str, status: str, timeout: float = 30.0) -> None:
        """Until HAProxy reports `server` as `status` (UP, DOWN); TopologyError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        seen = "?"
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise TopologyError(f"haproxy exited with {self._process.returncode}: {tail(self._log)}")
            try:
                seen = self.stats()[server]["status"]
            except (OSError, KeyError):
                seen = "no stats yet"
            if seen.split()[0] == status:
                return
            time.sleep(0.05)
        raise TopologyError(f"HAProxy still sees server {server} as {seen!r} after {timeout} s, not {status}")


__all__ = ["PIN_HEADER", "SERVED_BY_HEADER", "HAProxy"]
