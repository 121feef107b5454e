"""A real uvicorn server in a background thread on 127.0.0.1, for tools that speak HTTP (Schemathesis)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

# Imported from here by tests that need a spare port; one implementation, the bench's.
from bench.processes import free_port


@contextmanager
def serve(app: FastAPI, *, startup_timeout: float = 20.0) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL."""
    # As `make run` serves: uvicorn's own X-Forwarded-* rewriting off, the app's TRUSTED_PROXIES decide.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), log_level="warning", access_log=False, proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


__all__ = ["free_port", "serve"]
