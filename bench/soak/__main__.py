"""`make soak`: mixed traffic through HAProxy to two instances, one SIGKILLed and restarted mid-run, then the checks.

`python -m bench.soak [--seconds N] [--users N]` (environment: SOAK_SECONDS, SOAK_USERS, SOAK_WORKERS, SOAK_KILL_AT,
SOAK_DOWN_SECONDS, SOAK_RSS_GROWTH_MB, SOAK_POSTGRES_URL). Prints a table of figures and exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.processes import ROOT, TopologyError
from bench.soak.ledger import Ledger
from bench.soak.verify import Check, KillWindow, client_checks, connection_checks, ledger_checks
from bench.topology import DEFAULT_POSTGRES_URL, Topology, fresh_database, migrate

MIB = 1024 * 1024
# Every virtual user reaches the app from 127.0.0.1 through HAProxy: one client address for all of them, so the
# per-address sign-up limit (10 an hour, a protection for the real world) is lifted for the run.
SOAK_ENV = {"ENVIRONMENT": "production", "SIGNUPS_PER_ADDRESS": str(10**6), "LOG_LEVEL": "WARNING"}


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value.strip() else default


@dataclass
class RssSampler:
    """Samples each instance's resident memory (all its processes) every `interval` seconds in a thread."""

    topology: Topology
    interval: float = 1.0
    samples: dict[str, list[tuple[float, int, int]]] = field(default_factory=dict)  # name -> (time, start, rss)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for name, instance in self.topology.instances.items():
                rss = instance.rss() if instance.ready else 0
                if rss:
                    self.samples.setdefault(name, []).append((time.time(), instance.starts, rss))


@dataclass(frozen=True)
class RssSeries:
    """One life of one instance: memory after the warm-up, at the end, and at its highest."""

    label: str
    warm: int
    final: int
    peak: int
    seconds: float


def rss_series(sampler: RssSampler, warmup: float) -> list[RssSeries]:
    """Per instance and start: the first sample `warmup` seconds into that life, the last one, the peak."""
    series = []
    for name, samples in sorted(sampler.samples.items()):
        for start in sorted({s for _, s, _ in samples}):
            life = [(at, rss) for at, s, rss in samples if s == start]
            first = life[0][0]
            warm = next(((at, rss) for at, rss in life if at - first >= warmup), life[-1])
            label = f"instance {name}" + (
                f" (life {start})" if start > 1 or len({s for _, s, _ in samples}) > 1 else ""
            )
            series.append(RssSeries(label, warm[1], life[-1][1], max(rss for _, rss in life), life[-1][0] - warm[0]))
    return series


def rss_checks(series: list[RssSeries], growth_limit_mib: float) -> list[Check]:
    checks = []
    for s in series:
        growth = (s.final - s.warm) / MIB
        figure = (
            f"{s.warm / MIB:.0f} MiB after warm-up -> {s.final / MIB:.0f} MiB at the end ({growth:+.1f} MiB over "
            f"{s.seconds:.0f} s), peak {s.peak / MIB:.0f} MiB"
        )
        # A life too short to say anything about growth (the killed instance's) is reported, not judged.
        checks.append(Check(f"RSS {s.label}", figure, s.seconds < 10 or growth <= growth_limit_mib))
    return checks


def haproxy_figures(topology: Topology, served_before_restart: int) -> list[Check]:
    stats = topology.haproxy.stats()
    lines = [
        Check(
            "server a after its restart (load permitting)",
            f"{int(stats['a']['stot']) - served_before_restart} requests",
            True,
        )
    ]
    for name in (*topology.instances, "BACKEND"):
        row = stats[name]
        lines.append(
            Check(
                f"HAProxy {name.lower() if name == 'BACKEND' else 'server ' + name}",
                f"{row['stot']} requests, {row['hrsp_5xx']} 5xx, {row['wretr']} retries, {row['wredis']} redispatches,"
                f" {row['econ']} connection errors, {row['eresp']} response errors, down {row['downtime'] or 0} s",
                True,
            )
        )
    return lines


def _wait_for_start(marker: Path, load: subprocess.Popen[bytes], timeout: float = 120.0) -> float:
    """When the load process had every user running (it writes the time to `marker`)."""
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if load.poll() is not None or time.monotonic() > deadline:
            raise TopologyError(
                f"the load did not start ({load.poll()}): {(marker.parent / 'load.log').read_text()[-3000:]}"
            )
        time.sleep(0.1)
    return float(marker.read_text())


def print_report(title: str, sections: list[tuple[str, list[Check]]]) -> None:
    width = max(len(check.name) for _, checks in sections for check in checks)
    print(f"\n{title}")
    for heading, checks in sections:
        print(f"\n  {heading}")
        for check in checks:
            print(f"  {'ok  ' if check.ok else 'FAIL'}  {check.name:<{width}}  {check.figure}")
    print()


@dataclass(frozen=True)
class Kill:
    killed_at: float
    back_at: float
    served_before_restart: int


