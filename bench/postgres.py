"""PostgreSQL mode of `make bench`: the app on asyncpg with 1 and 2 uvicorn workers, each on a fresh database."""

from __future__ import annotations

import argparse
import os
import platform
import resource
import secrets
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
from sqlalchemy.engine import make_url

from bench import report, seed, wrk
from bench.pgdb import ThrowawayDatabase, connect
from bench.processes import ROOT, cpu_seconds, memory_kb
from bench.server import BenchError, Server, run_alembic, taskset

APP_TARGET = "impl.app:app"
# The maintenance database the bench only connects to; each measurement gets a database of its own next to it.
DEFAULT_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
RESULTS_PATH = Path(__file__).resolve().parent / "results" / "postgres-latest.json"
# PostgreSQL's own processes whose work a request causes (WAL flushes, dirty pages), besides the app's backends.
_SERVER_BACKENDS = ("walwriter", "checkpointer", "background writer")
WARMUP_S = 2
READ_ENDPOINTS = ("GET /items/{id}", "GET /items?limit=20")
SCALING_TARGET = 1.7


class ScratchDatabase(ThrowawayDatabase):
    """A fresh database `bench_<pid>_<random>` on the bench server (bench/pgdb.py), and the CPU time of the
    PostgreSQL processes that serve it. Use as a context manager: it is dropped when the block ends."""

    def __init__(self, admin_url: str) -> None:
        """Remember the server; nothing is created until open()."""
        super().__init__(admin_url, "bench")

    def open(self) -> None:
        """Drop what killed runs left behind, then create the database; BenchError if PostgreSQL refuses."""
        try:
            super().open()
        except (OSError, asyncpg.PostgresError) as exc:
            parts = make_url(self.server_url)
            raise BenchError(f"cannot create a database on PostgreSQL at {parts.host}:{parts.port}: {exc}") from exc

    def postgres_seconds(self) -> dict[int, float]:
        """CPU seconds so far of each backend connected to the database and of the WAL and page writers."""
        rows = self.run(self.guard.fetch(
            "SELECT pid FROM pg_stat_activity WHERE (datname = $1 AND pid <> pg_backend_pid())"
            " OR backend_type = ANY($2::text[])",
            self.name,
            list(_SERVER_BACKENDS),
        ))  # fmt: skip
        return {row["pid"]: cpu_seconds(row["pid"]) for row in rows}

    def sessions_opened(self) -> int:
        """Connections opened to the database so far (pg_stat_database.sessions; pool churn shows here)."""
        value = self.run(self.guard.fetchval("SELECT sessions FROM pg_stat_database WHERE datname = $1", self.name))
        return int(value or 0)

    def execute(self, sql: str) -> None:
        """Run SQL (several statements allowed) on the maintenance connection."""
        self.run(self.guard.execute(sql))

    def execute_inside(self, sql: str) -> None:
        """Run SQL (several statements allowed) in the scratch database, on a connection of its own."""

        async def run() -> None:
            conn = await connect(self.url, application_name="bench")
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        self.run(run())


@dataclass
class _CpuSnapshot:
    """Cumulative CPU seconds of the processes involved and of the whole machine, at one instant."""

    wall: float
    server: dict[int, float]
    postgres: dict[int, float]
    wrk: float
    machine_busy: float
    sessions: int

    @classmethod
    def take(cls, server_pids: list[int], database: ScratchDatabase) -> _CpuSnapshot:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has been waited for
        return cls(
            wall=time.monotonic(),
            server={pid: cpu_seconds(pid) for pid in server_pids},
            postgres=database.postgres_seconds(),
            wrk=children.ru_utime + children.ru_stime,
            machine_busy=_machine_busy_seconds(),
            sessions=database.sessions_opened(),
        )


