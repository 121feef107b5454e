"""Liveness, readiness and the public part of the settings."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError
from typing_extensions import override

from generated import models
from generated.protocols import UnimplementedSystemService
from generated.runtime import Download, RequestContext
from impl.db import Database, ping
from impl.metrics import EXPOSITION_MEDIA_TYPE, AppMetrics
from impl.problems import ServiceUnavailable
from impl.settings import Settings

APP_VERSION = "0.2.0"
READINESS_TIMEOUT_SECONDS = 2.0


class AppSystemService(UnimplementedSystemService):
    """Answers the probes from the process's own engine and settings, and the Prometheus scrape."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        metrics: AppMetrics,
        gauges: Callable[[], Awaitable[dict[str, tuple[str, float]]]] | None = None,
    ) -> None:
        self._database = database
        self._settings = settings
        self._metrics = metrics
        # Values read at scrape time (e.g. the outbox backlog): global, so whichever worker is scraped reports them.
        self._gauges = gauges

    @override
    async def read_root(self, ctx: RequestContext) -> models.Message:
        """The classic greeting."""
        return models.Message(message="Hello World")

    @override
    async def get_health(self, ctx: RequestContext) -> models.Health:
        """Alive as long as this code runs: no dependency is touched."""
        return models.Health.model_validate({"status": "ok"})

    @override
    async def get_readiness(self, ctx: RequestContext) -> models.Health:
        """Ready when the database answers a trivial query in time; 503 problem otherwise."""
        try:
            async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
                await ping(self._database)
        except ServiceUnavailable:
            raise  # the database layer's own 503 (with its Retry-After)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            raise ServiceUnavailable(
                f"database is not reachable ({type(exc).__name__})",
                retry_after=self._settings.database_retry_after_seconds,
            ) from exc
        return models.Health.model_validate({"status": "ok"})

    @override
    async def get_metrics(self, ctx: RequestContext) -> Download:
        """Every worker's counters in the Prometheus text format (multiprocess mode sums them)."""
        snapshot = await self._gauges() if self._gauges is not None else {}
        return Download(EXPOSITION_MEDIA_TYPE, self._metrics.exposition(snapshot))

    @override
    async def get_public_settings(self, ctx: RequestContext) -> models.PublicSettings:
        """Settings a client may see; secrets and connection strings are never part of it."""
        return models.PublicSettings.model_validate(
            {
                "app_name": self._settings.app_name,
                "version": APP_VERSION,
                "environment": self._settings.environment,
                "max_page_size": self._settings.max_page_size,
                "max_upload_bytes": self._settings.max_upload_bytes,
            }
        )
