"""The application factory, and `bind_services`: the one typed place that binds impl to the contract."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import partial

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from generated import OPERATIONS, Services, build_routers
from generated.runtime import ContractRoutes
from impl.auth import SqlAuthService
from impl.contract_dispatch import ContractDispatch
from impl.db import Database, DatabaseLimits, open_database
from impl.demo import InProcessDemoService
from impl.docs import install_contract_docs
from impl.edge_entry import EdgeFirstFastAPI
from impl.events import EventBroker, build_event_broker
from impl.files import FileStore, SqlFilesService
from impl.housekeeping import Housekeeper
from impl.items import SqlItemsService
from impl.logs import configure_logging
from impl.metrics import AppMetrics, forget_this_process, watch_pool
from impl.middleware import EdgeMiddleware
from impl.notifications.outbox import outbox_backlog
from impl.notifications.service import Notifications
from impl.problems import DatabaseUnavailable, install_problem_handlers
from impl.security.account_cache import OUTAGE as ACCOUNT_CHANGES_OUTAGE
from impl.security.account_cache import AccountChangeRelay, AccountStates
from impl.security.authenticator import TokenAuthenticator
from impl.security.login import CredentialChecker
from impl.security.passwords import PasswordHasher
from impl.security.ratelimit import AttemptLimiter, build_attempt_limiter
from impl.security.tokens import TokenCodec
from impl.settings import Settings, get_settings
from impl.storage import build_storage
from impl.system import APP_VERSION, AppSystemService
from impl.tables import sessions_table, users_table
from impl.users import SqlUsersService
from impl.websockets import WebSocketEndpoints

logger = logging.getLogger(__name__)
SCRAPE_QUERY_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Infrastructure:
    """The process-wide objects services are built from (one engine, one hasher, one token codec...)."""

    settings: Settings
    database: Database
    hasher: PasswordHasher
    codec: TokenCodec
    checker: CredentialChecker
    limiter: AttemptLimiter
    events: EventBroker
    notifications: Notifications
    metrics: AppMetrics


def bind_services(infra: Infrastructure) -> Services:
    """Every tag's implementation. mypy checks each against its generated Protocol: a missing, misnamed or
    mistyped method is a type error here; a service deriving from an `Unimplemented...` base is partial on
    purpose (its other operations answer 501)."""
    files = FileStore(infra.database, build_storage(infra.settings), infra.settings)
    return Services(
        auth=SqlAuthService(infra.database, infra.checker, infra.codec, infra.settings),
        demo=InProcessDemoService(infra.notifications),
        files=SqlFilesService(files),
        items=SqlItemsService(infra.database, infra.events, files=files),
        system=AppSystemService(infra.database, infra.settings, infra.metrics, partial(_scrape_gauges, infra.database)),
        users=SqlUsersService(infra.database, infra.hasher, infra.checker, infra.limiter, infra.settings, files=files),
    )


def create_app(
    settings: Settings | None = None, *, services: Callable[[Infrastructure], Services] = bind_services
) -> FastAPI:
    """Build the ASGI app for `settings` (default: from the environment).

    `services` builds the binding; tests pass their own to swap a service for a fake
    (`lambda infra: dataclasses.replace(bind_services(infra), items=FakeItems())`).
    """
    settings = settings or get_settings()
    configure_logging(settings)
    if settings.signing_key_is_ephemeral:
        logger.warning(
            "SECRET_KEY is not set: tokens are signed with a random key made for this process; they stop working "
            "when it exits and no other worker accepts them (set SECRET_KEY to serve with several workers)"
        )
    database = open_database(
        settings.database_url, echo=settings.database_echo, limits=DatabaseLimits.from_settings(settings)
    )
    limiter = build_attempt_limiter(settings.redis_url)
    hasher = PasswordHasher(settings)
    codec = TokenCodec(settings)
    checker = CredentialChecker(database, hasher, limiter, settings)
    events = build_event_broker(settings.redis_url, channel=settings.events_channel, queue_size=settings.ws_queue_size)
    account_states, account_changes = _account_states(settings, database)
    notifications = Notifications(database, limiter, settings)
    metrics = AppMetrics()
    if (pool := database.pool) is not None:
        watch_pool(pool, metrics.db_connections_in_use)
    infra = Infrastructure(
        settings=settings,
        database=database,
        hasher=hasher,
        codec=codec,
        checker=checker,
        limiter=limiter,
        events=events,
        notifications=notifications,
        metrics=metrics,
    )
    bound = services(infra)
    housekeeper = Housekeeper(database, settings, metrics=metrics)

    # FastAPI's own schema and docs are off: the authored contract is what we serve.
    telemetry = settings.opentelemetry
    app = EdgeFirstFastAPI(
        edge_first=not telemetry,  # with OpenTelemetry on, FastAPI's telemetry layer sees every request
        telemetry={"tracing": telemetry, "metrics": telemetry, "logs": telemetry},
        title=settings.app_name,
        version=APP_VERSION,
        lifespan=_lifespan(database, limiter, notifications, events, account_changes, housekeeper, metrics),
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.database = database
    app.state.settings = settings
    app.state.services = bound
    app.state.events = events
    app.state.notifications = notifications
    app.state.housekeeper = housekeeper
    app.state.account_states = account_states
    authenticator = TokenAuthenticator(database, codec, account_states)
    # One table of the routes, not include_router(): FastAPI's included-router matching and Starlette's
    # route-by-route regexes cost ~20-25 us a request each (profiled); these routers carry no prefix or
    # dependencies of their own to preserve. Requests reach it from ContractDispatch (below the edge layer).
    contract = ContractRoutes(
        route for router in build_routers(bound, authenticator=authenticator) for route in router.routes
    )
    app.router.routes.append(contract)
    # Outside the contract (openapi/asyncapi.yaml describes them); the same authenticator checks their callers.
    app.router.routes.extend(WebSocketEndpoints(settings, authenticator, events).routes())
    install_contract_docs(app)
    install_problem_handlers(app)
    _add_middleware(app, settings, metrics, contract)
    return app


def _account_states(settings: Settings, database: Database) -> tuple[AccountStates, AccountChangeRelay]:
    """The per-process copy of account and session state, dropped by every commit that changes either table (this
    process's at once, other workers' through Redis when REDIS_URL is set)."""
    states = AccountStates(settings.account_cache_seconds)
    broker = None
    if settings.redis_url:
        broker = build_event_broker(
            settings.redis_url, channel=settings.account_changes_channel, queue_size=1, outage=ACCOUNT_CHANGES_OUTAGE
        )
    relay = AccountChangeRelay(states, broker)
    database.commits.add((users_table, sessions_table), relay.changed)
    return states, relay


async def _scrape_gauges(database: Database) -> dict[str, tuple[str, float]]:
    """Values that are the same for every worker, read by whichever one is scraped; left out (not a failed scrape)
    while the database does not answer, since metrics matter most then."""
    try:
        async with asyncio.timeout(SCRAPE_QUERY_TIMEOUT_SECONDS):
            backlog = await outbox_backlog(database)
    except (DatabaseUnavailable, SQLAlchemyError, OSError, TimeoutError) as exc:
        logger.warning("metrics: the outbox backlog could not be read (%s)", type(exc).__name__)
        return {}
    return {"notification_outbox_backlog": ("Accepted notifications not delivered yet (nor given up on).", backlog)}


def _lifespan(
    database: Database,
    limiter: AttemptLimiter,
    notifications: Notifications,
    events: EventBroker,
    account_changes: AccountChangeRelay,
    housekeeper: Housekeeper,
    metrics: AppMetrics,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Start-up objects (routes, models, compiled statements) live forever: keep them out of GC scans,
        # which otherwise show up as latency spikes under load.
        gc.collect()
        gc.freeze()
        # Embedded mode: sweeps the outbox (what a dead process accepted, retries); queue mode: connects the broker.
        await notifications.start()
        await account_changes.start()  # other workers' changes to accounts and sessions (with REDIS_URL)
        housekeeper.start()  # deletes expired keys, sessions and outbox rows every HOUSEKEEPING_INTERVAL_SECONDS
        # Request tallies reach the instruments other workers' scrapes read (impl/metrics.py).
        flushing = asyncio.create_task(metrics.flush_periodically(), name="metrics-flush")
        yield
        flushing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flushing
        await events.aclose()  # ends every /ws/items connection (1001) before what they use goes away
        await account_changes.aclose()
        await notifications.aclose()
        await housekeeper.aclose()
        await limiter.aclose()
        await database.dispose()
        forget_this_process()

    return lifespan


def _add_middleware(app: FastAPI, settings: Settings, metrics: AppMetrics, contract: ContractRoutes) -> None:
    # Added innermost first: the edge layer wraps everything so every response and log line carries the request id.
    app.add_middleware(ContractDispatch, routes=contract)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "Location", "X-Request-ID"],
        )
    app.add_middleware(
        EdgeMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        uploads=[(op.method, op.path) for op in OPERATIONS if op.accepts_upload],
        metrics=metrics,
        request_timeout_seconds=settings.request_timeout_seconds,
    )
    # The one place the client address and scheme are derived: from X-Forwarded-For/-Proto when the peer is a
    # configured proxy, else the peer itself. Outermost, so every layer (limits, HSTS, cookies) sees the result;
    # the servers we start (make run, tests) turn uvicorn's own rewriting off (`--no-proxy-headers`).
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)


app = create_app()
