"""Local SMTP servers for the notification tests: aiosmtpd recording what arrives, and one that never answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.contract.live_server import free_port


@dataclass(frozen=True)
class Received:
    """One e-mail as the server got it: the envelope recipients and the parsed message."""

    recipients: list[str]
    message: Message


@dataclass
class RecordingHandler:
    """aiosmtpd handler keeping every message; the first `fail_next` DATA commands answer 451 (try later)."""

    fail_next: int = 0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return "451 4.3.0 Temporary failure, try again later"
            content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
            self.received.append(Received(list(envelope.rcpt_tos), message_from_bytes(content)))
        return "250 OK"

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def wait_for(self, count: int, *, timeout: float) -> list[Received]:
        """The messages once at least `count` arrived; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.messages()) < count:
            assert time.monotonic() < deadline, f"expected {count} e-mails within {timeout} s, got {self.messages()}"
            time.sleep(0.05)
        return self.messages()


@contextmanager
def smtp_server(port: int | None = None, *, fail_next: int = 0) -> Iterator[tuple[int, RecordingHandler]]:
    """An aiosmtpd server on 127.0.0.1 (a free port unless given) until the block ends."""
    handler = RecordingHandler(fail_next=fail_next)
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port(), ready_timeout=10)
    controller.start()
    try:
        yield controller.port, handler
    finally:
        controller.stop()


class StallingServer:
    """Accepts TCP connections and never says a word: an SMTP client waits for the greeting until it times out."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._connections: list[socket.socket] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="stalling-smtp", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            self._connections.append(conn)

    def wait_for_connection(self, *, timeout: float) -> None:
        """Return once a client connected (a delivery attempt is under way); AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        while not self._connections:
            assert time.monotonic() < deadline, f"no delivery attempt reached the SMTP server within {timeout} s"
            time.sleep(0.05)

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5)
        for conn in self._connections:
            conn.close()
        self._listener.close()