def _load_with_a_kill(topology: Topology, args: argparse.Namespace, out: Path, run_id: str) -> Kill:
    """Run the load process; SIGKILL instance a `kill_at` into it and restart it `down` seconds later. Returns
    once the load process has written its ledger."""
    command = [
        sys.executable, "-m", "bench.soak.load", "--host", topology.url, "--users", str(args.users),
        "--seconds", str(args.seconds), "--out", str(out), "--run", run_id,
    ]  # fmt: skip
    with (out / "load.log").open("wb") as log:
        load = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        started = _wait_for_start(out / "started", load)
        time.sleep(max(0.0, started + args.seconds * args.kill_at - time.time()))
        in_flight = topology.haproxy.stats()["a"]["scur"]
        killed_at = time.time()
        topology.instances["a"].kill()
        print(f"  {killed_at - started:5.1f} s  SIGKILL instance a ({in_flight} requests in flight on it)", flush=True)
        time.sleep(args.down)
        topology.restart("a")
        back_at = time.time()
        served = int(topology.haproxy.stats()["a"]["stot"])
        print(f"  {back_at - started:5.1f} s  instance a restarted and UP in HAProxy", flush=True)
        load.wait(timeout=args.seconds + 180)
        print(f"  {time.time() - started:5.1f} s  load stopped", flush=True)
    finally:
        if load.poll() is None:
            load.kill()
            load.wait()
    if load.returncode != 0 or not (out / "ledger.json").exists():
        raise TopologyError(f"the load process failed ({load.returncode}): {(out / 'load.log').read_text()[-3000:]}")
    return Kill(killed_at, back_at, served)


def soak(args: argparse.Namespace) -> int:
    out = Path(args.out).resolve() / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    run_id = secrets.token_hex(3)
    kill_after = args.seconds * args.kill_at
    print(
        f"soak {run_id}: {args.users} users for {args.seconds:.0f} s through HAProxy to 2 instances x {args.workers} "
        f"worker(s); instance a SIGKILLed at {kill_after:.0f} s, restarted {args.down:.0f} s later; logs in {out}",
        flush=True,
    )
    with fresh_database(args.postgres_url) as database_url:
        print(f"  database {database_url.rsplit('/', 1)[1]} (dropped at the end)", flush=True)
        migrate(database_url, out / "alembic.log")
        with Topology(database_url, out, env=SOAK_ENV, workers=args.workers) as topology:
            sampler = RssSampler(topology)
            sampler.start()
            ledger_path, stats_path = out / "ledger.json", out / "locust.json"
            kill = _load_with_a_kill(topology, args, out, run_id)
            sampler.stop()
            (out / "rss.json").write_text(json.dumps(sampler.samples))
            time.sleep(2)  # let keep-alive connections and pools settle before counting connections
            ledger = Ledger.load(ledger_path)
            stats = json.loads(stats_path.read_text())
            window = KillWindow(kill.killed_at, kill.back_at)
            sections = [
                ("writes: client ledger vs database", asyncio.run(ledger_checks(database_url, ledger))),
                ("answers", client_checks(ledger, window)),
                ("connections after the load", asyncio.run(connection_checks(topology, database_url, args.workers))),
                (
                    "memory (RSS of each instance, all its processes)",
                    rss_checks(rss_series(sampler, args.warmup), args.rss_growth_mb),
                ),
                ("HAProxy", haproxy_figures(topology, kill.served_before_restart)),
                ("load (Locust)", _load_figures(stats, ledger)),
            ]
    print_report(f"soak {run_id}: {'PASS' if all(c.ok for _, cs in sections for c in cs) else 'FAIL'}", sections)
    return 0 if all(check.ok for _, checks in sections for check in checks) else 1


def _load_figures(stats: dict[str, object], ledger: Ledger) -> list[Check]:
    seconds = float(stats["stopped"]) - float(stats["started"])  # type: ignore[arg-type]
    return [
        Check(
            "requests",
            f"{stats['requests']} in {seconds:.0f} s ({stats['rps']:.0f}/s), p50 {stats['p50_ms']:.0f} ms, "
            f"p99 {stats['p99_ms']:.0f} ms; {ledger.reads} reads checked; "
            f"{ledger.retried_operations} operations retried",
            True,
        ),
        Check("status codes", ", ".join(f"{k}: {v}" for k, v in sorted(ledger.statuses.items())), True),
        Check("users still busy when stopped", str(stats["stragglers"]), stats["stragglers"] == 0),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=_env_float("SOAK_SECONDS", 120))
    parser.add_argument("--users", type=int, default=int(_env_float("SOAK_USERS", 32)))
    parser.add_argument(
        "--workers", type=int, default=int(_env_float("SOAK_WORKERS", 1)), help="uvicorn workers per instance"
    )
    parser.add_argument("--kill-at", type=float, default=_env_float("SOAK_KILL_AT", 0.4), help="fraction of the run")
    parser.add_argument(
        "--down", type=float, default=_env_float("SOAK_DOWN_SECONDS", 3), help="seconds before the restart"
    )
    parser.add_argument("--warmup", type=float, default=_env_float("SOAK_WARMUP_SECONDS", 15))
    parser.add_argument("--rss-growth-mb", type=float, default=_env_float("SOAK_RSS_GROWTH_MB", 32))
    parser.add_argument("--postgres-url", default=os.environ.get("SOAK_POSTGRES_URL") or DEFAULT_POSTGRES_URL)
    parser.add_argument("--out", default=os.environ.get("SOAK_OUT", str(ROOT / "build" / "soak")))
    sys.exit(soak(parser.parse_args()))


if __name__ == "__main__":
    main()
