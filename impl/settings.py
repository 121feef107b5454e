"""Settings from environment variables and `.env`, read once per process."""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from generated.security import (
    SCOPE_ITEMS_READ,
    SCOPE_ITEMS_WRITE,
    SCOPE_NOTIFICATIONS_SEND,
    SCOPE_USERS_READ,
    SCOPE_USERS_WRITE,
)

MIN_SECRET_KEY_BYTES = 32
# What a new account may do; `users:admin` is only ever granted by an administrator (PATCH /users/{id}).
DEFAULT_SCOPES = (SCOPE_ITEMS_READ, SCOPE_ITEMS_WRITE, SCOPE_USERS_READ, SCOPE_USERS_WRITE, SCOPE_NOTIFICATIONS_SEND)


class Settings(BaseSettings):
    """Every knob of the service; secrets are `SecretStr` so they never print."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    app_name: str = "Contract API"
    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./app.db"
    database_echo: bool = False
    # Database bounds (impl/db.py): past any of them the request gets 503 + Retry-After instead of waiting on.
    # PostgreSQL pool: connections kept open, extra ones opened under load, and how long a request waits for one.
    database_pool_size: int = Field(default=10, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)
    database_pool_timeout_seconds: float = Field(default=5, gt=0)
    # Opening a PostgreSQL connection (a host that drops packets would otherwise hold a request for asyncpg's 60 s).
    database_connect_timeout_seconds: float = Field(default=5, gt=0)
    # PostgreSQL's statement_timeout (lock waits included); the client gives up 1 s later if the server is silent.
    database_statement_timeout_seconds: float = Field(default=10, gt=0)
    # Behind PgBouncer in transaction mode: no prepared statements kept across transactions (asyncpg's cache off,
    # unique statement names), and statement_timeout left to the role's settings (PgBouncer refuses it at start-up).
    database_pgbouncer: bool = False
    # The Retry-After of a 503 caused by the database.
    database_retry_after_seconds: int = Field(default=2, ge=1)
    # How long an SQLite write waits for another process's write lock; it blocks the event loop, so keep it short.
    sqlite_busy_timeout_ms: int = Field(default=200, ge=0, le=5000)
    # HS256 signing key. Unset: development and test sign with a random key made for this process (tokens die
    # with it, and each worker has its own); production refuses to start. No key ever comes from the source.
    secret_key: SecretStr | None = None
    # uvicorn's worker count (it reads the same variable): several workers cannot share a per-process key.
    web_concurrency: int = Field(default=1, ge=1)
    redis_url: str | None = None
    # WebSockets (/ws, /ws/items). Item events go through this Redis pub/sub channel when REDIS_URL is set.
    events_channel: str = Field(default="contract-api:item-events", min_length=1, max_length=200)
    # What each worker keeps of the account and session every authenticated request checks, and for how long at most
    # (impl/security/account_cache.py): its own changes drop it at once, other workers' over this Redis channel;
    # without Redis another worker's change is seen within this many seconds. 0: read them on every request.
    account_cache_seconds: float = Field(default=1.0, ge=0, le=1)
    account_changes_channel: str = Field(default="contract-api:account-changes", min_length=1, max_length=200)
    # Events waiting for one /ws/items connection; a client that lets more pile up is closed (1013).
    ws_queue_size: int = Field(default=256, ge=1)
    # Largest text frame accepted (1009 above it); uvicorn's --ws-max-size (16 MiB) caps frames before that.
    ws_max_message_bytes: int = Field(default=64 * 1024, ge=1)
    # An /ws connection that sends nothing this long is closed (1000); /ws/items only listens, so it has none
    # (uvicorn's keepalive pings drop its dead peers: WS_PING_INTERVAL / WS_PING_TIMEOUT in the Makefile).
    ws_idle_timeout_seconds: float = Field(default=300, gt=0)
    # How often an /ws/items connection's account and session are checked again (and always at the token's exp).
    ws_auth_recheck_seconds: float = Field(default=60, gt=0)
    # Exact browser origins (`https://app.example[:port]`) allowed to call with credentials; never `*`.
    cors_origins: list[str] = Field(default_factory=list)
    # Peers (IPs or CIDR networks) whose X-Forwarded-For / X-Forwarded-Proto are believed: the client address
    # (rate limits) and the scheme (HSTS, Secure cookies) come from them. Empty: trust nobody, use the peer.
    trusted_proxies: list[str] = Field(default_factory=list)
    max_page_size: int = 100
    # A request that makes no progress this long (no body chunk received, nothing sent) is cancelled: 503 +
    # Retry-After before its response starts, a closed connection after; slow but moving transfers go on.
    request_timeout_seconds: float = Field(default=30, gt=0)
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 10 * 1024 * 1024
    # Uploaded files: this local directory, unless S3_BUCKET names an S3-compatible bucket (AWS, MinIO, ...).
    storage_dir: str = "./storage"
    s3_bucket: str | None = None
    s3_prefix: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    # Unset: the AWS default chain (environment, profile, instance role).
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    # The service's public URL for links it stores (item image URLs); unset: the request's scheme and Host.
    public_base_url: str | None = Field(default=None, pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$")
    log_level: str = "INFO"
    log_json: bool = True
    # FastAPI's native OpenTelemetry (tracing, metrics and logs through the global providers). Off unless asked
    # for: even unconfigured, its per-request check cost ~15 us (profiled).
    opentelemetry: bool = False

    # Tokens: short-lived access JWTs; refresh tokens rotate; browser sessions last a working day.
    access_token_ttl_seconds: int = Field(default=900, ge=30)
    refresh_token_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=60)
    session_ttl_seconds: int = Field(default=8 * 3600, ge=60)
    # A login's absolute lifetime: however often it is refreshed, its session ends this long after the login (no
    # token outlives it), and the housekeeping sweep deletes it. Existing sessions keep the expiry they were given.
    session_max_age_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    jwt_issuer: str = "contract-api"
    jwt_audience: str = "contract-api"
    jwt_leeway_seconds: int = Field(default=10, ge=0, le=120)
    default_scopes: list[str] = Field(default_factory=lambda: list(DEFAULT_SCOPES))
    # None: cookies are Secure exactly when the request arrived over https.
    cookie_secure: bool | None = None

    # Argon2id cost: one of OWASP's equivalent minimum profiles (m=7 MiB, t=5, p=1; the cheat sheet lists it with
    # m=19 MiB/t=2 as "an equal level of defense", trading memory for iterations). Every concurrent hash holds `m`
    # of memory: the 7 MiB profile keeps a worker within its 90 MB budget while a login is hashed (19 MiB did
    # not: 103 MB peak measured). Raise it where memory allows; old hashes are upgraded at the next login.
    argon2_time_cost: int = Field(default=5, ge=1)
    argon2_memory_cost_kib: int = Field(default=7 * 1024, ge=7 * 1024)
    argon2_parallelism: int = Field(default=1, ge=1)

    # Password guesses (POST /token, /login, and the current password of account changes), shared between workers
    # through REDIS_URL. Counted per (account, client address), so a stranger cannot lock the owner out from
    # elsewhere; a higher ceiling per account bounds a guesser spread over many addresses; and per address.
    login_failures_per_user: int = Field(default=5, ge=1)
    login_failures_per_user_total: int = Field(default=100, ge=1)
    login_failures_per_ip: int = Field(default=50, ge=1)
    login_failure_window_seconds: int = Field(default=15 * 60, ge=1)
    # Sign-ups per client address: each one costs a password hash.
    signups_per_address: int = Field(default=10, ge=1)
    signup_window_seconds: int = Field(default=3600, ge=1)
    # Password hashes computed at once per process (each holds argon2's memory), and waiting beyond that; more
    # waiting requests are answered 503 + Retry-After rather than queued without bound.
    max_concurrent_hashes: int = Field(default=2, ge=1)
    max_queued_hashes: int = Field(default=32, ge=0)

    # Notifications (POST /send-notification): per sender, so the service is no open mail relay.
    notifications_per_user: int = Field(default=10, ge=1)
    notification_window_seconds: int = Field(default=3600, ge=1)
    # `embedded`: the API process delivers after the response (and sweeps what a dead process left behind);
    # `redis`: the API only writes the outbox and enqueues the id; `make worker` delivers (needs REDIS_URL).
    notifications_queue: Literal["embedded", "redis"] = "embedded"
    notifications_queue_name: str = Field(default="notifications", min_length=1, max_length=200)
    # A claimed delivery may take this long before another process may retry it: longer than SMTP_TIMEOUT.
    notification_lease_seconds: float = Field(default=120, gt=0)
    notification_sweep_seconds: float = Field(default=5, gt=0)
    notification_max_attempts: int = Field(default=8, ge=1)
    # Retry n waits base * 2**(n-1) seconds, at most the cap: 5 s, 10 s, 20 s ... 1 h.
    notification_retry_base_seconds: float = Field(default=5, ge=0)
    notification_retry_max_seconds: float = Field(default=3600, ge=0)
    # E-mail: the log sender unless SMTP_HOST is set.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    # True: STARTTLS is required (refuse to send in clear); false: plain SMTP (a local relay).
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = Field(default=30, gt=0)
    mail_from: str = "Contract API <no-reply@localhost>"

    # Housekeeping (impl/housekeeping.py): rows that can no longer matter are deleted by one sweeper at a time.
    # Rounds are this far apart (±25 % jitter, so instances started together do not sweep in step).
    housekeeping_interval_seconds: float = Field(default=300, gt=0)
    # Rows deleted per table per transaction: a huge backlog is worked off in short locks, never one long one.
    housekeeping_batch_size: int = Field(default=500, ge=1, le=10_000)
    # Sessions and refresh tokens outlive their last usable moment by this much: clock skew between hosts.
    housekeeping_grace_seconds: int = Field(default=3600, ge=0)
    # An Idempotency-Key replays its first response for at least this long (then it may be forgotten): 24 h.
    idempotency_key_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    # Delivered and given-up outbox rows are kept this long for operators; undelivered rows are never swept.
    outbox_retention_seconds: int = Field(default=7 * 24 * 3600, ge=0)

    _ephemeral_key: SecretStr | None = PrivateAttr(default=None)

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, origins: list[str]) -> list[str]:
        # Credentials are allowed, so `*` would let every site act as the signed-in user; an origin with a path or
        # a trailing slash never equals a browser's Origin header and would fail silently.
        for origin in origins:
            if origin != _canonical_origin(origin):
                raise ValueError(
                    f"CORS_ORIGINS: {origin!r} is not an origin; list each allowed origin exactly, as "
                    "scheme://host[:port] in lower case with no path (`*` is refused: credentials are allowed)"
                )
        return origins

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            try:
                # Strict, as uvicorn parses it: a network with host bits set would be taken as a name there.
                ipaddress.ip_network(proxy)
            except ValueError:
                raise ValueError(
                    f"TRUSTED_PROXIES: {proxy!r} is not an IP address or CIDR network (with no host bits set)"
                ) from None
        return proxies

    @model_validator(mode="after")
    def _check_notifications_queue(self) -> Settings:
        if self.notifications_queue == "redis" and not self.redis_url:
            raise ValueError("NOTIFICATIONS_QUEUE=redis needs REDIS_URL")
        return self

    @model_validator(mode="after")
    def _check_secret_key(self) -> Settings:
        # A guessable or shared-by-accident key lets anyone mint tokens: refuse at boot instead.
        if self.secret_key is not None:
            if len(self.secret_key.get_secret_value().encode()) < MIN_SECRET_KEY_BYTES:
                raise ValueError(f"SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes")
            return self
        if self.environment == "production":
            raise ValueError(
                f"SECRET_KEY must be set (at least {MIN_SECRET_KEY_BYTES} bytes) when ENVIRONMENT=production"
            )
        if self.web_concurrency > 1 or self.redis_url:
            raise ValueError(
                "SECRET_KEY must be set when several workers share state (WEB_CONCURRENCY > 1 or REDIS_URL): "
                "each process would otherwise sign with its own random key"
            )
        self._ephemeral_key = SecretStr(secrets.token_urlsafe(MIN_SECRET_KEY_BYTES))
        return self

    @property
    def signing_key(self) -> SecretStr:
        """SECRET_KEY, or the random key this settings object made for the process when it is unset."""
        key = self.secret_key or self._ephemeral_key
        assert key is not None  # the validator sets one or the other
        return key

    @property
    def signing_key_is_ephemeral(self) -> bool:
        """True when tokens are signed with a per-process random key (SECRET_KEY unset)."""
        return self.secret_key is None


_DEFAULT_PORTS = frozenset({("http", 80), ("https", 443)})


def _canonical_origin(origin: str) -> str | None:
    """`scheme://host[:port]` as browsers send it in `Origin`, or None when `origin` has anything else."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname or parts.username is not None or parts.password is not None:
        return None
    if parts.path or parts.query or parts.fragment or "*" in parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    # Browsers leave the scheme's default port out of Origin.
    if port is None or (parts.scheme, port) in _DEFAULT_PORTS:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached: the environment is read once)."""
    return Settings()
