"""Peak RSS of one server while passwords are hashed: 40 concurrent sign-ups, then 40 concurrent logins.

`python -m bench.hash_memory [--runs N]` migrates a temporary SQLite database, starts the real app as `make run`
does (one uvicorn worker on 127.0.0.1, default argon2 cost, sign-up and login limits raised out of the way),
samples its VmRSS every 5 ms and prints baseline, peak and settled RSS per burst, for the default hashing
capacity and for MAX_CONCURRENT_HASHES=MAX_QUEUED_HASHES=40 (unbounded in effect), each without and with
MALLOC_MMAP_THRESHOLD_=131072. Exits 1 when a server fails or a response is unexpected.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.server import HOST, ROOT, BenchError, Server, memory_kb, run_alembic, venv_bin

BURST = 40
SAMPLE_S = 0.005
SETTLE_S = 1.0
REQUEST_TIMEOUT_S = 120.0
RAISED_LIMIT = "1000000"
# name -> extra server environment; everything else is the settings' defaults.
CONFIGS: dict[str, dict[str, str]] = {
    "bounded (2/32)": {},
    "unbounded (40/40)": {"MAX_CONCURRENT_HASHES": "40", "MAX_QUEUED_HASHES": "40"},
    "bounded + mmap": {"MALLOC_MMAP_THRESHOLD_": "131072"},
    "unbounded + mmap": {"MAX_CONCURRENT_HASHES": "40", "MAX_QUEUED_HASHES": "40", "MALLOC_MMAP_THRESHOLD_": "131072"},
}
# Inherited variables that would change what is measured.
_DROPPED_PREFIXES = ("MALLOC_", "ARGON2_", "MAX_CONCURRENT_HASHES", "MAX_QUEUED_HASHES", "BENCH_", "GLIBC_TUNABLES")


class MakeRunServer(Server):
    """The app started exactly as `make run` starts it (uvicorn's default loop, http and logging)."""

    def start(self) -> None:
        """Launch uvicorn in its own process group, logging to log_path."""
        cmd = [venv_bin("uvicorn"), self.target, "--host", HOST, "--port", str(self.port), "--no-proxy-headers"]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )


class RssSampler(threading.Thread):
    """Reads VmRSS of one process every SAMPLE_S; take_peak() returns the highest value since the previous call."""

    def __init__(self, pid: int) -> None:
        """Sample pid once started."""
        super().__init__(daemon=True)
        self.pid = pid
        self._peak_kb = 0
        self._lock = threading.Lock()
        self._done = threading.Event()

    def run(self) -> None:
        """Sample until stop() or until the process is gone."""
        while not self._done.wait(SAMPLE_S):
            rss = memory_kb(self.pid).get("VmRSS")
            if rss is None:
                return
            with self._lock:
                self._peak_kb = max(self._peak_kb, rss)

    def take_peak(self) -> int:
        """The highest VmRSS (kB) sampled since the previous call."""
        with self._lock:
            peak, self._peak_kb = self._peak_kb, 0
        return peak

    def stop(self) -> None:
        """End sampling."""
        self._done.set()
        self.join(timeout=2)


@dataclass
class Burst:
    """One burst of concurrent requests: RSS in kB, wall time, status counts."""

    peak_kb: int = 0
    settled_kb: int = 0
    wall_s: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)


@dataclass
class RunResult:
    """One server's scenario; RSS in kB."""

    config: str
    started_kb: int = 0
    baseline_kb: int = 0
    signup: Burst = field(default_factory=Burst)
    login: Burst = field(default_factory=Burst)
    hwm_kb: int = 0


def _password(index: int) -> str:
    return f"correct horse battery staple {index}"


def _email(index: int) -> str:
    return f"hash-bench-{index}@example.com"


def _login_form(index: int, right: bool) -> dict[str, str]:
    password = _password(index) if right else f"wrong horse battery staple {index}"
    return {"grant_type": "password", "username": _email(index), "password": password}


Request = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def _signup(index: int) -> Request:
    return lambda client: client.post("/users", json={"email": _email(index), "password": _password(index)})


def _login(index: int, right: bool) -> Request:
    return lambda client: client.post("/token", data=_login_form(index, right))


async def _burst(base_url: str, sampler: RssSampler, requests: list[Request]) -> Burst:
    """Send every request at once; return status counts, wall time, peak and settled RSS."""
    burst = Burst()
    sampler.take_peak()
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as client:
        started = time.monotonic()
        responses = await asyncio.gather(*(request(client) for request in requests))
        burst.wall_s = time.monotonic() - started
    burst.peak_kb = sampler.take_peak()
    burst.statuses.update(r.status_code for r in responses)
    await asyncio.sleep(SETTLE_S)
    burst.settled_kb = memory_kb(sampler.pid).get("VmRSS", 0)
    return burst


def _check(resp: httpx.Response, expected: int, what: str) -> None:
    """Fail unless resp has the expected status."""
    if resp.status_code != expected:
        raise BenchError(f"{what}: HTTP {resp.status_code} (expected {expected}): {resp.text[:300]}")


