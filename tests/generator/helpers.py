"""Helpers of the generator tests: repo paths, importing generated packages and type-checking them."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
from fastapi import FastAPI

from scripts.generate import generate
from scripts.parse import Operation, Tag, parse
from scripts.schemas import Models, prepare, run_datamodel_codegen
from scripts.typeexpr import TypeRenderer
from tests import caches

REPO = Path(__file__).resolve().parents[2]

GOLDEN = REPO / "tests" / "generator" / "golden"
# In CI the repo is a fresh clone with `shared/` beside it.
SPECS = (REPO / ".." / "shared" / "specs").resolve()

OK = {"200": {"description": "ok"}}

_MYPY_INI = """\
[mypy]
strict = True
plugins = pydantic.mypy
"""


def import_package(root: Path, name: str) -> ModuleType:
    """Import the generated package `root/name` under its own (unique) name."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    return importlib.import_module(name)


def recording_stub(spec: Path, root: Path, *methods: str) -> tuple[httpx.AsyncClient, list[dict[str, Any]]]:
    """`spec`'s generated stub on an in-process client, its default service implementing `methods` by recording
    the keyword arguments each call got (the rest answer 501)."""
    name = f"gen_{spec.stem.replace('-', '_')}"
    generate(spec, root / name, display=spec.name)
    package = import_package(root, name)
    received: list[dict[str, Any]] = []

    async def record(self: object, ctx: object, **kwargs: Any) -> None:
        received.append(kwargs)

    recorder = type("Recorder", (package.protocols.UnimplementedDefaultService,), dict.fromkeys(methods, record))
    app = FastAPI()
    for router in package.build_routers(package.Services(default=recorder())):
        app.router.routes.extend(router.routes)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t"), received


def run_mypy(root: Path, *packages: str, cache: str) -> subprocess.CompletedProcess[str]:
    """Run `mypy --strict` (pydantic plugin) on generated packages below `root`, from the mypy cache the last run
    saved as `cache` (tests/caches.py: the standard library and pydantic are not analysed again)."""
    config = root / "mypy.ini"
    config.write_text(_MYPY_INI)
    return caches.run_mypy(cache, root / ".mypy_cache", "--config-file", str(config), *packages, cwd=root)


def inline_spec(paths: dict[str, Any], schemas: dict[str, Any] | None = None, **components: Any) -> dict[str, Any]:
    """An OpenAPI 3.1 document with these paths, `components.schemas` and other components."""
    spec: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths}
    if schemas is not None or components:
        spec["components"] = {**components, **({"schemas": schemas} if schemas is not None else {})}
    return spec


def parse_inline(spec: dict[str, Any], models: Models | None = None) -> tuple[Tag, ...]:
    """The parsed tags of an inline spec (models generated unless given)."""
    prepared = prepare(spec)
    return parse(prepared, TypeRenderer(prepared, models or run_datamodel_codegen(prepared)))


def only_operation(spec: dict[str, Any]) -> Operation:
    """The one operation of a one-operation inline spec."""
    (tag,) = parse_inline(spec)
    (op,) = tag.operations
    return op
