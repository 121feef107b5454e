"""`make bench`'s report over several rounds (bench/report.py): each round's ratio pairs an app run with the ceiling
run next to it, the table gives medians, and memory is the highest any round reached."""

from __future__ import annotations

from bench.report import TargetResult, checks, median_result, paired_comparison
from bench.wrk import WrkResult

ENDPOINT = "POST /items"


def _run(label: str, rps: float, p99: float, peak_kb: int) -> TargetResult:
    result = WrkResult(
        requests_per_s=rps, requests=int(rps * 10), p50_ms=p99 / 2, p75_ms=p99, p90_ms=p99, p99_ms=p99, non_2xx=0
    )
    return TargetResult(label, "target", {ENDPOINT: result}, {"VmRSS": peak_kb - 100, "VmHWM": peak_kb}, {"VmRSS": 1})


def test_one_round_is_the_plain_comparison() -> None:
    [row] = paired_comparison([_run("app", 3000, 18.0, 90_000)], [_run("ceiling", 6000, 9.0, 40_000)])
    assert row == {
        "endpoint": ENDPOINT,
        "app_rps": 3000.0,
        "ceiling_rps": 6000.0,
        "ratio": 0.5,
        "app_p50_ms": 9.0,
        "app_p99_ms": 18.0,
        "ceiling_p99_ms": 9.0,
    }


def test_the_ratio_is_the_median_of_each_rounds_own_ratio() -> None:
    # The machine slowed down in round 2 and sped up in round 3: both sides moved together.
    apps = [_run("app#1", 3000, 18.0, 91_000), _run("app#2", 2000, 30.0, 92_000), _run("app#3", 4000, 12.0, 90_000)]
    ceilings = [_run("ceiling#1", 6000, 9.0, 1), _run("ceiling#2", 5000, 12.0, 1), _run("ceiling#3", 10_000, 6.0, 1)]
    [row] = paired_comparison(apps, ceilings)
    assert row["ratios"] == [0.5, 0.4, 0.4]
    assert row["ratio"] == 0.4  # not 3000 / 6000, the ratio of the medians
    assert (row["app_rps"], row["ceiling_rps"], row["app_p99_ms"]) == (3000.0, 6000.0, 18.0)


def test_memory_is_the_highest_round_and_is_what_the_rss_target_checks() -> None:
    apps = [_run("app#1", 3000, 18.0, 91_000), _run("app#2", 3000, 18.0, 93_000), _run("app#3", 3000, 18.0, 90_000)]
    merged = median_result(apps)
    assert merged.label == "app"
    assert merged.memory_kb["VmHWM"] == 93_000
    rows = paired_comparison(apps, [_run(f"ceiling#{n}", 6000, 9.0, 1) for n in (1, 2, 3)])
    [rss] = [check for check in checks(rows, merged) if check["check"].startswith("app peak RSS")]
    assert rss["value"] == round(93_000 / 1024, 1)
    assert rss["status"] == "MISS"
