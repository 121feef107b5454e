"""The application factory, and `bind_services`: the one typed place that binds impl to the contract."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from generated import OPERATIONS, Services, build_routers
from generated.protocols import UnimplementedFilesService
from generated.runtime import ContractRoutes
from impl.auth import SqlAuthService
from impl.db import Database, open_database
from impl.demo import InProcessDemoService
from impl.docs import install_contract_docs
from impl.items import SqlItemsService
from impl.logs import configure_logging
from impl.middleware import EdgeMiddleware
from impl.problems import install_problem_handlers
from impl.security.authenticator import TokenAuthenticator
from impl.security.login import CredentialChecker
from impl.security.passwords import PasswordHasher
from impl.security.ratelimit import AttemptLimiter, build_attempt_limiter
from impl.security.tokens import TokenCodec
from impl.settings import Settings, get_settings
from impl.system import APP_VERSION, AppSystemService
from impl.users import SqlUsersService

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Infrastructure:
    """The process-wide objects services are built from (one engine, one hasher, one token codec...)."""

    settings: Settings
    database: Database
    hasher: PasswordHasher
    codec: TokenCodec
    checker: CredentialChecker
    limiter: AttemptLimiter


def bind_services(infra: Infrastructure) -> Services:
    """Every tag's implementation. mypy checks each against its generated Protocol: a missing, misnamed or
    mistyped method is a type error here; a service deriving from an `Unimplemented...` base is partial on
    purpose (its other operations answer 501)."""
    return Services(
        auth=SqlAuthService(infra.database, infra.checker, infra.codec, infra.settings),
        demo=InProcessDemoService(),
        files=UnimplementedFilesService(),
        items=SqlItemsService(infra.database),
        system=AppSystemService(infra.database, infra.settings),
        users=SqlUsersService(infra.database, infra.hasher, infra.checker, infra.limiter, infra.settings),
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
    database = open_database(settings.database_url, echo=settings.database_echo)
    limiter = build_attempt_limiter(settings.redis_url)
    hasher = PasswordHasher(settings)
    codec = TokenCodec(settings)
    checker = CredentialChecker(database, hasher, limiter, settings)
    infra = Infrastructure(settings, database, hasher, codec, checker, limiter)
    bound = services(infra)

    # FastAPI's own schema and docs are off: the authored contract is what we serve.
    telemetry = settings.opentelemetry
    app = FastAPI(
        telemetry={"tracing": telemetry, "metrics": telemetry, "logs": telemetry},
        title=settings.app_name,
        version=APP_VERSION,
        lifespan=_lifespan(database, limiter),
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.database = database
    app.state.settings = settings
    app.state.services = bound
    for router in build_routers(bound, authenticator=TokenAuthenticator(database, codec)):
        # One table of the routes, not include_router(): FastAPI's included-router matching and Starlette's
        # route-by-route regexes cost ~20-25 us a request each (profiled); these routers carry no prefix or
        # dependencies of their own to preserve.
        app.router.routes.append(ContractRoutes(router.routes))
    install_contract_docs(app)
    install_problem_handlers(app)
    _add_middleware(app, settings)
    return app


def _lifespan(database: Database, limiter: AttemptLimiter) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Start-up objects (routes, models, compiled statements) live forever: keep them out of GC scans,
        # which otherwise show up as latency spikes under load.
        gc.collect()
        gc.freeze()
        yield
        await limiter.aclose()
        await database.dispose()

    return lifespan


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    # Added innermost first: the edge layer wraps everything so every response and log line carries the request id.
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
    )
    # The one place the client address and scheme are derived: from X-Forwarded-For/-Proto when the peer is a
    # configured proxy, else the peer itself. Outermost, so every layer (limits, HSTS, cookies) sees the result;
    # the servers we start (make run, tests) turn uvicorn's own rewriting off (`--no-proxy-headers`).
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)


app = create_app()
