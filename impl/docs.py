"""Serve the authored contract verbatim (YAML and JSON) and offline Swagger UI / ReDoc pages."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
import orjson
import yaml
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, Response

CONTRACT_PATH = Path(__file__).resolve().parents[1] / "openapi" / "openapi.yaml"
_ASSETS = Path(fastapi_offline.__file__).parent / "static"
_ASSETS_URL = "/docs-assets"


def install_contract_docs(app: FastAPI, *, contract_path: Path = CONTRACT_PATH) -> None:
    """Add /openapi.yaml, /openapi.json, /docs and /redoc; the contract is read once, at start-up."""
    contract_yaml = contract_path.read_bytes()
    contract_json = orjson.dumps(yaml.safe_load(contract_yaml))
    title = app.title

    @app.get("/openapi.yaml", include_in_schema=False)
    async def openapi_yaml() -> Response:
        return Response(contract_yaml, media_type="application/yaml")

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_json() -> Response:
        return Response(contract_json, media_type="application/json")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}/openapi.json",
            title=f"{title} - Swagger UI",
            oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
            swagger_js_url=f"{root}{_ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{_ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{_ASSETS_URL}/favicon.png",
            init_oauth={"usePkceWithAuthorizationCodeGrant": False},
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}/openapi.json",
            title=f"{title} - ReDoc",
            redoc_js_url=f"{root}{_ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{_ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    app.mount(_ASSETS_URL, StaticFiles(directory=_ASSETS), name="docs-assets")