def _machine_busy_seconds() -> float:
    """CPU seconds spent by every CPU outside idle and iowait since boot (/proc/stat)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def _cpu_shares(before: _CpuSnapshot, after: _CpuSnapshot, workers: list[int]) -> dict[str, Any]:
    """Cores used during the run by each party: the server (and each worker), wrk, PostgreSQL, anything else."""
    wall = after.wall - before.wall

    def cores(seconds: float) -> float:
        return round(seconds / wall, 3)

    server = sum(after.server[p] - before.server.get(p, 0.0) for p in after.server)
    postgres = sum(after.postgres[p] - before.postgres.get(p, 0.0) for p in after.postgres)
    busy = after.machine_busy - before.machine_busy
    return {
        "server": cores(server),
        "per_worker": [cores(after.server[p] - before.server.get(p, 0.0)) for p in workers],
        "wrk": cores(after.wrk - before.wrk),
        "postgres": cores(postgres),
        "other": cores(max(0.0, busy - server - postgres - (after.wrk - before.wrk))),
        "idle": round(max(0.0, (os.cpu_count() or 1) - busy / wall), 3),
        # Backends that started and ended within the run are missed above (their CPU lands in "other").
        "db_connections_opened": after.sessions - before.sessions,
    }


@dataclass
class WorkersRun:
    """One measurement of the app with a number of workers on a fresh database."""

    workers: int
    endpoints: dict[str, wrk.WrkResult] = field(default_factory=dict)
    cpu: dict[str, dict[str, Any]] = field(default_factory=dict)
    supervisor_kb: dict[str, int] = field(default_factory=dict)
    workers_kb: list[dict[str, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the run as plain JSON-able data."""
        return {
            "workers": self.workers,
            "endpoints": {name: r.as_dict() for name, r in self.endpoints.items()},
            "cpu_cores": self.cpu,
            "supervisor_rss_mb": _mb(self.supervisor_kb.get("VmRSS", 0)) if self.supervisor_kb else None,
            "worker_rss_mb": [_mb(kb.get("VmRSS", 0)) for kb in self.workers_kb],
            "worker_peak_rss_mb": [_mb(kb.get("VmHWM", 0)) for kb in self.workers_kb],
        }


