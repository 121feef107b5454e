"""A private PostgreSQL cluster (`initdb` + `pg_ctl` in a temporary directory) that a test may stop and start.

The shared test server must never be stopped, so outage tests run their own: Debian's binaries, a free port on
127.0.0.1, trust authentication, durability off (nothing here must survive the test). PostgreSQL refuses to run
as root, so when the tests are root the cluster runs as an unprivileged account that owns its directory.
`pgbouncer()` puts a real PgBouncer (transaction pooling) in front of a cluster.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.processes import children
from tests.contract.live_server import free_port

# Debian's layout: /usr/lib/postgresql/<major>/bin; the newest major wins.
POSTGRES_LIB = Path("/usr/lib/postgresql")
START_TIMEOUT_SECONDS = 30
# The accounts a root test run hands the cluster to, in order of preference.
UNPRIVILEGED_ACCOUNTS = ("postgres", "nobody")


def postgres_bin_dir() -> Path | None:
    """The directory holding `initdb` and `pg_ctl` (the newest installed major), or None."""
    for directory in sorted(POSTGRES_LIB.glob("*/bin"), key=_major, reverse=True):
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    return None


def _major(path: Path) -> int:
    version = path.parent.name
    return int(version) if version.isdigit() else -1


def require_postgres_binaries() -> Path:
    """The binaries' directory; skip locally, fail in CI (`CI=true`) when PostgreSQL is not installed."""
    directory = postgres_bin_dir()
    if directory is not None:
        return directory
    message = f"PostgreSQL's initdb and pg_ctl are not installed ({POSTGRES_LIB}/<major>/bin or PATH)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a missing service is a failure)")
    pytest.skip(message)


def unprivileged_prefix() -> list[str]:
    """The command prefix that runs a server as an unprivileged account when we are root (else nothing); setpriv
    execs the server itself, so its pid is the server's and signals reach it."""
    if os.geteuid() != 0:
        return []
    account = unprivileged_account()
    return ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--init-groups"]


def unprivileged_account() -> pwd.struct_passwd:
    """The account root hands servers to: `postgres` where PostgreSQL is installed, else `nobody`."""
    for name in UNPRIVILEGED_ACCOUNTS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError(f"none of the accounts {UNPRIVILEGED_ACCOUNTS} exists to run servers as")


def owned_temp_dir(prefix: str) -> Path:
    """A new directory in the system temp dir that the server account may write (root's pytest tmp_path is 0700)."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        account = unprivileged_account()
        os.chown(directory, account.pw_uid, account.pw_gid)
    return directory


class PostgresCluster:
    """One cluster in its own directory, on its own port; `stop()` and `start()` keep the data and the port."""

    def __init__(self, bin_dir: Path, workdir: Path) -> None:
        self.bin_dir = bin_dir
        self.workdir = workdir
        self.data = workdir / "data"
        self.log = workdir / "postgres.log"
        self.port = free_port()
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"
        self._prefix = unprivileged_prefix()

    def _run(self, *args: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
        command = [*self._prefix, str(self.bin_dir / args[0]), *args[1:]]
        done = subprocess.run(command, cwd=self.workdir, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            tail = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")

    def initialise(self) -> None:
        """`initdb` (trust authentication, no fsync) and a configuration for loopback only on `self.port`."""
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.workdir}'",  # never the system's /var/run/postgresql
            # No flush to disk (a machine crash is not under test), but a commit reaches the WAL in the OS before it
            # is acknowledged: a killed server (`stop("immediate")`) keeps every acknowledged write, as in production.
            "fsync": "off",
            "full_page_writes": "off",
            "shared_buffers": "16MB",
            "max_connections": "40",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(START_TIMEOUT_SECONDS))

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` ends every session at once (as a shutdown does), `immediate` as a crash would."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", str(START_TIMEOUT_SECONDS))

    def freeze(self) -> None:
        """SIGSTOP the postmaster and every backend: the server keeps its sockets open and answers nothing (a hung
        host, a network that drops packets) — the fault only client-side timeouts bound."""
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT what `freeze` stopped."""
        self._signal(signal.SIGCONT)

    def _signal(self, signum: signal.Signals) -> None:
        for pid in self._processes():
            with contextlib.suppress(ProcessLookupError):  # a backend that ended since we listed it
                os.kill(pid, signum)

    def _processes(self) -> list[int]:
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        return [postmaster, *children(postmaster)]

    @property
    def running(self) -> bool:
        """Whether the postmaster runs (its pid file exists)."""
        return (self.data / "postmaster.pid").exists()


@contextlib.contextmanager
def private_postgres() -> Iterator[PostgresCluster]:
    """A started private cluster; stopped and its directory removed when the block ends, whatever happened."""
    bin_dir = require_postgres_binaries()
    workdir = owned_temp_dir("contract-api-pg-")
    try:
        cluster = PostgresCluster(bin_dir, workdir)
        cluster.initialise()
        cluster.start()
        try:
            yield cluster
        finally:
            if cluster.running:
                cluster.thaw()  # a stopped process would not see pg_ctl's signal
                cluster.stop("immediate")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def require_binary(name: str) -> str:
    """The path of executable `name`; skip locally, fail in CI (`CI=true`) when it is not installed."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found:
        return found
    message = f"{name} is not installed (Debian package {name})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a missing service is a failure)")
    pytest.skip(message)


@contextlib.contextmanager
def pgbouncer(cluster: PostgresCluster, *, pool_size: int = 2) -> Iterator[str]:
    """PgBouncer in transaction pooling mode in front of `cluster`, `pool_size` server connections at most; yields
    its SQLAlchemy URL. Stopped and its directory removed when the block ends."""
    binary = require_binary("pgbouncer")
    workdir = owned_temp_dir("contract-api-pgbouncer-")
    port = free_port()
    config = workdir / "pgbouncer.ini"
    config.write_text(
        f"""[databases]
app = host=127.0.0.1 port={cluster.port} dbname=postgres user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 200
logfile = {workdir / "pgbouncer.log"}
"""
    )
    process = subprocess.Popen(
        [*unprivileged_prefix(), binary, str(config)], cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        _wait_for_port(port, process, workdir / "pgbouncer.log")
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/app"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}: {log.read_text()[-2000:] if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {START_TIMEOUT_SECONDS} s")
