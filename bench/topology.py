"""Two app instances behind HAProxy on one PostgreSQL database and one private Redis, all on 127.0.0.1.

Used by `tests/e2e/test_scale_out.py` and `make soak` (`bench.soak`): a fresh PostgreSQL database (bench/pgdb.py)
migrated once with Alembic before anything serves, a `redis-server` of its own on a free port, two `uvicorn
impl.app:app` instances started the way `make serve` starts them (bench/appserver.py: SECRET_KEY, REDIS_URL,
WEB_CONCURRENCY, PROMETHEUS_MULTIPROC_DIR, `--no-proxy-headers`, TRUSTED_PROXIES naming HAProxy's address), and
Debian's HAProxy in front (bench/haproxy.py). Every process runs in a session of its own and is stopped when the
topology closes; an instance can be SIGKILLed and restarted on its port.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import pgdb
from bench.appserver import AppServer, inherited_environment
from bench.haproxy import HAProxy
from bench.processes import HOST, ROOT, TopologyError, free_port, require_program, rss_bytes, tail
from bench.redis_server import RedisServer

# Where `make soak` finds PostgreSQL when SOAK_POSTGRES_URL is unset: the server the tests use (`test` is only
# connected to, to create and drop the run's own database).
DEFAULT_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
# The soak's databases are `soak_<pid>_<random>`: a later run drops those of killed runs, never the tests' `test_...`.
RUN_PREFIX = "soak"
INSTANCE_NAMES = ("a", "b")
_START_TIMEOUT = 60.0


def fresh_database(server_url: str = DEFAULT_POSTGRES_URL) -> AbstractContextManager[str]:
    """A new database `soak_<pid>_<random>` on the server of `server_url`, dropped (FORCE) when the block ends;
    yields its URL."""
    return pgdb.fresh_database(server_url, RUN_PREFIX)


def migrate(database_url: str, log: Path) -> None:
    """`alembic upgrade head` on `database_url`, as `make migrate` runs it."""
    env = {**inherited_environment(), "DATABASE_URL": database_url}
    with log.open("wb") as out:
        done = subprocess.run(
            [require_program("alembic"), "upgrade", "head"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        raise TopologyError(f"alembic upgrade head failed ({done.returncode}): {tail(log)}")


# --- App instances ----------------------------------------------------------------------------------------------


class Instance(AppServer):
    """One app instance (`workers` uvicorn processes) on a fixed port, as `make serve` runs it; `ready` from the
    moment /readyz answered until it is killed or stopped."""

    def __init__(self, name: str, port: int, workers: int, env: Mapping[str, str], workdir: Path) -> None:
        log = workdir / f"instance-{name}.log"
        super().__init__(env, port=port, log=log, workers=workers, options=("--no-access-log",))
        self.name = name
        self.started_at = 0.0
        self.ready = False

    def start(self, timeout: float = _START_TIMEOUT) -> None:
        """Start and wait until /readyz answers 200."""
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the processes; the Prometheus directory is emptied first (as `make serve` does)."""
        if self.alive:
            raise TopologyError(f"instance {self.name} is already running")
        metrics = Path(self.env["PROMETHEUS_MULTIPROC_DIR"])
        shutil.rmtree(metrics, ignore_errors=True)
        metrics.mkdir(parents=True)
        self.ready = False
        super().launch()

    def wait_ready(self, timeout: float = _START_TIMEOUT) -> None:
        """Until /readyz answers 200; TopologyError if the process exits or `timeout` passes first."""
        if not self.wait_for("/readyz", timeout):
            assert self.process is not None
            if self.process.poll() is not None:
                raise TopologyError(f"instance {self.name} exited with {self.process.returncode}: {self.output()}")
            raise TopologyError(f"instance {self.name} not ready within {timeout} s: {self.output()}")
        self.started_at = time.monotonic()
        self.ready = True

    def kill(self) -> int | None:
        """SIGKILL every process of the instance at once: no shutdown, no cleanup, sockets dropped by the kernel."""
        self.ready = False
        return super().kill()

    def stop(self) -> None:
        """SIGTERM (graceful shutdown), SIGKILL after 20 s."""
        self.ready = False
        super().stop()

    def rss(self) -> int:
        """Resident memory of all its processes together, in bytes."""
        return sum(rss_bytes(pid) for pid in self.pids())

    def metric(self, name: str) -> float:
        """A sample of its /metrics (read from the instance itself: HAProxy denies /metrics to the public)."""
        text = httpx.get(f"{self.url}/metrics", timeout=5).text
        for line in text.splitlines():
            if line.startswith(name) and line[len(name) : len(name) + 1] in (" ", "{"):
                return float(line.rsplit(" ", 1)[1])
        raise TopologyError(f"{name} is not among the metrics of instance {self.name}")