def measure(
    workers: int, database: ScratchDatabase, workdir: Path, args: argparse.Namespace, wrk_bin: str
) -> WorkersRun:
    """Migrate the database, start the app with `workers` workers, seed it, run wrk on each endpoint; always stop."""
    from bench.run import endpoints  # bench.run imports this module lazily: no cycle at import time

    label = f"pg-{workers}w"
    metrics_dir = workdir / f"{label}-metrics"
    metrics_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "BENCH_AUTH_HEADER"}
    env.setdefault("MALLOC_MMAP_THRESHOLD_", "131072")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.pop("REDIS_URL", None)  # the measured endpoints never need it; it is not part of what is compared
    env.update(
        DATABASE_URL=database.url,
        WEB_CONCURRENCY=str(workers),
        # Several workers must verify each other's tokens; a new key per run, never written down.
        SECRET_KEY=secrets.token_urlsafe(32),
        # As `make serve` and the image run: the workers share their metrics through files.
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    print(f"[{label}] alembic upgrade head on {database.name}", flush=True)
    run_alembic(env)
    # Several workers import the app at once: on a busy machine that takes longer than the SQLite mode's 30 s.
    server = Server(
        APP_TARGET, env, workdir / f"{label}.log", workers=workers, cpus=args.server_cpus, ready_timeout_s=180
    )
    run = WorkersRun(workers)
    try:
        server.start()
        server.wait_ready({})
        headers = seed.sign_in(server.base_url)
        started = time.monotonic()
        ids = seed.seed(server.base_url, args.items, headers)
        print(f"[{label}] seeded {len(ids)} items in {time.monotonic() - started:.1f}s", flush=True)
        ids_file = workdir / f"{label}-ids.txt"
        ids_file.write_text("\n".join(map(str, ids)) + "\n")
        worker_pids = server.worker_pids()
        if len(worker_pids) != workers:
            raise BenchError(f"expected {workers} worker processes, found {worker_pids}:\n{server.log_tail()}")
        server_pids = sorted({server.proc.pid, *worker_pids}) if server.proc is not None else worker_pids
        for endpoint in endpoints(ids_file):
            sent = headers if endpoint.name.startswith("POST") else {}
            run_args = (wrk_bin, server.base_url, endpoint)
            prefix = taskset(args.wrk_cpus)
            wrk.run(*run_args, WARMUP_S, args.threads, args.connections, sent, prefix)
            before = _CpuSnapshot.take(server_pids, database)
            result = wrk.run(*run_args, args.duration, args.threads, args.connections, sent, prefix)
            after = _CpuSnapshot.take(server_pids, database)
            cpu = _cpu_shares(before, after, worker_pids)
            print(
                f"[{label}] {endpoint.name:<20} {result.requests_per_s:>9.1f} req/s  p50 {result.p50_ms:.2f} ms"
                f"  p99 {result.p99_ms:.2f} ms  cores: server {cpu['server']:.2f} {cpu['per_worker']}"
                f" wrk {cpu['wrk']:.2f} postgres {cpu['postgres']:.2f} other {cpu['other']:.2f}"
                f"  db connections opened {cpu['db_connections_opened']}",
                flush=True,
            )
            run.endpoints[endpoint.name] = result
            run.cpu[endpoint.name] = cpu
        if server.proc is not None and server.proc.poll() is not None:
            raise BenchError(f"{APP_TARGET} died during the run:\n{server.log_tail()}")
        run.workers_kb = [memory_kb(pid) for pid in worker_pids]
        if workers > 1 and server.proc is not None:
            run.supervisor_kb = memory_kb(server.proc.pid)
        return run
    finally:
        server.stop()


def main(args: argparse.Namespace, workdir: Path) -> int:
    """Measure every worker count `args.rounds` times (alternating the order); print and save the medians."""
    admin_url = args.postgres_url
    if make_url(admin_url).get_backend_name() != "postgresql":
        raise BenchError(f"--postgres-url must be a postgresql+asyncpg:// URL, got {admin_url!r}")
    wrk_bin = wrk.ensure_wrk()
    runs: list[WorkersRun] = []
    for round_index in range(args.rounds):
        order = args.workers if round_index % 2 == 0 else list(reversed(args.workers))
        for workers in order:
            print(f"\n== round {round_index + 1}/{args.rounds}: {workers} worker(s)", flush=True)
            with ScratchDatabase(admin_url) as database:
                rundir = workdir / f"round{round_index}"
                rundir.mkdir(exist_ok=True)
                runs.append(measure(workers, database, rundir, args, wrk_bin))
    rows = scaling_rows(runs, args.workers)
    results = scaling_checks(rows, args.workers)
    print("\n" + render(rows, runs, args, results))
    data: dict[str, Any] = {
        "meta": {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "database": "postgresql+asyncpg (a fresh database per run)",
            "duration_s": args.duration,
            "warmup_s": WARMUP_S,
            "threads": args.threads,
            "connections": args.connections,
            "seeded_items": args.items,
            "rounds": args.rounds,
            "server_cpus": args.server_cpus,
            "wrk_cpus": args.wrk_cpus,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "medians": rows,
        "runs": [run.as_dict() for run in runs],
        "checks": results,
    }
    report.write_json(args.output or RESULTS_PATH, data)
    print(f"\nresults written to {args.output or RESULTS_PATH}")
    return 0


def _mb(kb: int) -> float:
    """Convert kB to MB (MiB), rounded."""
    return round(kb / 1024, 1)


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def scaling_rows(runs: list[WorkersRun], counts: list[int]) -> list[dict[str, Any]]:
    """One row per endpoint: per worker count the median req/s, p50, p99 and req/s per server core; the ratio."""
    rows: list[dict[str, Any]] = []
    for name in runs[0].endpoints:
        row: dict[str, Any] = {"endpoint": name}
        for count in counts:
            mine = [run for run in runs if run.workers == count]
            row[f"{count}w"] = {
                "rps": _median([run.endpoints[name].requests_per_s for run in mine]),
                "p50_ms": _median([run.endpoints[name].p50_ms for run in mine]),
                "p99_ms": _median([run.endpoints[name].p99_ms for run in mine]),
                "server_cores": _median([run.cpu[name]["server"] for run in mine]),
                "rps_per_server_core": _median(
                    [run.endpoints[name].requests_per_s / max(run.cpu[name]["server"], 0.01) for run in mine]
                ),
                "wrk_cores": _median([run.cpu[name]["wrk"] for run in mine]),
                "postgres_cores": _median([run.cpu[name]["postgres"] for run in mine]),
                "other_cores": _median([run.cpu[name]["other"] for run in mine]),
                "idle_cores": _median([run.cpu[name]["idle"] for run in mine]),
                "db_connections_opened": _median([run.cpu[name]["db_connections_opened"] for run in mine]),
            }
        first, last = row[f"{counts[0]}w"], row[f"{counts[-1]}w"]
        row["ratio"] = round(last["rps"] / first["rps"], 2) if first["rps"] else 0.0
        rows.append(row)
    return rows


def scaling_checks(rows: list[dict[str, Any]], counts: list[int]) -> list[dict[str, Any]]:
    """The issue's target: the most workers reach >= 1.7x one worker on the read endpoints (PASS/MISS)."""
    if counts[0] != 1 or len(counts) < 2:
        return []
    out = []
    for row in rows:
        if row["endpoint"] in READ_ENDPOINTS:
            ok = row["ratio"] >= SCALING_TARGET
            out.append(
                {
                    "check": f"{row['endpoint']} {counts[-1]} workers / 1 worker",
                    "value": row["ratio"],
                    "target": f">= {SCALING_TARGET:g}",
                    "status": "PASS" if ok else "MISS",
                }
            )
    return out


def render(
    rows: list[dict[str, Any]], runs: list[WorkersRun], args: argparse.Namespace, results: list[dict[str, Any]]
) -> str:
    """Return the human-readable report of the PostgreSQL mode."""
    counts: list[int] = args.workers
    header = ["endpoint"]
    for count in counts:
        header += [f"{count}w req/s", f"{count}w p50 ms", f"{count}w p99 ms", f"{count}w req/s/core"]
    header.append(f"{counts[-1]}w/{counts[0]}w")
    table = [header]
    for row in rows:
        cells = [row["endpoint"]]
        for count in counts:
            r = row[f"{count}w"]
            cells += [f"{r['rps']:.1f}", f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}", f"{r['rps_per_server_core']:.0f}"]
        cells.append(f"{row['ratio']:.2f}")
        table.append(cells)
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = [
        f"PostgreSQL (asyncpg), medians of {args.rounds} round(s), each run on a fresh database; "
        f"{args.connections} connections, {args.threads} wrk threads, {args.duration} s per endpoint; "
        f"server CPUs {args.server_cpus or 'any'}, wrk CPUs {args.wrk_cpus or 'any'}, {os.cpu_count()} CPUs in all",
        "",
    ]
    lines += [
        " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True)))
        for line in table
    ]
    lines.insert(3, "-+-".join("-" * w for w in widths))
    lines.append("")
    lines.append("CPU cores used during each run (req/s/core above = req/s per core the server used):")
    for row in rows:
        for count in counts:
            r = row[f"{count}w"]
            lines.append(
                f"  {row['endpoint']:<20} {count}w: server {r['server_cores']:.2f}, wrk {r['wrk_cores']:.2f}, "
                f"postgres {r['postgres_cores']:.2f}, others {r['other_cores']:.2f}, idle {r['idle_cores']:.2f}; "
                f"{r['db_connections_opened']:.0f} database connections opened"
            )
    lines.append("")
    for count in counts:
        mine = [run.as_dict() for run in runs if run.workers == count]
        rss = [mb for run in mine for mb in run["worker_rss_mb"]]
        peak = [mb for run in mine for mb in run["worker_peak_rss_mb"]]
        supervisor = [run["supervisor_rss_mb"] for run in mine if run["supervisor_rss_mb"] is not None]
        line = f"RSS {count} worker(s): per worker after load median {_median(rss)} MB, peak max {max(peak)} MB"
        if supervisor:
            line += f"; supervisor {_median(supervisor)} MB"
        lines.append(line)
    if results:
        lines.append("")
        lines.append("Issue 10 target (2 workers on 2 cores shared with wrk and PostgreSQL: see bench/README.md):")
        for c in results:
            lines.append(f"  [{c['status']}] {c['check']}: {c['value']} (target {c['target']})")
    return "\n".join(lines)
