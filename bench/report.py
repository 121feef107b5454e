"""Turn measurements into the comparison table, the DESIGN target checks and the JSON results file."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.wrk import WrkResult

RATIO_MIN = 0.45
P99_MAX_MS = 15.0
RSS_MAX_MB = 90.0


@dataclass
class TargetResult:
    """Everything measured on one target."""

    label: str
    target: str
    endpoints: dict[str, WrkResult]
    memory_kb: dict[str, int]
    idle_memory_kb: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-able data."""
        return {
            "target": self.target,
            "endpoints": {name: r.as_dict() for name, r in self.endpoints.items()},
            "rss_mb_after_seed": _mb(self.idle_memory_kb.get("VmRSS", 0)),
            "rss_mb_after_load": _mb(self.memory_kb.get("VmRSS", 0)),
            "peak_rss_mb": _mb(self.memory_kb.get("VmHWM", 0)),
        }


def _mb(kb: int) -> float:
    """Convert kB to MB (MiB), rounded."""
    return round(kb / 1024, 1)


def median_result(rounds: list[TargetResult]) -> TargetResult:
    """One target's rounds as one result: per endpoint the median of each figure, for memory the highest."""
    first = rounds[0]
    endpoints = {
        name: WrkResult(
            requests_per_s=statistics.median(r.endpoints[name].requests_per_s for r in rounds),
            requests=round(statistics.median(r.endpoints[name].requests for r in rounds)),
            p50_ms=statistics.median(r.endpoints[name].p50_ms for r in rounds),
            p75_ms=statistics.median(r.endpoints[name].p75_ms for r in rounds),
            p90_ms=statistics.median(r.endpoints[name].p90_ms for r in rounds),
            p99_ms=statistics.median(r.endpoints[name].p99_ms for r in rounds),
            non_2xx=sum(r.endpoints[name].non_2xx for r in rounds),
        )
        for name in first.endpoints
    }
    label = first.label.partition("#")[0]
    return TargetResult(
        label,
        first.target,
        endpoints,
        _highest(r.memory_kb for r in rounds),
        _highest(r.idle_memory_kb for r in rounds),
    )


def _highest(memories: Iterable[dict[str, int]]) -> dict[str, int]:
    highest: dict[str, int] = {}
    for memory in memories:
        for key, kb in memory.items():
            highest[key] = max(kb, highest.get(key, 0))
    return highest


def paired_comparison(apps: list[TargetResult], ceilings: list[TargetResult]) -> list[dict[str, Any]]:
    """One row per endpoint comparing the app with the ceiling: medians over the rounds, and the ratio as the median
    of each round's own ratio (a round's app and ceiling ran next to each other, on the same machine speed)."""
    app, ceiling = median_result(apps), median_result(ceilings)
    rows = []
    for name, a in app.endpoints.items():
        c = ceiling.endpoints[name]
        ratios = [_ratio(x.endpoints[name], y.endpoints[name]) for x, y in zip(apps, ceilings, strict=True)]
        row: dict[str, Any] = {
            "endpoint": name,
            "app_rps": round(a.requests_per_s, 1),
            "ceiling_rps": round(c.requests_per_s, 1),
            "ratio": round(statistics.median(ratios), 3),
            "app_p50_ms": round(a.p50_ms, 2),
            "app_p99_ms": round(a.p99_ms, 2),
            "ceiling_p99_ms": round(c.p99_ms, 2),
        }
        if len(ratios) > 1:
            row["ratios"] = [round(ratio, 3) for ratio in ratios]
        rows.append(row)
    return rows


def _ratio(app: WrkResult, ceiling: WrkResult) -> float:
    return app.requests_per_s / ceiling.requests_per_s if ceiling.requests_per_s else 0.0


def checks(rows: list[dict[str, Any]], app: TargetResult) -> list[dict[str, Any]]:
    """Evaluate the DESIGN targets: ratio >= 0.45 and p99 <= 15 ms per endpoint, peak RSS <= 90 MB."""
    out: list[dict[str, Any]] = []
    for row in rows:
        out.append(_check(f"{row['endpoint']} ratio", row["ratio"], ">=", RATIO_MIN))
        out.append(_check(f"{row['endpoint']} app p99 ms", row["app_p99_ms"], "<=", P99_MAX_MS))
    out.append(_check("app peak RSS MB (VmHWM)", _mb(app.memory_kb.get("VmHWM", 0)), "<=", RSS_MAX_MB))
    return out


def _check(name: str, value: float, op: str, limit: float) -> dict[str, Any]:
    """Return one PASS/MISS check."""
    ok = value >= limit if op == ">=" else value <= limit
    return {"check": name, "value": value, "target": f"{op} {limit:g}", "status": "PASS" if ok else "MISS"}


def render(rows: list[dict[str, Any]], app: TargetResult, ceiling: TargetResult, results: list[dict[str, Any]]) -> str:
    """Return the human-readable report."""
    header = ["endpoint", "app req/s", "ceiling req/s", "ratio", "app p50 ms", "app p99 ms", "ceiling p99 ms"]
    keys = ["endpoint", "app_rps", "ceiling_rps", "ratio", "app_p50_ms", "app_p99_ms", "ceiling_p99_ms"]
    table = [header] + [[_fmt(row[k]) for k in keys] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = [
        " | ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in table
    ]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    for row in rows:
        if "ratios" in row:
            lines.append(f"{row['endpoint']}: ratio per round {', '.join(f'{r:.3f}' for r in row['ratios'])}")
    for t in (app, ceiling):
        d = t.as_dict()
        lines.append(
            f"RSS {t.label:<7} ({t.target}): after seed {d['rss_mb_after_seed']} MB, "
            f"after load {d['rss_mb_after_load']} MB, peak {d['peak_rss_mb']} MB"
        )
    lines.append("")
    lines.append("DESIGN targets:")
    for c in results:
        lines.append(f"  [{c['status']}] {c['check']}: {c['value']} (target {c['target']})")
    return "\n".join(lines)


def _fmt(value: object) -> str:
    """Format a table cell."""
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write data as indented JSON, creating the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
