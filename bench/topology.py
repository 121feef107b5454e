"""Two app instances behind HAProxy on one PostgreSQL database and one private Redis, all on 127.0.0.1.

Used by `tests/e2e/test_scale_out.py` and `make soak` (`bench.soak`): a fresh PostgreSQL database migrated once with
Alembic before anything serves, a `redis-server` of its own on a free port, two `uvicorn impl.app:app` instances
started the way `make serve` starts them (SECRET_KEY, REDIS_URL, WEB_CONCURRENCY, PROMETHEUS_MULTIPROC_DIR,
`--no-proxy-headers`, TRUSTED_PROXIES naming HAProxy's address), and Debian's HAProxy in front (round robin, health
checks on /readyz, `option forwardfor`, retries and redispatch on connection failure, WebSocket tunnels). Every
process runs in a session of its own and is stopped when the topology closes; an instance can be SIGKILLed and
restarted on its port.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import httpx
import redis
from sqlalchemy.engine import make_url

from impl.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# Where `make soak` finds PostgreSQL when SOAK_POSTGRES_URL is unset: the server the tests use (`test` is only
# connected to, to create and drop the run's own database).
DEFAULT_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
INSTANCE_NAMES = ("a", "b")
# A request through HAProxy may name the instance it wants (tests only: `Topology(pinnable=True)`); every response
# says which instance answered.
PIN_HEADER = "X-Pin-Instance"
SERVED_BY_HEADER = "X-Served-By"
# `soak_<pid>_<random>`: only names of this shape are dropped by a later run's clean-up (as tests/databases.py does
# for `test_...`): a database no session is named after belongs to a run killed before its teardown.
_RUN_DATABASE = re.compile(r"^soak_[0-9]+_[0-9a-f]{8}$")
_START_TIMEOUT = 60.0
# The app's settings are never inherited from the caller's environment: each instance gets exactly the topology's.
_APP_VARIABLES = frozenset(name.upper() for name in Settings.model_fields) | {"PROMETHEUS_MULTIPROC_DIR"}


class TopologyError(RuntimeError):
    """A part of the topology did not start or stop as it must."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def find_program(name: str) -> str | None:
    """A console script of this virtualenv (next to the interpreter), else a program on PATH or in /usr/sbin (where
    Debian puts haproxy, off a normal user's PATH)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name) or shutil.which(name, path="/usr/local/sbin:/usr/sbin:/sbin")


def _bin(name: str) -> str:
    found = find_program(name)
    if found is None:
        raise TopologyError(f"{name} is not installed (Debian packages: `apt-get install haproxy redis-server`)")
    return found


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except FileNotFoundError:
        return "(no log)"


def _stop_group(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
    """Signal the process group `process` leads (uvicorn's workers too), SIGKILL it if it outlives `timeout`."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            process.wait(timeout=10)
    # A worker may outlive its supervisor for a moment: nothing of the group may stay behind.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's supervisor and its workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the parent pid is the second field after it.
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (VmRSS), 0 once it is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def local_tcp_ports(pids: list[int]) -> set[int]:
    """Local TCP ports of the sockets these processes hold (their database connections among them)."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


# --- PostgreSQL -------------------------------------------------------------------------------------------------


async def connect(url: str, *, application_name: str = "contract-api topology") -> asyncpg.Connection:
    """A plain asyncpg connection to the database of a SQLAlchemy `postgresql+asyncpg://` URL."""
    parts = make_url(url)
    return await asyncpg.connect(
        host=parts.host,
        port=parts.port,
        user=parts.username,
        password=parts.password,
        database=parts.database,
        server_settings={"application_name": application_name},
        timeout=10,
    )


_ABANDONED = """
SELECT datname FROM pg_database AS d
WHERE datname ~ $1 AND NOT EXISTS (SELECT FROM pg_stat_activity AS a WHERE a.application_name = d.datname)
"""


@contextmanager
def fresh_database(server_url: str = DEFAULT_POSTGRES_URL) -> Iterator[str]:
    """A new database `soak_<pid>_<random>` on the server of `server_url`, dropped (FORCE) when the block ends.

    The connection that creates it carries its name as application_name until then, so the databases of killed
    runs (no such session) are recognised and dropped by the next run.
    """
    name = f"soak_{os.getpid()}_{secrets.token_hex(4)}"
    loop = asyncio.new_event_loop()
    try:
        guard = loop.run_until_complete(connect(server_url, application_name=name))
        try:
            for (abandoned,) in loop.run_until_complete(guard.fetch(_ABANDONED, _RUN_DATABASE.pattern)):
                loop.run_until_complete(guard.execute(f'DROP DATABASE IF EXISTS "{abandoned}" WITH (FORCE)'))
            loop.run_until_complete(guard.execute(f'CREATE DATABASE "{name}" TEMPLATE template0'))
            try:
                yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
            finally:
                loop.run_until_complete(guard.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            loop.run_until_complete(guard.close())
    finally:
        loop.close()


def migrate(database_url: str, log: Path) -> None:
    """`alembic upgrade head` on `database_url`, as `make migrate` runs it."""
    env = {key: value for key, value in os.environ.items() if key.upper() not in _APP_VARIABLES}
    env["DATABASE_URL"] = database_url
    with log.open("wb") as out:
        done = subprocess.run(
            [_bin("alembic"), "upgrade", "head"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    if done.returncode != 0:
        raise TopologyError(f"alembic upgrade head failed ({done.returncode}): {_tail(log)}")


# --- Redis ------------------------------------------------------------------------------------------------------


class RedisServer:
    """A private redis-server (no persistence) on a free port of 127.0.0.1."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [_bin("redis-server"), "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no"]
        log = self._workdir / "redis.log"
        with log.open("wb") as out:
            self._process = subprocess.Popen(
                command, cwd=self._workdir, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 10
        client = redis.Redis(host=HOST, port=self.port, socket_timeout=0.5)
        try:
            while time.monotonic() < deadline:
                try:
                    if client.ping():
                        return
                except redis.RedisError:
                    time.sleep(0.05)
        finally:
            client.close()
        raise TopologyError(f"redis-server did not start: {_tail(log)}")

    def stop(self) -> None:
        if self._process is not None:
            _stop_group(self._process, timeout=10)
            self._process = None


# --- App instances ----------------------------------------------------------------------------------------------


@dataclass
class Instance:
    """One `uvicorn impl.app:app` (with `workers` processes) on a fixed port, as `make serve` runs it."""

    name: str
    port: int
    workers: int
    env: dict[str, str]
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    starts: int = 0
    # True from the moment /readyz answered until the instance is killed or stopped.
    ready: bool = False

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / f"instance-{self.name}.log"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

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
        command = [
            _bin("uvicorn"), "impl.app:app", "--host", HOST, "--port", str(self.port),
            "--workers", str(self.workers), "--no-proxy-headers", "--no-access-log",
        ]  # fmt: skip
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts + 1} ---\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.starts += 1
        self.ready = False

    def wait_ready(self, timeout: float = _START_TIMEOUT) -> None:
        """Until /readyz answers 200; TopologyError if the process exits or `timeout` passes first."""
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise TopologyError(f"instance {self.name} exited with {self.process.returncode}: {_tail(self.log)}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise TopologyError(f"instance {self.name} not ready within {timeout} s: {_tail(self.log)}")
            time.sleep(0.1)
        self.started_at = time.monotonic()
        self.ready = True

    def kill(self) -> None:
        """SIGKILL every process of the instance at once: no shutdown, no cleanup, sockets dropped by the kernel."""
        if self.process is None:
            return
        self.ready = False
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        # Workers are in the group too: wait until none is left, so the port is free for the restart.
        deadline = time.monotonic() + 10
        while _group_alive(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.process = None

    def stop(self) -> None:
        """SIGTERM (graceful shutdown), SIGKILL after 20 s."""
        self.ready = False
        if self.process is not None:
            _stop_group(self.process)
            self.process = None

    def pids(self) -> list[int]:
        """The processes serving now (supervisor and workers); empty while down."""
        return process_tree(self.process.pid) if self.alive and self.process is not None else []

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


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


# --- HAProxy ----------------------------------------------------------------------------------------------------

_HAPROXY_CONFIG = """\
# Rendered by bench/topology.py for one run; every address is on 127.0.0.1.
global
    maxconn 4096
    stats socket {stats_socket} mode 600 level admin

defaults
    mode http
    option httplog
    # The client's address for the app (TRUSTED_PROXIES names 127.0.0.1): appended to any X-Forwarded-For.
    option forwardfor
    # A connection refused or timed out before the request was sent is retried, on another server each time;
    # nothing is ever retried once sent (the app, not the proxy, owns replays: Idempotency-Key).
    retries 3
    retry-on conn-failure
    option redispatch 1
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 10s
    # An upgraded WebSocket is a tunnel: idle up to uvicorn's ping interval and well beyond.
    timeout tunnel 1h
    timeout client-fin 5s
    timeout server-fin 5s

frontend public
    bind {host}:{port}
    # /metrics needs no credentials: Prometheus scrapes each instance directly, never through the public listener.
    http-request deny if {{ path /metrics }}
    http-response set-header {served_by} %[srv_name]
    default_backend app

backend app
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz
    http-check expect status 200
    # A refused connection marks a server down at once (the process is gone); a slow /readyz under load does not:
    # three checks in a row must fail, each allowed 3 s. Two passes bring a server back.
    timeout check 3s
    default-server inter 1s downinter 500ms rise 2 fall 3 observe layer4 error-limit 1 on-error mark-down
{pins}{servers}
"""


class HAProxy:
    """Debian's haproxy in the foreground with a rendered config; its stats socket says what it sees."""

    def __init__(self, workdir: Path, backends: Mapping[str, int], *, pinnable: bool) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.config = workdir / "haproxy.cfg"
        self.stats_socket = workdir / "haproxy.sock"
        self._log = workdir / "haproxy.log"
        self._process: subprocess.Popen[bytes] | None = None
        pins = "".join(
            f"    use-server {name} if {{ req.hdr({PIN_HEADER}) -m str {name} }}\n" for name in backends if pinnable
        )
        servers = "".join(f"    server {name} {HOST}:{port} check\n" for name, port in backends.items())
        self.config.write_text(
            _HAPROXY_CONFIG.format(
                stats_socket=self.stats_socket,
                host=HOST,
                port=self.port,
                served_by=SERVED_BY_HEADER,
                pins=pins,
                servers=servers,
            )
        )

    def start(self) -> None:
        binary = _bin("haproxy")
        check = subprocess.run([binary, "-c", "-q", "-f", str(self.config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise TopologyError(f"haproxy refused {self.config}: {check.stdout}{check.stderr}")
        with self._log.open("wb") as out:
            self._process = subprocess.Popen(
                [binary, "-db", "-f", str(self.config)], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self) -> None:
        if self._process is not None:
            _stop_group(self._process, timeout=5)  # SIGTERM: a hard stop, open tunnels (WebSockets) included
            self._process = None

    def stats(self) -> dict[str, dict[str, str]]:
        """`show stat` of the backend: one row per server (and BACKEND), by name."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.stats_socket))
            sock.sendall(b"show stat\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        text = b"".join(chunks).decode().lstrip("# ")
        return {row["svname"]: row for row in csv.DictReader(text.splitlines()) if row["pxname"] == "app"}

    def wait_for(self, server: str, status: str, timeout: float = 30.0) -> None:
        """Until HAProxy reports `server` as `status` (UP, DOWN); TopologyError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        seen = "?"
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise TopologyError(f"haproxy exited with {self._process.returncode}: {_tail(self._log)}")
            try:
                seen = self.stats()[server]["status"]
            except (OSError, KeyError):
                seen = "no stats yet"
            if seen.split()[0] == status:
                return
            time.sleep(0.05)
        raise TopologyError(f"HAProxy still sees server {server} as {seen!r} after {timeout} s, not {status}")


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
        inherited = {key: value for key, value in os.environ.items() if key.upper() not in _APP_VARIABLES}
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
    "PIN_HEADER",
    "SERVED_BY_HEADER",
    "HAProxy",
    "Instance",
    "RedisServer",
    "Topology",
    "TopologyError",
    "connect",
    "find_program",
    "free_port",
    "fresh_database",
    "local_tcp_ports",
    "migrate",
    "process_tree",
    "rss_bytes",
]