async def _scenario(base_url: str, sampler: RssSampler, result: RunResult) -> None:
    """Warm up with one sign-up and login, then a burst of sign-ups and one of logins (half wrong)."""
    result.started_kb = memory_kb(sampler.pid).get("VmRSS", 0)
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as client:
        _check(await _signup(BURST)(client), 201, "warm-up sign-up")
        _check(await _login(BURST, right=True)(client), 200, "warm-up login")
    await asyncio.sleep(SETTLE_S)
    result.baseline_kb = memory_kb(sampler.pid).get("VmRSS", 0)
    result.signup = await _burst(base_url, sampler, [_signup(i) for i in range(BURST)])
    result.login = await _burst(base_url, sampler, [_login(i, right=i < BURST // 2) for i in range(BURST)])
    for name, burst, allowed in (("sign-ups", result.signup, {201, 503}), ("logins", result.login, {200, 400, 503})):
        if set(burst.statuses) - allowed:
            raise BenchError(f"{result.config}: unexpected statuses of {name}: {dict(burst.statuses)}")


def _server_env(db: Path, extra: dict[str, str]) -> dict[str, str]:
    """Production-like settings: a real key, quiet logs, default argon2 cost and capacity; limits out of the way."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES)}
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{db}",
        ENVIRONMENT="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        LOG_LEVEL="WARNING",
        SIGNUPS_PER_ADDRESS=RAISED_LIMIT,
        LOGIN_FAILURES_PER_USER=RAISED_LIMIT,
        LOGIN_FAILURES_PER_USER_TOTAL=RAISED_LIMIT,
        LOGIN_FAILURES_PER_IP=RAISED_LIMIT,
    )
    env.update(extra)
    return env


def _run_one(config: str, workdir: Path, index: int) -> RunResult:
    """Migrate a fresh database, start the server, run the scenario; always stop the server."""
    db = workdir / f"run{index}.db"
    env = _server_env(db, CONFIGS[config])
    run_alembic(env)
    server = MakeRunServer("impl.app:app", env, workdir / f"run{index}.log")
    result = RunResult(config)
    try:
        server.start()
        server.wait_ready({})
        pid = server.serving_pid()
        sampler = RssSampler(pid)
        sampler.start()
        try:
            asyncio.run(asyncio.wait_for(_scenario(server.base_url, sampler, result), timeout=300))
        finally:
            sampler.stop()
        result.hwm_kb = memory_kb(pid).get("VmHWM", 0)
        if server.proc is not None and server.proc.poll() is not None:
            raise BenchError(f"server died:\n{server.log_tail()}")
        return result
    except TimeoutError:
        raise BenchError(f"{config}: scenario timed out:\n{server.log_tail()}") from None
    finally:
        server.stop()


def _codes(statuses: Counter[int], codes: tuple[int, ...]) -> str:
    return "/".join(str(statuses.get(code, 0)) for code in codes)


COLUMNS = ("start", "base", "signup", "settled", "login", "settled", "HWM", "201/503", "s", "200/400/503", "s")


def _row(r: RunResult) -> list[str]:
    """One result's cells, in COLUMNS order."""
    mib = [r.started_kb, r.baseline_kb, r.signup.peak_kb, r.signup.settled_kb, r.login.peak_kb, r.login.settled_kb]
    return [
        *(f"{kb / 1024:.1f}" for kb in [*mib, r.hwm_kb]),
        _codes(r.signup.statuses, (201, 503)),
        f"{r.signup.wall_s:.2f}",
        _codes(r.login.statuses, (200, 400, 503)),
        f"{r.login.wall_s:.2f}",
    ]


def render(results: list[RunResult]) -> str:
    """The results as a fixed-width table."""
    widths = [max(7, len(c)) for c in COLUMNS]
    header = f"{'config':<18}" + "".join(f" {c:>{w}}" for c, w in zip(COLUMNS, widths, strict=True))
    lines = [
        "RSS in MiB: start = ready; base = after one sign-up + login; peak during each burst of 40, settled 1 s after",
        header,
        "-" * len(header),
    ]
    for r in results:
        lines.append(f"{r.config:<18}" + "".join(f" {c:>{w}}" for c, w in zip(_row(r), widths, strict=True)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hash_memory", description=__doc__)
    parser.add_argument("--runs", type=int, default=1, help="repetitions of each configuration (default 1)")
    parser.add_argument("--config", choices=sorted(CONFIGS), action="append", help="only these (repeatable)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    workdir = Path(tempfile.mkdtemp(prefix="bench-hash-"))
    results: list[RunResult] = []
    try:
        for run in range(args.runs):
            for config in args.config or CONFIGS:
                print(f"[run {run + 1}/{args.runs}] {config}", file=sys.stderr, flush=True)
                results.append(_run_one(config, workdir, len(results)))
    except BenchError as exc:
        print(f"\nBENCH FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
