"""HAProxy, as bench/haproxy.py configures it for the topology (and a deployment), retries a safe request whose
server closed the connection without answering, and never replays a write.

The backends are stand-ins, so that "closed without answering" happens on cue: `a` answers the first request of a
connection and drops the connection at the next one (what a SIGKILLed instance's idle connection does to the request
HAProxy reuses it for); `b` answers everything. HAProxy keeps the server connection of a client's first request for
that client's next one.
"""

from __future__ import annotations

import re
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.haproxy import PIN_HEADER, SERVED_BY_HEADER, HAProxy
from bench.processes import HOST


class _Backend(socketserver.ThreadingTCPServer):
    """An HTTP/1.1 server on a free port: it answers a connection's first request with 200, then, when `drops`, closes
    the connection at the next request without answering it. `requests` lists every request line it read."""

    daemon_threads = True

    def __init__(self, *, drops: bool) -> None:
        super().__init__((HOST, 0), _Handler)
        self.drops = drops
        self.requests: list[str] = []
        self.dropped: list[str] = []
        self.port = self.server_address[1]


class _Handler(socketserver.StreamRequestHandler):
    server: _Backend

    def handle(self) -> None:
        answered = 0
        while request_line := self._read_request():
            self.server.requests.append(request_line)
            if answered and self.server.drops:
                self.server.dropped.append(request_line)
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")
            answered += 1

    def _read_request(self) -> str | None:
        """The request line of the next request (its head and body consumed), or None when the peer closed."""
        request_line = self.rfile.readline().decode("latin-1").strip()
        if not request_line:
            return None
        length = 0
        while (line := self.rfile.readline().decode("latin-1").strip()) != "":
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        self.rfile.read(length)
        return request_line


@pytest.fixture
def backends() -> Iterator[dict[str, _Backend]]:
    """`a` drops a connection's second request; `b` answers everything."""
    servers = {"a": _Backend(drops=True), "b": _Backend(drops=False)}
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in servers.values()]
    for thread in threads:
        thread.start()
    yield servers
    for server in servers.values():
        server.shutdown()
        server.server_close()


@pytest.fixture
def proxy(tmp_path: Path, backends: dict[str, _Backend]) -> Iterator[HAProxy]:
    haproxy = HAProxy(tmp_path, {name: server.port for name, server in backends.items()}, pinnable=True)
    haproxy.start()
    try:
        for name in backends:
            haproxy.wait_for(name, "UP")
        yield haproxy
    finally:
        haproxy.stop()


def _second_request_on_one_connection(proxy: HAProxy, method: str) -> httpx.Response:
    """Two requests to `a` over one client connection; the second is the one `a` drops."""
    with httpx.Client(base_url=proxy.url, headers={PIN_HEADER: "a"}, timeout=10) as client:
        body = None if method in ("GET", "DELETE") else b"{}"
        first = client.request(method, "/things", content=body)
        assert (first.status_code, first.headers[SERVED_BY_HEADER]) == (200, "a")
        return client.request(method, "/things", content=body)


def test_a_get_the_server_closed_unanswered_is_retried(proxy: HAProxy, backends: dict[str, _Backend]) -> None:
    second = _second_request_on_one_connection(proxy, "GET")
    assert second.status_code == 200
    assert backends["a"].dropped == ["GET /things HTTP/1.1"]  # dropped once, and the client never saw it
    # HAProxy's log line for it: answered 200 by the other server after one retry, redispatched (`+1`).
    assert _logged(proxy, re.compile(r" app/b .* 200 .* \d+/\d+/\d+/\d+/\+1 .*\"GET /things HTTP/1.1\""))


def _logged(proxy: HAProxy, line: re.Pattern[str], timeout: float = 5.0) -> bool:
    """Whether HAProxy logs a line matching `line` within `timeout` seconds (it logs a request once it ends)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(line.search(entry) for entry in proxy.log.read_text(errors="replace").splitlines()):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_write_the_server_closed_unanswered_is_never_replayed(
    proxy: HAProxy, backends: dict[str, _Backend], method: str
) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        _second_request_on_one_connection(proxy, method)
    assert backends["a"].dropped == [f"{method} /things HTTP/1.1"]
    sent = [line for server in backends.values() for line in server.requests if line.startswith(method)]
    assert sent == [f"{method} /things HTTP/1.1"] * 2  # the answered one and the dropped one: no third
