"""Golden tests: the generator's exact output for the fixture specs, type-checked, imported and exercised."""

from __future__ import annotations

import asyncio
import difflib
import filecmp
import shutil
import uuid
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
    done = run_mypy(generated, *(f"gen_golden_{case}" for case in CASES), cache="golden")
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


def _app(pkg: Any, *args: Any, **kwargs: Any) -> FastAPI:
    app = FastAPI()
    for router in pkg.build_routers(*args, **kwargs):
        app.include_router(router)
    return app


def test_golden_stub_app_answers_501_problem_for_every_operation(generated: Path) -> None:
    pkg = import_package(generated, "gen_golden_petstore")
    app = _app(pkg)
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
    mine = _call(app, "GET", "/pets/mine")  # the literal path, not getPet with petId "mine"
    assert (mine.status_code, mine.json()["detail"]) == (501, "operation get_pets_mine is not implemented")
    assert pkg.implemented_operations(pkg.Services.unimplemented()) == frozenset()


def test_golden_unknown_method_answers_405_with_the_paths_allow_list(generated: Path) -> None:
    app = _app(import_package(generated, "gen_golden_petstore"))
    response = _call(app, "PATCH", "/pets")
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"
    assert response.headers["content-type"] == "application/problem+json"
    assert _call(app, "POST", "/pets/3").headers["allow"] == "DELETE, GET"


def test_golden_security_module_lists_schemes_and_scopes(generated: Path) -> None:
    security = import_package(generated, "gen_golden_petstore.security")
    assert security.SCHEMES == {"apiKey": security.SCHEME_API_KEY, "bearer": security.SCHEME_BEARER}
    assert (security.SCHEME_API_KEY.location, security.SCHEME_API_KEY.parameter) == ("header", "X-API-Key")
    assert security.SCHEME_BEARER.http_scheme == "bearer"
    assert security.SCOPES == frozenset({security.SCOPE_PETS_WRITE, security.SCOPE_STORE_READ})
    assert (security.SCOPE_PETS_WRITE, security.SCOPE_STORE_READ) == ("pets:write", "store:read")


