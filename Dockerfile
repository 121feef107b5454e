# Multi-stage: dependencies are installed from the lock file in a build stage; the runtime stage is slim, runs as a
# non-root user and carries only the service (no tests, no generator, no dev tools). Migrations are a separate step
# (`alembic upgrade head`, the `migrate` service of compose.yaml), never run by every worker at start.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
COPY requirements.lock /tmp/requirements.lock
RUN python -m venv /venv \
    && /venv/bin/pip install --no-deps -r /tmp/requirements.lock

FROM python:3.11-slim AS runtime
ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MALLOC_MMAP_THRESHOLD_=131072 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/metrics \
    STORAGE_DIR=/data/storage \
    WEB_CONCURRENCY=2 \
    GRACEFUL_SHUTDOWN_SECONDS=25 \
    WS_PING_INTERVAL=20 \
    WS_PING_TIMEOUT=20
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /data/storage \
    && chown 10001:10001 /data/storage
WORKDIR /app
COPY --from=build /venv /venv
COPY alembic.ini ./
COPY migrations ./migrations
COPY openapi ./openapi
COPY generated ./generated
COPY impl ./impl
USER 10001:10001
EXPOSE 8000
VOLUME ["/data/storage"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
# A fresh metrics directory per start (prometheus-client's multiprocess mode), then the workers. uvicorn's own
# X-Forwarded-* handling is off: TRUSTED_PROXIES decides whom to believe. On SIGTERM (`docker stop`) in-flight requests
# get GRACEFUL_SHUTDOWN_SECONDS to finish: give `docker stop -t` / compose's stop_grace_period more than that (their
# default is 10 s). WebSocket peers that stop answering keepalive pings are dropped (WS_PING_*; see the Makefile).
CMD ["sh", "-c", "rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && exec uvicorn impl.app:app --host 0.0.0.0 --port 8000 --workers \"$WEB_CONCURRENCY\" --no-proxy-headers --timeout-graceful-shutdown \"$GRACEFUL_SHUTDOWN_SECONDS\" --ws-ping-interval \"$WS_PING_INTERVAL\" --ws-ping-timeout \"$WS_PING_TIMEOUT\""]
