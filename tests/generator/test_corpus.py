"""Corpus: every real spec in ../shared/specs generates, imports, boots and answers 501 until bound."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from fastapi.routing import APIRoute

from scripts.generate import generate
from scripts.naming import snake_case
from scripts.operations import METHODS
from tests.generator.helpers import SPECS, import_package

CORPUS = sorted(SPECS.glob("*.yaml"))
_VALID_TEMPLATE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _expected_routes(spec: dict[str, object]) -> set[tuple[str, str]]:
    """(METHOD, path) of every operation; templates Starlette cannot match are routed under their snake_case name."""

    def route(path: str) -> str:
        return re.sub(
            r"\{([^}]+)\}", lambda m: m[0] if _VALID_TEMPLATE.match(m[1]) else "{" + snake_case(m[1]) + "}", path
        )

    paths = spec.get("paths") or {}
    assert isinstance(paths, dict)
    return {(m.upper(), route(p)) for p, item in paths.items() for m in METHODS if m in item}


def test_corpus_is_present() -> None:
    assert len(CORPUS) >= 10, f"expected the shared spec corpus in {SPECS}"


@pytest.mark.parametrize("spec_path", CORPUS, ids=[p.stem for p in CORPUS])
def test_corpus_spec_generates_imports_and_boots_a_501_stub_app(spec_path: Path, tmp_path: Path) -> None:
    package = "gen_corpus_" + re.sub(r"\W", "_", spec_path.stem)
    # Lenient: real specs may carry validator findings that do not affect the output (opc-baseline has one).
    generate(spec_path, tmp_path / package, strict=False)
    pkg = import_package(tmp_path, package)
    routers = pkg.build_routers()
    app = FastAPI()
    for router in routers:
        app.include_router(router)

    spec = yaml.safe_load(spec_path.read_text())
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    assert {(m, r.path) for r in routes for m in r.methods or ()} == _expected_routes(spec)
    documented = app.openapi()["paths"]
    assert {(m.upper(), p) for p, item in documented.items() for m in item} == _expected_routes(spec)
    assert {op.operation_id for op in pkg.OPERATIONS} == {r.operation_id for r in routes}

    if not routes:
        return
    answers = [(r, _call(app, spec, r)) for r in sorted(routes, key=lambda r: (r.path, sorted(r.methods or ())))]
    stubbed = [(r, resp) for r, resp in answers if resp.status_code == 501]
    assert stubbed, [(r.path, resp.status_code, resp.text[:200]) for r, resp in answers]
    for route, response in stubbed:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == f"operation {route.operation_id} is not implemented"


def _sample(spec: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    """A minimal value valid for simple schemas: const, enum, example, default, else by type."""
    while isinstance(schema, dict) and "$ref" in schema and depth < 20:
        node: Any = spec
        for token in schema["$ref"][2:].split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        schema, depth = node, depth + 1
    if not isinstance(schema, dict) or depth > 20:
        return "x"
    for key in ("const", "default", "example"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("oneOf", "anyOf", "allOf"):
        if schema.get(key):
            return _sample(spec, schema[key][0], depth + 1)
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), "string") if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {k: _sample(spec, props.get(k), depth + 1) for k in schema.get("required") or []}
    if kind == "array":
        return [_sample(spec, schema.get("items"), depth + 1)] * int(schema.get("minItems", 0))
    return {"integer": 1, "number": 1.5, "boolean": True}.get(str(kind), "x")


def _call(app: FastAPI, spec: dict[str, Any], route: APIRoute) -> httpx.Response:
    """Call a route with every required parameter and a JSON body sampled from the spec's schemas."""
    item = spec["paths"][
        next(p for p in spec["paths"] if _expected_routes({"paths": {p: {"get": {}}}}) == {("GET", route.path)})
    ]
    method = sorted(route.methods or ())[0]
    op = item[method.lower()]
    params = {
        (p["name"], p["in"]): p
        for p in (_deref(spec, x) for x in [*item.get("parameters", []), *op.get("parameters", [])])
    }
    url = route.path
    query: dict[str, str] = {}
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    for (name, where), param in params.items():
        value = (
            str(_sample(spec, param.get("schema"))).lower()
            if param.get("schema", {}).get("type") == "boolean"
            else str(_sample(spec, param.get("schema")))
        )
        if where == "path":
            url = re.sub(r"\{[^}]*\}", value, url, count=1) if "{" in url else url
        elif param.get("required"):
            {"query": query, "header": headers, "cookie": cookies}[where][name] = value
    url = re.sub(r"\{[^}]*\}", "1", url)
    body = _deref(spec, op.get("requestBody")) or {}
    content = body.get("content") or {}
    json_type = next((m for m in content if m.endswith("json")), None)
    kwargs: dict[str, Any] = {}
    if json_type is not None and body.get("required"):
        kwargs["json"] = _sample(spec, content[json_type].get("schema"))

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test", cookies=cookies
        ) as client:
            return await client.request(method, url, params=query, headers=headers, **kwargs)

    return asyncio.run(go())


def _deref(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for token in node["$ref"][2:].split("/"):
            target = target[token.replace("~1", "/").replace("~0", "~")]
        node = target
    return node