def test_golden_routes_bind_a_service_end_to_end(generated: Path) -> None:
    pkg = import_package(generated, "gen_golden_petstore")
    models = import_package(generated, "gen_golden_petstore.models")
    protocols = import_package(generated, "gen_golden_petstore.protocols")
    runtime = import_package(generated, "gen_golden_petstore.runtime")
    seen: dict[str, Any] = {}

    # A partial implementation on purpose: getPet, listPetsByKind, get_pets_mine and getInventory stay 501.
    class Pets(protocols.UnimplementedPetsService):
        async def create_pet(self, ctx: Any, *, body: Any) -> Any:
            seen["principal"] = ctx.principal
            return models.Pet(id=models.Id(5), name=body.name)

        async def list_pets(self, ctx: Any, **kwargs: Any) -> Any:
            seen["list"] = (ctx.principal, kwargs)
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
            seen["upload"] = (pet_id, await file.read(), caption, extras and [await e.read() for e in extras])

    class Store(protocols.UnimplementedStoreService):
        async def place_order(self, ctx: Any, *, body: Any) -> Any:
            seen["order"] = body
            return models.Order(id=1, petId=body.petId, quantity=body.quantity)

    class Auth:
        async def __call__(self, request: Any, operation: Any) -> Any:
            scopes = {s for alternative in operation.security for s in alternative.get("bearer", ())}
            return runtime.Principal(subject="u1", scopes=frozenset(scopes))

    services = pkg.Services(pets=Pets(), store=Store())
    assert {op.operation_id for op in pkg.implemented_operations(services)} == {
        "createPet",
        "listPets",
        "deletePet",
        "getPhoto",
        "uploadPhoto",
        "placeOrder",
    }
    app = _app(pkg, services, authenticator=Auth())

    created = _call(app, "POST", "/pets", json={"name": "Rex"})
    assert created.status_code == 201
    assert created.headers["location"] == "/pets/5"
    assert created.json() == {"id": 5, "name": "Rex"}  # unset optional fields stay absent, never null
    assert seen["principal"].scopes == frozenset({"pets:write"})

    assert _call(app, "POST", "/pets", content=b"name=Rex", headers={"content-type": "text/plain"}).status_code == 415
    assert _call(app, "POST", "/pets", json={"name": 5}).status_code == 422  # strict: no str coercion

    listed = _call(
        app, "GET", "/pets?tag=a&tag=b&status=sold", headers={"X-Request-ID": "0" * 32, "cookie": "session=s"}
    )
    assert listed.status_code == 200 and listed.json() == []
    assert listed.headers["x-total"] == "0" and "last=q" in listed.headers["set-cookie"]
    principal, arguments = seen["list"]
    assert principal is None  # `security: []`: the authenticator is never asked
    assert arguments == {
        "limit": 20,
        "tag": ["a", "b"],
        "status": models.PetStatus.sold,
        "x_request_id": uuid.UUID(int=0),
        "session": "s",
    }

    assert _call(app, "GET", "/pets?limit=101").json()["errors"][0]["loc"] == ["query", "limit"]
    too_big = _call(app, "GET", f"/pets/{2**70}")  # int64 bound: 422, not a DB error
    assert too_big.status_code == 422 and too_big.json()["errors"][0]["loc"] == ["path", "petId"]

    deleted = _call(app, "DELETE", "/pets/3", headers={"If-Match": '"v1"'})
    assert deleted.status_code == 204 and deleted.content == b"" and seen["delete"] == (3, '"v1"')
    assert _call(app, "DELETE", "/pets/3").json()["errors"][0]["loc"] == ["header", "If-Match"]

    photo = _call(app, "GET", "/pets/3/photo")
    assert photo.status_code == 200 and photo.content == b"\x89PNG"
    assert photo.headers["content-type"] == "image/png" and "p.png" in photo.headers["content-disposition"]

    uploaded = _call(app, "PUT", "/pets/3/photo", files={"file": ("a.bin", b"abc")}, data={"caption": "hi"})
    assert uploaded.status_code == 204 and seen["upload"] == (3, b"abc", "hi", None)
    files = [("file", ("a.bin", b"abc")), ("extras", ("b.bin", b"1")), ("extras", ("c.bin", b"2"))]
    assert _call(app, "PUT", "/pets/3/photo", files=files).status_code == 204
    assert seen["upload"] == (3, b"abc", None, [b"1", b"2"])

    order = _call(app, "POST", "/store/orders", data={"petId": "3", "quantity": "2"})
    assert order.status_code == 200 and order.json() == {"id": 1, "petId": 3, "quantity": 2}
    assert seen["order"] == models.PlaceOrderRequest(petId=3, quantity=2)
    bad = _call(app, "POST", "/store/orders", data={"petId": "3", "quantity": "0"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "quantity"]

    assert _call(app, "GET", "/pets/3").status_code == 501  # inherited from UnimplementedPetsService
    assert _call(app, "GET", "/pets/mine").status_code == 501
    inventory = _call(app, "GET", "/store/inventory")
    assert (inventory.status_code, inventory.json()["detail"]) == (501, "operation getInventory is not implemented")


def test_golden_update_golden_writes_only_under_golden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import scripts.generate as cli

    fake = tmp_path / "golden"
    shutil.copytree(GOLDEN / "nullable30", fake / "nullable30", ignore=shutil.ignore_patterns("expected"))
    monkeypatch.setattr(cli, "GOLDEN", fake)
    monkeypatch.setattr(cli, "REPO", tmp_path)
    assert cli.main(["--update-golden"]) == 0
    assert not _differences(GOLDEN / "nullable30" / "expected", fake / "nullable30" / "expected")
