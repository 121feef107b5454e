"""Golden tests: the generator's exact output for the fixture specs, type-checked, imported and exercised."""

from __future__ import annotations

import asyncio
import difflib
import filecmp
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from scripts.generate import generate
from tests.generator.helpers import GOLDEN, import_package, run_mypy

CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "openapi.yaml").is_file())


def _differences(left: Path, right: Path) -> list[str]:
    """Return readable differences between two trees (missing files, extra files, unified diffs)."""
    out: list[str] = []
    cmp = filecmp.dircmp(left, right, ignore=["__pycache__"])
    out += [f"only in expected: {left / n}" for n in cmp.left_only]
    out += [f"only in generated: {right / n}" for n in cmp.right_only]
    common = [n for n in cmp.common_files]
    _, mismatch, errors = filecmp.cmpfiles(left, right, common, shallow=False)
    for name in mismatch + errors:
        a = (left / name).read_text().splitlines(keepends=True)
        b = (right / name).read_text().splitlines(keepends=True)
        out.append("".join(difflib.unified_diff(a, b, f"expected/{name}", f"generated/{name}")))
    for sub in cmp.common_dirs:
        out += _differences(left / sub, right / sub)
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generate every golden case into one tmp root as packages `gen_golden_<case>`."""
    root = tmp_path_factory.mktemp("golden")
    for case in CASES:
        generate(GOLDEN / case / "openapi.yaml", root / f"gen_golden_{case}", display="openapi.yaml")
    return root


@pytest.mark.parametrize("case", CASES)
def test_golden_output_matches_expected_tree(generated: Path, case: str) -> None:
    diffs = _differences(GOLDEN / case / "expected", generated / f"gen_golden_{case}")
    assert not diffs, "generated output differs; review and run `python -m scripts.generate --update-golden`\n" + (
        "\n".join(diffs)
    )


def test_golden_output_passes_mypy_strict(generated: Path) -> None:
    done = run_mypy(generated, *(f"gen_golden_{case}" for case in CASES))
    assert done.returncode == 0, done.stdout + done.stderr


def test_golden_output_passes_ruff(generated: Path) -> None:
    import subprocess
    import sys

    ruff = Path(sys.executable).with_name("ruff")
    done = subprocess.run(
        [str(ruff), "check", "--isolated", "--line-length", "120", "--select", "E,F,I,B,UP,RUF", "."],
        cwd=generated,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _call(app: FastAPI, method: str, url: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(go())


def test_golden_stub_app_answers_501_problem(generated: Path) -> None:
    pkg = import_package(generated, "gen_golden_petstore")
    app = FastAPI()
    for router in pkg.build_routers():
        app.include_router(router)
    response = _call(app, "GET", "/pets/7")
    assert response.status_code == 501
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Implemented",
        "status": 501,
        "detail": "operation getPet is not implemented",
        "instance": "/pets/7",
    }


def test_golden_routes_bind_a_service_end_to_end(generated: Path) -> None:
    pkg = import_package(generated, "gen_golden_petstore")
    models = import_package(generated, "gen_golden_petstore.models")
    runtime = import_package(generated, "gen_golden_petstore.runtime")
    seen: dict[str, Any] = {}

    class Pets:
        async def create_pet(self, ctx: Any, *, body: Any) -> Any:
            seen["principal"] = ctx.principal
            return models.Pet(id=models.Id(5), name=body.name)

        async def list_pets(self, ctx: Any, **kwargs: Any) -> Any:
            seen["list"] = kwargs
            ctx.headers["X-Total"] = "0"
            ctx.set_cookie("last", "q")
            return []

        async def delete_pet(self, ctx: Any, *, pet_id: int, if_match: str) -> None:
            seen["delete"] = (pet_id, if_match)

        async def get_photo(self, ctx: Any, *, pet_id: int) -> Any:
            async def chunks() -> AsyncIterator[bytes]:
                yield b"\x89PNG"

            return runtime.Download(media_type="image/png", content=chunks(), filename="p.png")

        async def upload_photo(self, ctx: Any, *, pet_id: int, file: Any, caption: Any, extras: Any) -> None:
            seen["upload"] = (pet_id, await file.read(), caption, extras)

        async def get_pet(self, ctx: Any, *, pet_id: int) -> Any:
            raise NotImplementedError

    class Store:
        async def place_order(self, ctx: Any, *, body: Any) -> Any:
            return models.Order(id=1, petId=body.petId, quantity=body.quantity)

    class Auth:
        async def __call__(self, request: Any, operation: Any) -> Any:
            scopes = {s for alternative in operation.security for s in alternative.get("bearer", ())}
            return runtime.Principal(subject="u1", scopes=frozenset(scopes))

    app = FastAPI()
    for router in pkg.build_routers({"pets": Pets, "store": Store}, authenticator=Auth()):
        app.include_router(router)

    created = _call(app, "POST", "/pets", json={"name": "Rex"})
    assert created.status_code == 201
    assert created.headers["location"] == "/pets/5"
    assert created.json() == {"id": 5, "name": "Rex"}  # unset optional fields stay absent, never null
    assert seen["principal"].scopes == frozenset({"pets:write"})

    assert _call(app, "POST", "/pets", content=b"name=Rex", headers={"content-type": "text/plain"}).status_code == 415
    assert _call(app, "POST", "/pets", json={"name": 5}).status_code == 422  # strict: no str coercion

    listed = _call(app, "GET", "/pets?tag=a&tag=b&status=sold", headers={"X-Request-ID": "0" * 32})
    assert listed.status_code == 200 and listed.json() == []
    assert listed.headers["x-total"] == "0" and "last=q" in listed.headers["set-cookie"]
    assert seen["list"]["limit"] == 20 and seen["list"]["tag"] == ["a", "b"]
    assert seen["list"]["status"] == models.PetStatus.sold

    assert _call(app, "GET", "/pets?limit=101").status_code == 422
    assert _call(app, "GET", f"/pets/{2**70}", headers={}).status_code == 422  # int64 bound: 422, not a DB error

    deleted = _call(app, "DELETE", "/pets/3", headers={"If-Match": '"v1"'})
    assert deleted.status_code == 204 and deleted.content == b"" and seen["delete"] == (3, '"v1"')

    photo = _call(app, "GET", "/pets/3/photo")
    assert photo.status_code == 200 and photo.content == b"\x89PNG"
    assert photo.headers["content-type"] == "image/png" and "p.png" in photo.headers["content-disposition"]

    uploaded = _call(app, "PUT", "/pets/3/photo", files={"file": ("a.bin", b"abc")}, data={"caption": "hi"})
    assert uploaded.status_code == 204 and seen["upload"] == (3, b"abc", "hi", None)

    order = _call(app, "POST", "/store/orders", data={"petId": "3", "quantity": "2"})
    assert order.status_code == 200 and order.json() == {"id": 1, "petId": 3, "quantity": 2}
    assert _call(app, "POST", "/store/orders", data={"petId": "3", "quantity": "0"}).status_code == 422

    assert _call(app, "GET", "/pets/3").status_code == 501  # the service raised NotImplementedError
    assert _call(app, "GET", "/store/inventory").status_code == 501  # the service has no such method


def test_golden_update_golden_writes_only_under_golden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import scripts.generate as cli

    fake = tmp_path / "golden"
    shutil.copytree(GOLDEN / "nullable30", fake / "nullable30", ignore=shutil.ignore_patterns("expected"))
    monkeypatch.setattr(cli, "GOLDEN", fake)
    monkeypatch.setattr(cli, "REPO", tmp_path)
    assert cli.main(["--update-golden"]) == 0
    assert not _differences(GOLDEN / "nullable30" / "expected", fake / "nullable30" / "expected")
