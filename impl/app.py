"""The application factory: the only place that wires impl services into the generated routers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, TypeVar

from fastapi import Depends, FastAPI, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

from generated import build_routers
from impl.auth import SqlAuthService
from impl.db import Database, DbConnection, get_db, open_database
from impl.demo import InProcessDemoService
from impl.docs import install_contract_docs
from impl.items import SqlItemsService
from impl.logs import configure_logging
from impl.middleware import BodySizeLimitMiddleware, ResponseHeadersMiddleware
from impl.problems import install_problem_handlers
from impl.security.authenticator import TokenAuthenticator
from impl.security.login import CredentialChecker
from impl.security.passwords import PasswordHasher
from impl.security.ratelimit import FailureWindow, build_rate_limiter
from impl.security.tokens import TokenCodec
from impl.settings import Settings, get_settings
from impl.system import APP_VERSION, AppSystemService
from impl.users import SqlUsersService

T = TypeVar("T")
Connection = Annotated[DbConnection, Depends(get_db, scope="function")]


# Providers are async: FastAPI runs plain `def` dependencies in a thread pool, a real cost per request.
async def _provide_items(conn: Connection) -> SqlItemsService:
    return SqlItemsService(conn)


def _constant(value: T) -> Callable[[], Awaitable[T]]:
    async def provide() -> T:
        return value

    return provide


def _auth_provider(
    database: Database, checker: CredentialChecker, codec: TokenCodec, settings: Settings
) -> Callable[[Request], Awaitable[SqlAuthService]]:
    async def provide(request: Request) -> SqlAuthService:
        # Per request: the client address keys the brute-force limit; the scheme decides Secure cookies.
        return SqlAuthService(
            database,
            checker,
            codec,
            settings,
            client_ip=request.client.host if request.client else None,
            secure_cookies=request.url.scheme == "https",
        )

    return provide


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the ASGI app for `settings` (default: from the environment)."""
    settings = settings or get_settings()
    configure_logging(settings)
    database = open_database(settings.database_url, echo=settings.database_echo)
    hasher = PasswordHasher(settings)
    codec = TokenCodec(settings)
    window = settings.login_failure_window_seconds
    per_user = build_rate_limiter(settings.redis_url, FailureWindow(settings.login_failures_per_user, window))
    per_address = build_rate_limiter(settings.redis_url, FailureWindow(settings.login_failures_per_ip, window))
    checker = CredentialChecker(database, hasher, per_user=per_user, per_address=per_address)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Start-up objects (routes, models, compiled statements) live forever: keep them out of GC scans,
        # which otherwise show up as latency spikes under load.
        gc.collect()
        gc.freeze()
        yield
        await per_user.aclose()
        await per_address.aclose()
        await database.dispose()

    # FastAPI's own schema and docs are off: the authored contract is what we serve.
    app = FastAPI(
        title=settings.app_name,
        version=APP_VERSION,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.database = database
    app.state.settings = settings
    providers: dict[str, Callable[..., object]] = {
        "system": _constant(AppSystemService(database, settings)),
        "items": _provide_items,
        "demo": _constant(InProcessDemoService()),
        "users": _constant(SqlUsersService(database, hasher, settings)),
        "auth": _auth_provider(database, checker, codec, settings),
    }
    for router in build_routers(providers, authenticator=TokenAuthenticator(database, codec)):
        # The routes themselves, not include_router(): FastAPI's included-router matching cost ~20 us a request
        # in the profile, and these routers carry no prefix or dependencies of their own to preserve.
        app.router.routes.extend(router.routes)
    install_contract_docs(app)
    install_problem_handlers(app)
    _add_middleware(app, settings)
    return app


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    # Added innermost first: the request id wraps everything so every response and log line carries it.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(
        BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes, max_upload_bytes=settings.max_upload_bytes
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "Location", "X-Request-ID"],
        )
    app.add_middleware(ResponseHeadersMiddleware)


app = create_app()
