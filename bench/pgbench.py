"""PostgreSQL's write ceiling on this machine: pgbench's TPC-B-like run and an item insert, on a scratch database.

`python -m bench.pgbench` creates a database next to BENCH_POSTGRES_URL's, loads pgbench's tables (`-i -s SCALE`),
runs each script at each client count for DURATION seconds (`-M prepared`, as asyncpg sends statements), drops the
database, and prints the median transactions per second and latency of the rounds.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench import report
from bench.postgres import DEFAULT_ADMIN_URL, ScratchDatabase
from bench.server import BenchError

RESULTS_PATH = Path(__file__).resolve().parent / "results" / "pgbench-latest.json"
# The row and indexes of POST /items (impl/tables.py's items, without the foreign key): one INSERT per transaction,
# committed with the server's synchronous_commit, as the app commits each write.
ITEMS_TABLE = """
CREATE TABLE bench_items (
    id bigserial PRIMARY KEY,
    name varchar(100) NOT NULL,
    description varchar(300),
    price double precision NOT NULL,
    tax double precision,
    tags jsonb NOT NULL,
    images jsonb NOT NULL,
    owner_id bigint NOT NULL,
    version integer NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX bench_items_name ON bench_items (name);
CREATE INDEX bench_items_owner ON bench_items (owner_id);
"""
INSERT_SCRIPT = """\\set owner random(1, 1000)
INSERT INTO bench_items (name, description, price, tax, tags, images, owner_id, version, created_at, updated_at)
VALUES ('bench item', 'made by pgbench', 9.99, 0.5, '["bench"]', '[]', :owner, 1, now(), now()) RETURNING id;
"""
_TPS_RE = re.compile(r"^tps = ([\d.]+) \(without initial connection time\)", re.MULTILINE)
_LATENCY_RE = re.compile(r"^latency average = ([\d.]+) ms", re.MULTILINE)
_FAILED_RE = re.compile(r"^number of failed transactions: (\d+)", re.MULTILINE)


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.pgbench", description=__doc__)
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL))
    parser.add_argument("--scale", type=int, default=10, help="pgbench -i -s (10: 1 million accounts)")
    parser.add_argument("--duration", type=int, default=30, help="seconds per run")
    parser.add_argument("--clients", type=lambda v: [int(n) for n in v.split(",")], default="8,16,32")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="pgbench -j")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    args = parser.parse_args(argv)
    if min(args.clients) < 1 or args.duration < 1 or args.scale < 1 or args.rounds < 1:
        parser.error("--clients, --duration, --scale and --rounds must be >= 1")
    return args


def _pgbench(args: argparse.Namespace, database: str, *extra: str, timeout: float) -> str:
    """Run pgbench against `database`; return its standard output, fail on a non-zero exit."""
    binary = shutil.which("pgbench")
    if binary is None:
        raise BenchError("pgbench not found: install Debian's postgresql-client (or postgresql-contrib)")
    url = make_url(args.postgres_url)
    cmd = [binary, "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    env = {**os.environ, "PGPASSWORD": url.password or ""} if url.password else dict(os.environ)
    proc = subprocess.run(
        [*cmd, *extra, database], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    if proc.returncode != 0:
        raise BenchError(f"pgbench {' '.join(extra)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def _parse(output: str) -> dict[str, float]:
    tps, latency, failed = _TPS_RE.search(output), _LATENCY_RE.search(output), _FAILED_RE.search(output)
    if tps is None or latency is None:
        raise BenchError(f"cannot parse pgbench output:\n{output}")
    if failed is not None and int(failed.group(1)):
        raise BenchError(f"pgbench reported failed transactions:\n{output}")
    return {"tps": float(tps.group(1)), "latency_ms": float(latency.group(1))}


def main(argv: list[str] | None = None) -> int:
    """Run every script at every client count; print and save the medians."""
    args = _args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="pgbench-"))
    script = workdir / "insert_item.sql"
    script.write_text(INSERT_SCRIPT)
    runs: dict[str, dict[int, list[dict[str, float]]]] = {"tpcb-like": {}, "insert item": {}}
    try:
        with ScratchDatabase(args.postgres_url) as database:
            started = time.monotonic()
            _pgbench(args, database.name, "-i", "-q", "-s", str(args.scale), timeout=600)
            database.execute_inside(ITEMS_TABLE)
            print(f"pgbench -i -s {args.scale} on {database.name}: {time.monotonic() - started:.0f}s", flush=True)
            for round_index in range(args.rounds):
                for clients in args.clients:
                    common = ["-M", "prepared", "-c", str(clients), "-j", str(min(args.threads, clients))]
                    common += ["-T", str(args.duration)]
                    for name, extra in (("tpcb-like", ["-b", "tpcb-like"]), ("insert item", ["-n", "-f", str(script)])):
                        result = _parse(_pgbench(args, database.name, *common, *extra, timeout=args.duration + 120))
                        runs[name].setdefault(clients, []).append(result)
                        print(
                            f"[round {round_index + 1}] {name:<12} {clients:>3} clients: {result['tps']:>9.1f} tps"
                            f"  latency {result['latency_ms']:.2f} ms",
                            flush=True,
                        )
    except BenchError as exc:
        print(f"\nPGBENCH FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    medians = {
        name: {
            str(clients): {key: round(statistics.median(r[key] for r in results), 2) for key in ("tps", "latency_ms")}
            for clients, results in by_clients.items()
        }
        for name, by_clients in runs.items()
    }
    print(f"\nmedians of {args.rounds} round(s), {args.duration} s each, scale {args.scale}, {os.cpu_count()} CPUs:")
    for name, by_clients in medians.items():
        for clients, m in by_clients.items():
            print(f"  {name:<12} {clients:>3} clients: {m['tps']:>9.1f} tps  latency {m['latency_ms']:.2f} ms")
    data: dict[str, Any] = {
        "meta": {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "scale": args.scale,
            "duration_s": args.duration,
            "rounds": args.rounds,
            "threads": args.threads,
            "cpus": os.cpu_count(),
        },
        "medians": medians,
    }
    report.write_json(args.output, data)
    print(f"\nresults written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
