"""Where the test Redis is, and the rule that CI never skips it."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_reachable(url: str = REDIS_URL) -> bool:
    """Whether something listens on the Redis host and port of `url`."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=2):
            return True
    except OSError:
        return False


def require_redis() -> None:
    """Skip locally, fail in CI (`CI=true`): a missing service must never turn a CI run green."""
    if redis_reachable():
        return
    message = f"Redis is not reachable at {REDIS_URL}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a missing service is a failure)")
    pytest.skip(message)
