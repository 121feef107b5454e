"""`make fuzz`: the Schemathesis CLI against a live server, as two users, stateful, every check; JUnit in build/.

Migrates a fresh SQLite database, seeds the fuzzing administrator and an ordinary member (scripts/fuzz_seed.py),
starts `uvicorn impl.app:app` on a free port (bench/server.py's helper) and runs `schemathesis run` on the
contract with the repo's schemathesis.toml and the hooks of scripts/fuzz_hooks.py: requests go out as either user,
and the `cross_user_authorization` check (scripts/fuzz_access.py) holds them to the contract's ownership rules.
Exits with the CLI's status: non-zero on any failed check; on a run of the whole contract, also when either user
never made a request or the member was never tried on another's item, file and account.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.server import ROOT, BenchError, Server, run_alembic, venv_bin
from impl.settings import Settings
from scripts.fuzz_access import missing_activity
from scripts.fuzz_env import (
    ADMIN_TOKEN_VARIABLE,
    DATABASE_URL_VARIABLE,
    MEMBER_TOKEN_VARIABLE,
    PASSWORD_HASH_VARIABLE,
    REPORT_VARIABLE,
)
from scripts.fuzz_seed import ADMIN, MEMBER, password_hash, reset, seed_users, user_token

CONTRACT = ROOT / "openapi" / "openapi.yaml"
JUNIT = ROOT / "build" / "fuzz" / "junit.xml"
APP = "impl.app:app"
CASES_LINE = re.compile(r"^\s*(\d+) generated")
PHASES = "examples,coverage,fuzzing,stateful"
# Variables of the caller's environment that would point the server at shared services or a real mail server.
_NOT_INHERITED = ("REDIS_URL", "SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD", "DATABASE_URL")


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.fuzz_live", description=__doc__)
    parser.add_argument("--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", "100")))
    parser.add_argument(
        "--max-time", type=int, default=int(os.environ.get("FUZZ_SECONDS") or 0), help="seconds; 0: no budget"
    )
    parser.add_argument(
        "--contract", type=Path, default=Path(os.environ.get("FUZZ_CONTRACT") or CONTRACT),
        help="the contract to hold the server to (default openapi/openapi.yaml)",
    )  # fmt: skip
    parser.add_argument("--junit", type=Path, default=Path(os.environ.get("FUZZ_JUNIT") or JUNIT))
    parser.add_argument(
        "--app", default=os.environ.get("FUZZ_APP") or APP,
        help="the ASGI app uvicorn serves (default impl.app:app; the tests serve deliberately broken ones)",
    )  # fmt: skip
    parser.add_argument(
        "--min-cases", type=int, default=int(os.environ.get("FUZZ_MIN_CASES") or 0),
        help="fail unless Schemathesis generated at least this many test cases (0: no minimum)",
    )  # fmt: skip
    parser.add_argument("cli_args", nargs="*", help="passed on to `schemathesis run` (after --)")
    args = parser.parse_args(argv)
    if args.examples < 1 or args.max_time < 0:
        parser.error("--examples must be >= 1 and --max-time >= 0")
    return args


def _server_env(workdir: Path) -> dict[str, str]:
    """The server's environment: a fresh database, a key the token is signed with, limits out of the fuzzer's way."""
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'fuzz.db'}",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "ENVIRONMENT": "test",
            "LOG_JSON": "false",
            "STORAGE_DIR": str(workdir / "storage"),
            "ARGON2_TIME_COST": "1",
            # Brute-force, sign-up and notification limits would turn later cases into 429s (allowed, but no
            # coverage); tests/e2e covers the limits themselves.
            "LOGIN_FAILURES_PER_USER": "1000000",
            "LOGIN_FAILURES_PER_USER_TOTAL": "1000000",
            "LOGIN_FAILURES_PER_IP": "1000000",
            "SIGNUPS_PER_ADDRESS": "1000000",
            "NOTIFICATIONS_PER_USER": "1000000",
        }
    )
    return env


def _cli(args: argparse.Namespace, base_url: str) -> list[str]:
    # Credentials come from the hooks' auth provider (both users, session cookie), not from a CLI header.
    command = [
        venv_bin("schemathesis"), "--config-file", str(ROOT / "schemathesis.toml"), "--no-color",
        "run", str(args.contract), "--url", base_url,
        "--checks", "all", "--phases", PHASES, "--max-examples", str(args.examples),
        "--report", "junit", "--report-junit-path", str(args.junit),
        "--generation-database", "none", "--generation-with-security-parameters", "false",
    ]  # fmt: skip
    if args.max_time:
        command += ["--max-time", str(args.max_time)]
    return [*command, *args.cli_args]


def main(argv: list[str] | None = None) -> int:
    """Run the fuzzer against a fresh live server; return the CLI's exit status, or 1 when it passed but the
    cross-user check idled on a whole-contract run or fewer than --min-cases cases were generated."""
    args = _args(argv)
    args.junit.parent.mkdir(parents=True, exist_ok=True)
    access_report = args.junit.parent / "access.json"
    access_report.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="contract-api-fuzz-") as tmp:
        workdir = Path(tmp)
        env = _server_env(workdir)
        settings = Settings.model_validate(
            {"database_url": env["DATABASE_URL"], "secret_key": env["SECRET_KEY"], "argon2_time_cost": 1}
        )
        run_alembic(env)
        # The fuzzing users' password is nobody's: the contract's examples (alice's password) cannot delete their
        # accounts or change their e-mail, which would end the run's authentication halfway.
        users_hash = asyncio.run(password_hash(settings, secrets.token_urlsafe(16)))
        alice_hash = asyncio.run(password_hash(settings))
        asyncio.run(reset(settings.database_url, seed_users(alice_hash, fuzzer_hash=users_hash)))
        admin_token = user_token(settings, ADMIN, ttl_seconds=24 * 3600)
        member_token = user_token(settings, MEMBER, ttl_seconds=24 * 3600)
        server = Server(args.app, env, args.junit.parent / "server.log")
        try:
            server.start()
            server.wait_ready({"Authorization": f"Bearer {admin_token}"})
            command = _cli(args, server.base_url)
            print("$", " ".join(command), flush=True)
            hooks = {
                "SCHEMATHESIS_HOOKS": "scripts.fuzz_hooks",
                DATABASE_URL_VARIABLE: settings.database_url,
                ADMIN_TOKEN_VARIABLE: admin_token,
                MEMBER_TOKEN_VARIABLE: member_token,
                PASSWORD_HASH_VARIABLE: users_hash,
                REPORT_VARIABLE: str(access_report),
            }
            started = time.monotonic()
            status, summary = _run(command, {**env, **hooks})
            elapsed = time.monotonic() - started
        finally:
            server.stop()
    counts = json.loads(access_report.read_text()) if access_report.is_file() else {}
    print(f"cross-user check ({access_report}): {json.dumps(counts)}", flush=True)
    print(
        f"fuzz: schemathesis exited {status}: test cases: {summary} in {elapsed:.0f} s; JUnit: {args.junit}", flush=True
    )
    idle = missing_activity(counts)
    if status == 0 and idle and not args.cli_args and args.contract.resolve() == CONTRACT:
        print(f"fuzz: the cross-user check never did: {', '.join(idle)}", file=sys.stderr, flush=True)
        return 1
    generated = generated_cases(summary)
    if status == 0 and generated < args.min_cases:
        print(f"fuzz: {generated} test cases generated, fewer than --min-cases {args.min_cases}", file=sys.stderr)
        return 1
    return status


def generated_cases(summary: str) -> int:
    """The number of test cases in Schemathesis' summary line ("11351 generated, 11351 passed"), 0 if none."""
    match = CASES_LINE.match(summary)
    return int(match.group(1)) if match else 0


def _run(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run the CLI, echoing its output; its exit status and its summary's "N generated, ..." line."""
    summary = "none reported"
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, bufsize=1) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            if CASES_LINE.match(line):
                summary = line.strip()
    return proc.returncode, summary


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"fuzz: {error}", file=sys.stderr)
        sys.exit(2)
