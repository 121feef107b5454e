"""Install, run and parse wrk."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.server import BenchError

LUA_DIR = Path(__file__).resolve().parent / "lua"
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_LATENCY_RE = re.compile(r"^\s*(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RPS_RE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL_RE = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", re.MULTILINE)
_NON2XX_RE = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_RE = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass(frozen=True)
class Endpoint:
    """One measured endpoint: a label, the URL path, and an optional Lua script with its arguments."""

    name: str
    path: str
    script: Path | None = None
    script_args: tuple[str, ...] = ()


@dataclass
class WrkResult:
    """What one wrk run measured."""

    requests_per_s: float
    requests: int
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-able data."""
        return asdict(self)


def ensure_wrk() -> str:
    """Return the wrk binary, installing the Debian package if it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: installing the Debian package", flush=True)
    proc = subprocess.run(
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    found = shutil.which("wrk")
    if proc.returncode != 0 or not found:
        raise BenchError(f"could not install wrk ({proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return found


def parse(output: str) -> WrkResult:
    """Parse wrk --latency output."""
    latencies = {m.group(1): float(m.group(2)) * _UNITS_MS[m.group(3)] for m in _LATENCY_RE.finditer(output)}
    rps = _RPS_RE.search(output)
    total = _TOTAL_RE.search(output)
    if rps is None or total is None or len(latencies) != 4:
        raise BenchError(f"cannot parse wrk output:\n{output}")
    non_2xx = _NON2XX_RE.search(output)
    sockets = _SOCKET_RE.search(output)
    errors = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True)) if sockets else {}
    )
    return WrkResult(
        requests_per_s=float(rps.group(1)),
        requests=int(total.group(1)),
        p50_ms=latencies["50"],
        p75_ms=latencies["75"],
        p90_ms=latencies["90"],
        p99_ms=latencies["99"],
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=errors,
    )


def run(
    wrk: str,
    base_url: str,
    endpoint: Endpoint,
    duration_s: int,
    threads: int,
    connections: int,
    headers: dict[str, str],
    prefix: Sequence[str] = (),
) -> WrkResult:
    """Run wrk once against base_url + endpoint.path and return the parsed result; fail on any non-2xx.

    prefix: a command wrk runs under (taskset, to pin it to CPUs).
    """
    cmd = [*prefix, wrk, f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", "--latency", "--timeout", "5s"]
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    if endpoint.script is not None:
        cmd += ["-s", str(endpoint.script)]
    cmd.append(base_url + endpoint.path)
    if endpoint.script_args:
        cmd += ["--", *endpoint.script_args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration_s + 60, check=False)
    if proc.returncode != 0:
        raise BenchError(f"wrk failed ({proc.returncode}) on {endpoint.name}:\n{proc.stdout}{proc.stderr}")
    result = parse(proc.stdout)
    if result.requests == 0:
        raise BenchError(f"wrk made no requests on {endpoint.name}:\n{proc.stdout}{proc.stderr}")
    if result.non_2xx:
        raise BenchError(
            f"{endpoint.name}: {result.non_2xx} of {result.requests} responses were not 2xx/3xx "
            f"— a fast error is not a result:\n{proc.stdout}"
        )
    return result
