"""The Kubernetes manifests: valid for the pinned Kubernetes version, and consistent with the image, the app and
each other where no schema can tell (probe paths, ports, user, settings, migration, shutdown timing)."""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from pydantic import ValidationError

from impl.settings import MIN_SECRET_KEY_BYTES, Settings
from scripts import lint_deploy
from tests.contract.contract import contract as parsed_contract
from tests.databases import REPO_ROOT

DEPLOY_DIR = REPO_ROOT / "deploy" / "kubernetes"
DOCKERFILE = REPO_ROOT / "Dockerfile"
# A key the tests may use where the manifests' placeholder must be replaced; never a deployed one.
REAL_LOOKING_KEY = "k" * MIN_SECRET_KEY_BYTES


def _kubernetes_version() -> str:
    """The version `make lint-deploy` pins (the Makefile's K8S_VERSION)."""
    match = re.search(r"^K8S_VERSION \?= (\S+)$", (REPO_ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, "the Makefile pins K8S_VERSION for make lint-deploy"
    return match.group(1)


def _objects() -> dict[str, dict[str, Any]]:
    """Every object of the manifests by kind (one of each here)."""
    found: dict[str, dict[str, Any]] = {}
    for path in lint_deploy.manifests(DEPLOY_DIR):
        for document in lint_deploy.load_documents(path):
            assert document["kind"] not in found, f"a second {document['kind']} in {path.name}"
            found[document["kind"]] = document
    return found


OBJECTS = _objects()
DEPLOYMENT, SERVICE, JOB = OBJECTS["Deployment"], OBJECTS["Service"], OBJECTS["Job"]
CONFIG_MAP, SECRET = OBJECTS["ConfigMap"], OBJECTS["Secret"]
POD = DEPLOYMENT["spec"]["template"]["spec"]
(API,) = POD["containers"]


def _config_env() -> dict[str, str]:
    """What the ConfigMap and the Secret add to a pod's environment (the Secret's placeholder values)."""
    return {**CONFIG_MAP["data"], **SECRET["stringData"]}


def _image_env() -> dict[str, str]:
    """The runtime stage's `ENV` of the Dockerfile: the environment every container of the image starts with."""
    runtime = DOCKERFILE.read_text().split("\nFROM ")[-1].replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in runtime.splitlines():
        if line.startswith("ENV "):
            env |= dict(word.split("=", 1) for word in shlex.split(line.removeprefix("ENV ")))
    return env


def _pod_env() -> dict[str, str]:
    """A pod's environment: the image's, then envFrom (the ConfigMap and the Secret override it)."""
    return {**_image_env(), **_config_env()}


def _image_command() -> str:
    """The shell command of the image's CMD (`["sh", "-c", "..."]`)."""
    cmd = next(line for line in DOCKERFILE.read_text().splitlines() if line.startswith("CMD "))
    words = yaml.safe_load(cmd.removeprefix("CMD "))  # a JSON array, so YAML reads it
    assert words[:2] == ["sh", "-c"]
    return str(words[2])


def _pod_env_here() -> dict[str, str]:
    """The pod's environment for a process of this machine: its PATH is this machine's (the image's is /venv/bin)."""
    return {name: value for name, value in _pod_env().items() if name != "PATH"}


def _uvicorn_command() -> Any:
    # `uvicorn.main` the attribute is the function; the module holds the click command.
    return importlib.import_module("uvicorn.main").main


def _image_uvicorn_params() -> dict[str, Any]:
    """uvicorn's settings in a pod: the image's CMD, its variables expanded from the pod's environment, parsed by
    uvicorn's own command line (which also reads UVICORN_* and WEB_CONCURRENCY: set os.environ to the pod's first)."""
    words = shlex.split(_image_command().split("exec uvicorn", 1)[1])
    pod = _pod_env()
    words = [re.sub(r"\$\{?(\w+)\}?", lambda m: pod[m.group(1)], word) for word in words]
    return dict(_uvicorn_command().make_context("uvicorn", words).params)


@pytest.fixture
def pod_environment(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, str]], None]:
    """Replace every setting in this process's environment with the given pod environment."""

    def apply(env: dict[str, str]) -> None:
        uvicorn = {f"UVICORN_{param.name.upper()}" for param in _uvicorn_command().params}
        for name in [*(n.upper() for n in Settings.model_fields), *uvicorn, *_image_env()]:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)

    return apply


# -- the schema check (make lint-deploy) --------------------------------------------------------------------------


