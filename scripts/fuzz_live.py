"""`make fuzz`: the Schemathesis CLI against a live server, authenticated, stateful, every check; JUnit in build/.

Migrates a fresh SQLite database, seeds the fuzzing administrator (scripts/fuzz_seed.py, as the fuzz tests do),
starts `uvicorn impl.app:app` on a free port (bench/server.py's helper) and runs `schemathesis run` on the
contract with the repo's schemathesis.toml. Exits with the CLI's status: non-zero on any failed check.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.server import ROOT, BenchError, Server, run_alembic, venv_bin
from impl.settings import Settings
from scripts.fuzz_hooks import DATABASE_URL_VARIABLE
from scripts.fuzz_seed import fuzzer_token, password_hash, reset, seed_users

CONTRACT = ROOT / "openapi" / "openapi.yaml"
JUNIT = ROOT / "build" / "fuzz" / "junit.xml"
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


def _cli(args: argparse.Namespace, base_url: str, token: str) -> list[str]:
    command = [
        venv_bin("schemathesis"), "--config-file", str(ROOT / "schemathesis.toml"), "--no-color",
        "run", str(args.contract), "--url", base_url,
        # The bearer header: CLI auth applies to every operation; `ignored_auth` probes each without it.
        "--header", f"Authorization: Bearer {token}",
        "--checks", "all", "--phases", PHASES, "--max-examples", str(args.examples),
        "--report", "junit", "--report-junit-path", str(args.junit),
        "--generation-database", "none", "--generation-with-security-parameters", "false",
    ]  # fmt: skip
    if args.max_time:
        command += ["--max-time", str(args.max_time)]
    return [*command, *args.cli_args]


def main(argv: list[str] | None = None) -> int:
    """Run the fuzzer against a fresh live server; return the CLI's exit status."""
    args = _args(argv)
    args.junit.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="contract-api-fuzz-") as tmp:
        workdir = Path(tmp)
        env = _server_env(workdir)
        settings = Settings.model_validate(
            {"database_url": env["DATABASE_URL"], "secret_key": env["SECRET_KEY"], "argon2_time_cost": 1}
        )
        run_alembic(env)
        # The fuzzer's password is nobody's: the contract's examples (alice's password) cannot delete its account
        # or change its e-mail, which would end the run's authentication halfway (the fuzz tests reset instead).
        users = seed_users(
            asyncio.run(password_hash(settings)),
            fuzzer_hash=asyncio.run(password_hash(settings, secrets.token_urlsafe(16))),
        )
        asyncio.run(reset(settings.database_url, users))
        token = fuzzer_token(settings, ttl_seconds=24 * 3600)
        server = Server("impl.app:app", env, args.junit.parent / "server.log")
        try:
            server.start()
            server.wait_ready({"Authorization": f"Bearer {token}"})
            command = _cli(args, server.base_url, token)
            print("$", " ".join(command).replace(token, "<token>"), flush=True)
            started = time.monotonic()
            hooks = {"SCHEMATHESIS_HOOKS": "scripts.fuzz_hooks", DATABASE_URL_VARIABLE: settings.database_url}
            status = subprocess.run(command, cwd=ROOT, env={**env, **hooks}, check=False).returncode
        finally:
            server.stop()
    print(f"schemathesis exited {status} after {time.monotonic() - started:.0f} s; JUnit: {args.junit}", flush=True)
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"fuzz: {error}", file=sys.stderr)
        sys.exit(2)