# --- The whole topology -----------------------------------------------------------------------------------------


@dataclass
class Topology:
    """HAProxy in front of instances `a` and `b` of the app, on `database_url` (migrated already) and a private
    Redis. Use as a context manager; `url` is HAProxy's address.

    `env`: more app settings for both instances (e.g. cheap Argon2 for tests); `pinnable`: honour `X-Pin-Instance`
    (tests that must hit a chosen instance); `workers`: uvicorn workers per instance.
    """

    database_url: str
    workdir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    workers: int = 1
    pinnable: bool = False
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    instances: dict[str, Instance] = field(init=False, default_factory=dict)
    _stack: ExitStack = field(init=False, default_factory=ExitStack)
    _haproxy: HAProxy | None = field(init=False, default=None)
    _redis: RedisServer | None = field(init=False, default=None)

    @property
    def url(self) -> str:
        return self.haproxy.url

    @property
    def haproxy(self) -> HAProxy:
        assert self._haproxy is not None, "the topology is not started"
        return self._haproxy

    @property
    def redis_url(self) -> str:
        assert self._redis is not None, "the topology is not started"
        return self._redis.url

    def __enter__(self) -> Topology:
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def _start(self) -> None:
        self._redis = RedisServer(self.workdir)
        self._redis.start()
        self._stack.callback(self._redis.stop)
        storage = self.workdir / "storage"  # shared by both instances, as a volume would be
        storage.mkdir(exist_ok=True)
        inherited = inherited_environment()
        for name in INSTANCE_NAMES:
            env = {
                **inherited,
                # As README's deployment notes advise: argon2's buffer is returned to the system after each hash.
                "MALLOC_MMAP_THRESHOLD_": "131072",
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self._redis.url,
                "SECRET_KEY": self.secret_key,
                "WEB_CONCURRENCY": str(self.workers),
                "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / f"metrics-{name}"),
                "TRUSTED_PROXIES": f'["{HOST}"]',
                "STORAGE_DIR": str(storage),
                **self.env,
            }
            self.instances[name] = Instance(name, free_port(), self.workers, env, self.workdir)
        # Both start at once (each import takes seconds); each is stopped gracefully at the end.
        for instance in self.instances.values():
            self._stack.callback(instance.stop)
        for instance in self.instances.values():
            instance.launch()
        for instance in self.instances.values():
            instance.wait_ready()
        self._haproxy = HAProxy(
            self.workdir, {name: inst.port for name, inst in self.instances.items()}, pinnable=self.pinnable
        )
        self._haproxy.start()
        self._stack.callback(self._haproxy.stop)
        for name in self.instances:
            self._haproxy.wait_for(name, "UP")

    def kill(self, name: str) -> None:
        """SIGKILL instance `name` (all its processes) and wait until HAProxy has marked it down."""
        self.instances[name].kill()
        self.haproxy.wait_for(name, "DOWN")

    def restart(self, name: str) -> None:
        """Start instance `name` again on its port and wait until HAProxy sends it traffic again."""
        self.instances[name].start()
        self.haproxy.wait_for(name, "UP")


__all__ = [
    "DEFAULT_POSTGRES_URL",
    "INSTANCE_NAMES",
    "Instance",
    "RedisServer",
    "Topology",
    "TopologyError",
    "fresh_database",
    "migrate",
]
