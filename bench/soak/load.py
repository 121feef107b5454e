"""The soak's load process: Locust runs the virtual users of `bench.soak.traffic` for the run's time, then the
clients' ledger and Locust's figures are written.

Run by `bench.soak` as a process of its own (Locust patches the process for gevent):
`python -m bench.soak.load --host URL --users N --seconds S --out DIR --run ID`.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import gevent  # type: ignore[import-untyped]  # gevent ships no type information
from locust.env import Environment

from bench.soak.outcomes import RETRY_BUDGET_SECONDS
from bench.soak.traffic import LEDGER, SoakUser


def run(host: str, users: int, seconds: float, out: Path, run_id: str) -> None:
    """Run the users for `seconds` once all are spawned (the time is written to `out/started`), let each finish the
    operation it is in, then write `out/ledger.json` and Locust's figures to `out/locust.json`."""
    LEDGER.run = run_id
    env = Environment(user_classes=[SoakUser], host=host)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    assert runner.spawning_greenlet is not None
    runner.spawning_greenlet.join()
    started = time.time()
    (out / "started").write_text(str(started))
    gevent.sleep(seconds)
    SoakUser.stopping = True
    deadline = time.monotonic() + RETRY_BUDGET_SECONDS + 30
    while runner.user_count > 0 and time.monotonic() < deadline:
        gevent.sleep(0.2)
    stragglers = runner.user_count
    runner.quit()
    LEDGER.dump(out / "ledger.json")
    total = env.stats.total
    stats = {
        "started": started,
        "stopped": time.time(),
        "stragglers": stragglers,
        "requests": total.num_requests,
        "failures": total.num_failures,
        "rps": total.num_requests / max(time.time() - started, 1e-9),
        "p50_ms": total.get_response_time_percentile(0.5),
        "p99_ms": total.get_response_time_percentile(0.99),
        "operations": {
            name: {
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "p50_ms": entry.get_response_time_percentile(0.5),
                "p99_ms": entry.get_response_time_percentile(0.99),
            }
            for (name, _method), entry in sorted(env.stats.entries.items())
        },
    }
    (out / "locust.json").write_text(json.dumps(stats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True, help="directory for started, ledger.json, locust.json")
    parser.add_argument("--run", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    run(args.host, args.users, args.seconds, args.out, args.run)


if __name__ == "__main__":
    main()
