"""The notification worker's broker, for `taskiq worker impl.notifications.worker:broker` (`make worker`)."""

from __future__ import annotations

from impl.logs import configure_logging
from impl.notifications.queue import build_queue, install_worker
from impl.settings import get_settings

_settings = get_settings()
configure_logging(_settings)
_queue = build_queue(_settings)
install_worker(_queue, _settings)
broker = _queue.broker

__all__ = ["broker"]
