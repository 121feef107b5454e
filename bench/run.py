"""Entry point of `make bench`: measure the app and the ceiling with wrk, print and save the comparison.

`--db postgres` (BENCH_DB=postgres) measures the app on PostgreSQL with 1 and 2 workers instead (bench/postgres.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report, seed, wrk
from bench.server import ROOT, BenchError, Server, memory_kb, run_alembic

CEILING_TARGET = "bench.ceiling:app"
RESULTS_PATH = Path(__file__).resolve().parent / "results" / "latest.json"
WARMUP_S = 2


def _auth_headers() -> dict[str, str]:
    """Parse BENCH_AUTH_HEADER ("Name: value") into headers for app requests."""
    raw = os.environ.get("BENCH_AUTH_HEADER", "").strip()
    if not raw:
        return {}
    name, sep, value = raw.partition(":")
    if not sep or not name.strip():
        raise BenchError(f"BENCH_AUTH_HEADER must look like 'Name: value', got {raw!r}")
    return {name.strip(): value.strip()}


def _args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line; defaults come from BENCH_* environment variables."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--app-target",
        default=os.environ.get("BENCH_APP_TARGET", "impl.app:app"),
        help=f"ASGI target of the app side (default impl.app:app; {CEILING_TARGET} skips alembic to test the harness)",
    )
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", "10")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", "2")))
    parser.add_argument("--connections", type=int, default=int(os.environ.get("BENCH_CONNECTIONS", "32")))
    parser.add_argument("--items", type=int, default=int(os.environ.get("BENCH_ITEMS", "1000")))
    parser.add_argument("--output", type=Path, default=None, help=f"default {RESULTS_PATH} (SQLite)")
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgres"),
        default=os.environ.get("BENCH_DB", "sqlite"),
        help="sqlite: the app vs the ceiling, one worker; postgres: the app on asyncpg with each --workers count",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=int(os.environ["BENCH_ROUNDS"]) if os.environ.get("BENCH_ROUNDS") else None,
        help="measurements per target (SQLite, default 1: app then ceiling, alternating after) or per worker count "
        "(PostgreSQL, default 3); the report gives medians",
    )
    postgres = parser.add_argument_group("PostgreSQL mode")
    postgres.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"),
        help="a database to connect to; each run creates and drops a database of its own next to it",
    )
    postgres.add_argument(
        "--workers",
        type=lambda v: [int(n) for n in v.split(",")],
        default=os.environ.get("BENCH_WORKERS", "1,2"),
        help="uvicorn worker counts to compare, comma-separated (default 1,2)",
    )
    postgres.add_argument(
        "--server-cpus", default=os.environ.get("BENCH_SERVER_CPUS") or None, help="taskset CPU list for the server"
    )
    postgres.add_argument(
        "--wrk-cpus", default=os.environ.get("BENCH_WRK_CPUS") or None, help="taskset CPU list for wrk"
    )
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 3 if args.db == "postgres" else 1
    if args.duration < 1 or args.items < 1:
        parser.error("--duration and --items must be >= 1")
    if args.rounds < 1 or not args.workers or min(args.workers) < 1:
        parser.error("--rounds and every --workers count must be >= 1")
    return args


def endpoints(ids_file: Path) -> list[wrk.Endpoint]:
    """Return the measured endpoints, POST last so the GETs see the seeded data only."""
    return [
        wrk.Endpoint("GET /items/{id}", "/items", wrk.LUA_DIR / "get_item.lua", (str(ids_file),)),
        wrk.Endpoint("GET /items?limit=20", "/items?limit=20"),
        wrk.Endpoint("POST /items", "/items", wrk.LUA_DIR / "post_item.lua"),
    ]


def _measure(
    label: str, target: str, workdir: Path, args: argparse.Namespace, wrk_bin: str, headers: dict[str, str]
) -> report.TargetResult:
    """Start one target, seed it, run wrk on each endpoint and read its memory; always stop it."""
    env = {k: v for k, v in os.environ.items() if k != "BENCH_AUTH_HEADER"}
    # Both targets as deployed: a fixed glibc mmap threshold hands argon2's 19 MiB buffers back to the OS
    # (otherwise the adaptive threshold keeps them resident after the first login: +22 MB RSS).
    env.setdefault("MALLOC_MMAP_THRESHOLD_", "131072")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    db = workdir / f"{label}.db"
    if target.startswith("bench.ceiling"):
        env["CEILING_DB"] = str(db)
    else:
        env["DATABASE_URL"] = f"sqlite+aiosqlite:///{db}"
        print(f"[{label}] alembic upgrade head", flush=True)
        run_alembic(env)
    server = Server(target, env, workdir / f"{label}.log")
    try:
        server.start()
        server.wait_ready(headers)
        if not headers and not target.startswith("bench.ceiling"):
            headers = seed.sign_in(server.base_url)
        started = time.monotonic()
        ids = seed.seed(server.base_url, args.items, headers)
        print(f"[{label}] {target} on {server.base_url}: seeded {len(ids)} items in {time.monotonic() - started:.1f}s")
        ids_file = workdir / f"{label}-ids.txt"
        ids_file.write_text("\n".join(map(str, ids)) + "\n")
        idle = memory_kb(server.serving_pid())
        results: dict[str, wrk.WrkResult] = {}
        for endpoint in endpoints(ids_file):
            run_args = (wrk_bin, server.base_url, endpoint)
            # Reads are anonymous, as a public catalogue's readers are; writes carry the bearer token.
            sent = headers if endpoint.name.startswith("POST") else {}
            wrk.run(*run_args, WARMUP_S, args.threads, args.connections, sent)
            result = wrk.run(*run_args, args.duration, args.threads, args.connections, sent)
            errors = {k: v for k, v in result.socket_errors.items() if v}
            print(
                f"[{label}] {endpoint.name:<20} {result.requests_per_s:>9.1f} req/s  p50 {result.p50_ms:.2f} ms"
                f"  p99 {result.p99_ms:.2f} ms" + (f"  socket errors {errors}" if errors else ""),
                flush=True,
            )
            results[endpoint.name] = result
        if server.proc is not None and server.proc.poll() is not None:
            raise BenchError(f"{target} died during the run:\n{server.log_tail()}")
        return report.TargetResult(label, target, results, memory_kb(server.serving_pid()), idle)
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the whole benchmark; return the process exit code."""
    args = _args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    if args.db == "postgres":
        from bench import postgres  # imports asyncpg; the SQLite mode does without

        try:
            return postgres.main(args, workdir)
        except BenchError as exc:
            print(f"\nBENCH FAILED: {exc}", file=sys.stderr)
            return 1
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    try:
        headers = _auth_headers()
        wrk_bin = wrk.ensure_wrk()
        apps: list[report.TargetResult] = []
        ceilings: list[report.TargetResult] = []
        for index in range(args.rounds):
            # The VM's speed drifts over a run: alternating the order pairs each app round with a ceiling
            # measured next to it, and the ratio is taken per round.
            order = ("app", "ceiling") if index % 2 == 0 else ("ceiling", "app")
            suffix = f"#{index + 1}" if args.rounds > 1 else ""
            for side in order:
                if side == "app":
                    apps.append(_measure(f"app{suffix}", args.app_target, workdir, args, wrk_bin, headers))
                else:
                    ceilings.append(_measure(f"ceiling{suffix}", CEILING_TARGET, workdir, args, wrk_bin, {}))
    except BenchError as exc:
        print(f"\nBENCH FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    app, ceiling = report.median_result(apps), report.median_result(ceilings)
    rows = report.paired_comparison(apps, ceilings)
    results = report.checks(rows, app)
    if args.rounds > 1:
        print(f"\nmedians of {args.rounds} rounds; the ratio is the median of each round's own ratio")
    print("\n" + report.render(rows, app, ceiling, results))
    data: dict[str, Any] = {
        "meta": {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "duration_s": args.duration,
            "warmup_s": WARMUP_S,
            "threads": args.threads,
            "connections": args.connections,
            "seeded_items": args.items,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "auth_header": bool(headers),
            "rounds": args.rounds,
        },
        "app": app.as_dict(),
        "ceiling": ceiling.as_dict(),
        "comparison": rows,
        "per_round": [{"app": a.as_dict(), "ceiling": c.as_dict()} for a, c in zip(apps, ceilings, strict=True)],
        "checks": results,
    }
    output = args.output or RESULTS_PATH
    report.write_json(output, data)
    print(f"\nresults written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
