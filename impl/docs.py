"""Serve the authored contract verbatim (YAML and JSON) and offline Swagger UI / ReDoc pages, each with its CSP."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import fastapi_offline
import orjson
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, Response

CONTRACT_PATH = Path(__file__).resolve().parents[1] / "openapi" / "openapi.yaml"
_ASSETS = Path(fastapi_offline.__file__).parent / "static"
_ASSETS_URL = "/docs-assets"
# FastAPI writes its inline scripts as a bare `<script>` (with a src attribute for files): the text between the tags
# is what a browser hashes for script-src.
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
# What the pages load: their scripts and styles from /docs-assets, the contract (and "Try it out" calls) from this
# origin. Swagger UI and ReDoc set inline styles (ReDoc through styled-components); their icons are data: URLs.
_PAGE_DIRECTIVES = (
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
)
# ReDoc builds its search index in a worker it creates from a blob: URL.
_REDOC_DIRECTIVES = (*_PAGE_DIRECTIVES, "worker-src blob:")
# ReDoc's side menu always shows "API docs by Redocly" with a logo from its CDN (no option turns it off): a request
# the docs must not make offline, which the policy refuses. Served without that URL, the image fails at once and
# ReDoc hides it, as it would after the refusal, minus the violation.
_REDOC_JS = "redoc.standalone.js"
_REDOC_LOGO_URL = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


def parse_yaml(document: bytes) -> Any:
    """A YAML document as data, with libyaml's parser where PyYAML has it: its pure-Python one took ~100 ms of the
    contract (measured). A safe loader either way. PyYAML is imported here, at the first parse: a worker that
    never serves the contract as JSON never needs it."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # PyYAML's wheels ship libyaml; a source build may not
    return yaml.load(document, Loader=loader)


@lru_cache(maxsize=2)
def _as_json(contract_yaml: bytes) -> bytes:
    """The contract as JSON, parsed at its first request, once per process (every app a process creates serves the
    same file): parsing it at start-up left ~2.4 MB more in every worker's RSS (measured), most of which never serve
    it."""
    return orjson.dumps(parse_yaml(contract_yaml))


def install_contract_docs(app: FastAPI, *, contract_path: Path = CONTRACT_PATH) -> None:
    """Add /openapi.yaml, /openapi.json, /docs and /redoc; the contract file is read once, at start-up."""
    contract_yaml = contract_path.read_bytes()
    title = app.title

    @app.get("/openapi.yaml", include_in_schema=False)
    async def openapi_yaml() -> Response:
        return Response(contract_yaml, media_type="application/yaml")

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_json() -> Response:
        return Response(_as_json(contract_yaml), media_type="application/json")

    @lru_cache(maxsize=8)  # one entry per root path the server is mounted under
    def swagger_ui_contract(root: str) -> bytes:
        # Swagger UI sends "Try it out" and the password grant to the selected server, the first by default: the
        # contract's own (http://127.0.0.1:8000) is another origin wherever the docs are not served from exactly
        # there, and `connect-src 'self'` refuses it. This server comes first; the contract's stay selectable.
        here = {"url": f"{root}/", "description": "This server (the one serving these docs)"}
        contract = orjson.loads(_as_json(contract_yaml))
        return orjson.dumps({**contract, "servers": [here, *contract.get("servers", [])]})

    @lru_cache(maxsize=8)
    def swagger_ui_page(root: str) -> tuple[bytes, str]:
        page = get_swagger_ui_html(
            openapi_url=f"{root}/docs/openapi.json",
            title=f"{title} - Swagger UI",
            oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
            swagger_js_url=f"{root}{_ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{_ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{_ASSETS_URL}/favicon.png",
            init_oauth={"usePkceWithAuthorizationCodeGrant": False},
            # No validator badge: it is an image from swagger.io, and the docs work offline.
            swagger_ui_parameters={"validatorUrl": None},
        )
        return _with_policy(bytes(page.body), _PAGE_DIRECTIVES)

    @lru_cache(maxsize=8)
    def redoc_page(root: str) -> tuple[bytes, str]:
        page = get_redoc_html(
            openapi_url=f"{root}/openapi.json",
            title=f"{title} - ReDoc",
            redoc_js_url=f"{root}{_ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{_ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
        return _with_policy(bytes(page.body), _REDOC_DIRECTIVES)

    # The redirect page runs one inline script and loads nothing.
    redirect_page = _with_policy(bytes(get_swagger_ui_oauth2_redirect_html().body), ())
    # Built (and hashed) at start-up for the usual root path.
    swagger_ui_page("")
    redoc_page("")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return _html(swagger_ui_page, request)

    @app.get("/docs/openapi.json", include_in_schema=False)
    async def swagger_ui_openapi_json(request: Request) -> Response:
        return Response(swagger_ui_contract(request.scope.get("root_path", "")), media_type="application/json")

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        body, policy = redirect_page
        return HTMLResponse(body, headers={"content-security-policy": policy})

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return _html(redoc_page, request)

    # Before the mount: the first matching route answers.
    @app.get(f"{_ASSETS_URL}/{_REDOC_JS}", include_in_schema=False)
    async def redoc_script() -> Response:
        return Response(_redoc_js(), media_type="text/javascript")

    app.mount(_ASSETS_URL, StaticFiles(directory=_ASSETS), name="docs-assets")


@lru_cache(maxsize=1)
def _redoc_js() -> bytes:
    """ReDoc's bundle without its CDN logo, read at its first request: ~1 MB that most workers never serve (it
    was 1 MB of every worker's RSS when read at start-up)."""
    return (_ASSETS / _REDOC_JS).read_bytes().replace(_REDOC_LOGO_URL, b"")


def _html(page: Callable[[str], tuple[bytes, str]], request: Request) -> HTMLResponse:
    # A new response each time: the edge middleware appends to the headers list a response sends.
    body, policy = page(request.scope.get("root_path", ""))
    return HTMLResponse(body, headers={"content-security-policy": policy})


def _with_policy(body: bytes, directives: tuple[str, ...]) -> tuple[bytes, str]:
    """`body` and the CSP that lets it run: scripts from this origin plus its own inline scripts, by hash."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(body)
    )
    policy = [
        "default-src 'none'",
        f"script-src 'self'{hashes}",
        *directives,
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
    return body, "; ".join(policy)