def test_every_manifest_is_valid_for_the_pinned_kubernetes_version() -> None:
    assert lint_deploy.lint(DEPLOY_DIR, _kubernetes_version()) == []
    assert {"Deployment", "Service", "Job", "Secret", "ConfigMap", "HorizontalPodAutoscaler"} <= set(OBJECTS)
    assert OBJECTS["HorizontalPodAutoscaler"]["apiVersion"] == "autoscaling/v2"


MUTATIONS: dict[str, tuple[str, Callable[[str], str], str]] = {
    # name: (file, mutation of its text, what the finding says)
    "wrong type": (
        "deployment.yaml",
        lambda t: t.replace("terminationGracePeriodSeconds: 35", 'terminationGracePeriodSeconds: "35"'),
        "terminationGracePeriodSeconds: '35' is not of type 'integer'",
    ),
    "unknown field": (
        "deployment.yaml",
        lambda t: t.replace("          readinessProbe:\n", "          readinessProbe:\n            pathh: /readyz\n"),
        "Additional properties are not allowed ('pathh' was unexpected)",
    ),
    "missing required field": (
        "service.yaml",
        lambda t: t.replace("      port: 80\n", ""),
        "'port' is a required property",
    ),
    "unknown apiVersion": (
        "hpa.yaml",
        lambda t: t.replace("apiVersion: autoscaling/v2", "apiVersion: autoscaling/v3"),
        "Couldn't find schema for kind HorizontalPodAutoscaler with api version autoscaling/v3",
    ),
    "duplicate key": (
        "pdb.yaml",
        lambda t: t.replace("  maxUnavailable: 1\n", "  maxUnavailable: 1\n  maxUnavailable: 2\n"),
        "duplicate key 'maxUnavailable'",
    ),
    "manifest left out of the kustomization": (
        "kustomization.yaml",
        lambda t: t.replace("  - pdb.yaml\n", ""),
        "pdb.yaml is not in resources",
    ),
    "kustomization lists a missing file": (
        "kustomization.yaml",
        lambda t: t.replace("  - pdb.yaml\n", "  - pdb.yaml\n  - ingress.yaml\n"),
        "resource ingress.yaml does not exist",
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_the_check_rejects_a_broken_copy(mutation: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name, mutate, expected = MUTATIONS[mutation]
    copy = tmp_path / "kubernetes"
    shutil.copytree(DEPLOY_DIR, copy)
    original = (copy / name).read_text()
    broken = mutate(original)
    assert broken != original, f"the {mutation!r} mutation no longer applies to {name}"
    (copy / name).write_text(broken)

    errors = lint_deploy.lint(copy, _kubernetes_version())
    assert any(name in error and expected in error for error in errors), errors
    # The command line `make lint-deploy` runs fails on it.
    assert lint_deploy.main([str(copy), "--kubernetes-version", _kubernetes_version()]) == 1
    assert expected in capsys.readouterr().err


def test_make_lint_deploy_runs_the_check_and_make_check_includes_it() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    recipe = re.search(r"^lint-deploy:.*\n\t(.+)$", makefile, re.MULTILINE)
    assert recipe and "scripts.lint_deploy" in recipe.group(1) and "$(K8S_VERSION)" in recipe.group(1)
    check = re.search(r"^check: (.*?)(?:##|$)", makefile, re.MULTILINE)
    assert check and "lint-deploy" in check.group(1).split()


# -- cross-references no schema checks ------------------------------------------------------------------------------


def _probes() -> dict[str, dict[str, Any]]:
    return {kind: API[kind] for kind in ("livenessProbe", "readinessProbe", "startupProbe") if kind in API}


def test_probes_are_the_contracts_public_health_operations() -> None:
    contract = parsed_contract()
    probes = _probes()
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in probes.values():
        operation = contract["paths"][probe["httpGet"]["path"]]["get"]
        assert operation["security"] == []  # the kubelet sends no credentials
        assert probe["httpGet"]["port"] in {port["name"] for port in API["ports"]}
    # Liveness must not follow the database (an outage would restart every pod); readiness must.
    assert contract["paths"]["/healthz"]["get"]["operationId"] == "getHealth"
    assert contract["paths"]["/readyz"]["get"]["operationId"] == "getReadiness"


async def test_the_probe_paths_answer_200_in_the_app(client: httpx.AsyncClient) -> None:
    for probe in _probes().values():
        response = await client.get(probe["httpGet"]["path"])
        assert response.status_code == 200, (probe, response.text)


def test_the_service_reaches_the_port_uvicorn_listens_on_in_the_image(
    pod_environment: Callable[[dict[str, str]], None],
) -> None:
    (service_port,) = SERVICE["spec"]["ports"]
    ports = {port["name"]: port["containerPort"] for port in API["ports"]}
    target = service_port["targetPort"]
    container_port = ports[target] if isinstance(target, str) else target
    assert container_port in ports.values()

    pod_environment(_pod_env())
    uvicorn = _image_uvicorn_params()
    assert uvicorn["port"] == container_port
    assert uvicorn["host"] == "0.0.0.0"  # reachable from the Service, not only from inside the pod
    assert f"EXPOSE {container_port}" in DOCKERFILE.read_text().splitlines()
    # Every pod the Service and the budget select is an API pod, and every API pod is selected.
    pod_labels = DEPLOYMENT["spec"]["template"]["metadata"]["labels"]
    assert SERVICE["spec"]["selector"].items() <= pod_labels.items()
    assert OBJECTS["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert DEPLOYMENT["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    job_labels = JOB["spec"]["template"]["metadata"]["labels"]
    assert not SERVICE["spec"]["selector"].items() <= job_labels.items()  # the migration pod gets no traffic


def test_the_autoscaler_scales_the_deployment_on_a_requested_cpu() -> None:
    hpa = OBJECTS["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": DEPLOYMENT["metadata"]["name"],
    }
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]
    # Utilization is relative to the request: without one on every container the HPA cannot compute it.
    for container in POD["containers"]:
        assert container["resources"]["requests"]["cpu"]
    assert 2 <= hpa["minReplicas"] <= hpa["maxReplicas"]
    assert "replicas" not in DEPLOYMENT["spec"]  # the HPA owns the count


def test_postgres_connections_at_full_scale_stay_under_the_default_max_connections() -> None:
    env = CONFIG_MAP["data"]
    per_worker = int(env["DATABASE_POOL_SIZE"]) + int(env["DATABASE_MAX_OVERFLOW"])
    pods = OBJECTS["HorizontalPodAutoscaler"]["spec"]["maxReplicas"]
    rollout_surge = DEPLOYMENT["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    migration = 1
    # PostgreSQL's default max_connections is 100, 3 of them reserved for superusers.
    assert (pods + rollout_surge) * int(env["WEB_CONCURRENCY"]) * per_worker + migration <= 100 - 3


def test_the_job_runs_the_migration_with_the_apps_image_and_configuration(tmp_path: Path) -> None:
    job_pod = JOB["spec"]["template"]["spec"]
    (container,) = job_pod["containers"]
    assert container["command"] == ["alembic", "upgrade", "head"]
    assert job_pod["restartPolicy"] == "Never"
    assert container["image"] == API["image"]
    assert container["envFrom"] == API["envFrom"]
    assert "alembic" not in " ".join(API.get("command", []) + API.get("args", []))  # pods never migrate

    # The command itself, with the pod's environment (a real key instead of the placeholder) on a fresh database.
    database = tmp_path / "app.db"
    env = {
        **os.environ,
        **_pod_env_here(),
        "SECRET_KEY": REAL_LOOKING_KEY,
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    result = subprocess.run(container["command"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone() == (0,)


WAITING = "waiting for alembic upgrade head"


@pytest.fixture
def wait_for_migrations(tmp_path: Path) -> Callable[[Path], tuple[int | None, str]]:
    """Run the init container's script against an SQLite file until it exits or says it waits (then stop it):
    (its exit code, or None while it was waiting; its output)."""
    (init,) = POD["initContainers"]
    assert init["command"][:2] == ["sh", "-c"] and init["image"] == API["image"]
    assert init["envFrom"] == API["envFrom"]

    def run(database: Path) -> tuple[int | None, str]:
        env = {
            **os.environ,
            **_pod_env_here(),
            "SECRET_KEY": REAL_LOOKING_KEY,
            "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        }
        log = tmp_path / f"{database.stem}-init.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                init["command"], cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        # Generous: `alembic current` imports the app's models, seconds on a loaded machine.
        deadline = time.monotonic() + 120
        try:
            while proc.poll() is None and WAITING not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.2)
            return proc.poll(), log.read_text()
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    return run


def _migrate(database: Path, revision: str = "head") -> None:
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    subprocess.run(["alembic", "upgrade", revision], cwd=REPO_ROOT, env=env, check=True, capture_output=True)


def test_pods_wait_for_the_migration_job(
    tmp_path: Path, wait_for_migrations: Callable[[Path], tuple[int | None, str]]
) -> None:
    behind = tmp_path / "behind.db"
    _migrate(behind, "0001")
    code, output = wait_for_migrations(behind)
    assert code is None and WAITING in output, output

    current = tmp_path / "current.db"
    _migrate(current)
    code, output = wait_for_migrations(current)
    assert code == 0, output


def test_pods_of_an_older_image_start_on_a_newer_schema(
    tmp_path: Path, wait_for_migrations: Callable[[Path], tuple[int | None, str]]
) -> None:
    # A rollback after an additive migration: the database is at a revision this image does not know.
    newer = tmp_path / "newer.db"
    _migrate(newer)
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'from_a_newer_image'")
    code, output = wait_for_migrations(newer)
    assert code == 0, output
    assert "newer than this image" in output


def _dockerfile_user() -> tuple[int, int]:
    users = [line.split()[1] for line in DOCKERFILE.read_text().splitlines() if line.startswith("USER ")]
    uid, _, gid = users[-1].partition(":")
    return int(uid), int(gid or uid)


def test_every_pod_runs_as_the_images_non_root_user() -> None:
    uid, gid = _dockerfile_user()
    assert uid != 0
    for pod in (POD, JOB["spec"]["template"]["spec"]):
        context = pod["securityContext"]
        assert (context["runAsUser"], context["runAsGroup"], context["runAsNonRoot"]) == (uid, gid, True)
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"] + pod.get("initContainers", []):
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False
            assert security["readOnlyRootFilesystem"] is True
            assert security["capabilities"]["drop"] == ["ALL"]
    # A read-only root: whatever the image writes at run time is a volume (the metrics directory, upload spooling).
    dockerfile = DOCKERFILE.read_text()
    metrics_dir = re.search(r"PROMETHEUS_MULTIPROC_DIR=(\S+)", dockerfile)
    assert metrics_dir
    mounts = [m["mountPath"] for m in API["volumeMounts"]]
    assert any(metrics_dir.group(1).startswith(mount.rstrip("/") + "/") for mount in mounts)


def test_every_environment_variable_is_read_by_the_app_uvicorn_or_the_image() -> None:
    assert Settings.model_config.get("env_prefix", "") == ""
    settings = {name.upper() for name in Settings.model_fields}
    uvicorn = _uvicorn_command()
    prefix = uvicorn.context_settings["auto_envvar_prefix"] + "_"
    uvicorn_options = {prefix + param.name.upper() for param in uvicorn.params}
    image_command = set(re.findall(r"\$\{?(\w+)", _image_command()))
    names = set(_config_env())
    for pod in (POD, JOB["spec"]["template"]["spec"]):
        for container in pod["containers"] + pod.get("initContainers", []):
            names |= {entry["name"] for entry in container.get("env", [])}
            sources = {(kind, ref["name"]) for source in container["envFrom"] for kind, ref in source.items()}
            assert sources == {
                ("configMapRef", CONFIG_MAP["metadata"]["name"]),
                ("secretRef", SECRET["metadata"]["name"]),
            }
    unknown = sorted(names - settings - uvicorn_options - image_command)
    assert unknown == [], "set in the manifests but read by nobody (neither Settings, uvicorn nor the image's CMD)"
    secret_names = {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"}
    assert secret_names <= set(SECRET["stringData"]) and not secret_names & set(CONFIG_MAP["data"])


def test_the_example_secret_is_refused_and_the_configuration_accepted_with_a_real_key(
    pod_environment: Callable[[dict[str, str]], None],
) -> None:
    pod_environment(_pod_env())
    with pytest.raises(ValidationError, match="SECRET_KEY must be at least 32 bytes"):
        Settings(_env_file=None)
    pod_environment({**_pod_env(), "SECRET_KEY": REAL_LOOKING_KEY})
    settings = Settings(_env_file=None)
    assert settings.environment == "production"
    assert settings.web_concurrency == 1


def test_termination_leaves_time_for_the_endpoint_removal_and_the_graceful_shutdown(
    pod_environment: Callable[[dict[str, str]], None],
) -> None:
    pod_environment(_pod_env())
    graceful = _image_uvicorn_params()["timeout_graceful_shutdown"]
    assert graceful is not None, "uvicorn would wait for in-flight requests without bound"
    pre_stop = API["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pre_stop >= 1
    # The grace period counts from the preStop hook; the lifespan's shutdown (pool, Redis) runs after the timeout.
    assert POD["terminationGracePeriodSeconds"] >= pre_stop + graceful + 5


def test_the_kustomization_sets_the_image_the_workloads_use() -> None:
    (kustomization,) = lint_deploy.load_documents(DEPLOY_DIR / lint_deploy.KUSTOMIZATION)
    names = {image["name"] for image in kustomization["images"]}
    for pod in (POD, JOB["spec"]["template"]["spec"]):
        for container in pod["containers"] + pod.get("initContainers", []):
            assert container["image"].partition(":")[0] in names
    assert "secret.example.yaml" not in kustomization["resources"]  # a deploy must not overwrite the real Secret
