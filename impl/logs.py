"""Structured JSON logs, one object per line, carrying the request id."""

from __future__ import annotations

import datetime as dt
import logging
import sys

import orjson
from typing_extensions import override

from impl.middleware import request_id_var
from impl.settings import Settings


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON line; exceptions go in `exc_info` as text, never to the client."""

    @override
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def configure_logging(settings: Settings) -> None:
    """Install one stderr handler on the root logger (idempotent: app factories may run many times)."""
    root = logging.getLogger()
    root.setLevel(settings.log_level.upper())
    handler = next((h for h in root.handlers if getattr(h, "_contract_api", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._contract_api = True  # type: ignore[attr-defined]  # marker so a second call reuses it
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if settings.log_json else logging.Formatter(logging.BASIC_FORMAT))
