"""The edge under attack: forged client addresses, mislabelled bodies, wildcard CORS, HSTS and CSP."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator, Callable
from html.parser import HTMLParser

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from impl.app import create_app
from impl.settings import Settings
from tests.contract.live_server import serve
from tests.databases import REPO_ROOT, make_settings

# --- Item 6: the client address is the peer's unless the peer is a configured proxy ---------------------------------

PER_ADDRESS = 3


async def _failed_logins(base_url: str, forwarded_for: Callable[[int], str], attempts: int) -> list[int]:
    """Statuses of `attempts` wrong password grants, each for a different unknown user (so only the per-address
    limit can answer 429), the i-th sent with `X-Forwarded-For: forwarded_for(i)`."""
    statuses = []
    async with httpx.AsyncClient(base_url=base_url) as http:
        for i in range(attempts):
            form = {"grant_type": "password", "username": f"nobody-{i}@example.com", "password": "wrong password!"}
            response = await http.post("/token", data=form, headers={"X-Forwarded-For": forwarded_for(i)})
            statuses.append(response.status_code)
    return statuses


def _rotating(i: int) -> str:
    return f"203.0.113.{i + 1}"


def _live_app(database_url: str, **overrides: object) -> FastAPI:
    return create_app(
        make_settings(database_url, login_failures_per_ip=PER_ADDRESS, login_failures_per_user=10**6, **overrides)
    )


async def test_rotating_x_forwarded_for_does_not_dodge_the_per_address_limit_by_default(database_url: str) -> None:
    # A real uvicorn server, started as `make run` starts it: the peer (127.0.0.1) is the client address.
    with serve(_live_app(database_url)) as url:
        statuses = await _failed_logins(url, _rotating, PER_ADDRESS + 1)
    assert statuses == [400] * PER_ADDRESS + [429]


async def test_the_forwarded_address_is_the_client_address_behind_a_trusted_proxy(database_url: str) -> None:
    with serve(_live_app(database_url, trusted_proxies=["127.0.0.1"])) as url:
        rotating = await _failed_logins(url, _rotating, PER_ADDRESS + 1)
        one_client = await _failed_logins(url, lambda _: "198.51.100.7", PER_ADDRESS + 1)
    assert rotating == [400] * (PER_ADDRESS + 1)  # each forwarded address is a client of its own
    assert one_client == [400] * PER_ADDRESS + [429]


def test_trusted_proxies_take_addresses_and_networks_only() -> None:
    accepted = Settings(environment="test", trusted_proxies=["10.0.0.0/8", "127.0.0.1", "::1", "fd00::/8"])
    assert accepted.trusted_proxies == ["10.0.0.0/8", "127.0.0.1", "::1", "fd00::/8"]
    assert Settings(environment="test").trusted_proxies == []  # trust nobody by default
    for bad in ("*", "proxy.internal", "10.0.0.0/33", "10.0.0.1/8"):
        with pytest.raises(ValidationError, match="TRUSTED_PROXIES"):
            Settings(environment="test", trusted_proxies=[bad])


def test_every_uvicorn_command_line_leaves_forwarded_headers_to_the_app() -> None:
    # uvicorn's own proxy handling (on by default, trusting 127.0.0.1) would rewrite the address before the app sees
    # it; only the app's TRUSTED_PROXIES may decide.
    launchers = [REPO_ROOT / "Makefile", *REPO_ROOT.glob("Dockerfile*")]
    lines = [line for path in launchers for line in path.read_text().splitlines() if "uvicorn " in line]
    assert lines
    for line in lines:
        assert "--no-proxy-headers" in line, line


# --- Item 11: the upload limit belongs to the operations that accept uploads, whatever the Content-Type says ----------

BIG = 200 * 1024  # over make_settings' max_body_bytes (64 KiB), under max_upload_bytes (10 MiB)


def _multipart(size: int) -> dict[str, str]:
    return {"content-type": "multipart/form-data; boundary=x", "content-length": str(size)}


async def _chunks(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 8192):
        yield b"x" * 8192


@pytest.mark.parametrize("path", ["/token", "/items", "/login", "/users"])
async def test_a_body_labelled_multipart_gets_the_normal_limit_where_the_contract_takes_no_upload(
    alice: httpx.AsyncClient, path: str
) -> None:
    # Signed in, so the body is read (an anonymous POST /items is refused before that).
    declared = await alice.post(path, content=b"x" * BIG, headers=_multipart(BIG))
    chunked = await alice.post(path, content=_chunks(BIG), headers={"content-type": "multipart/form-data; b=x"})
    assert declared.status_code == 413, declared.text
    assert chunked.status_code == 413, chunked.text


async def test_upload_operations_keep_the_upload_limit(app: FastAPI, alice: httpx.AsyncClient) -> None:
    limit = app.state.settings.max_upload_bytes
    for path in ("/files", "/items/1/images"):
        within = await alice.post(path, content=b"x" * BIG, headers=_multipart(BIG))
        over = await alice.post(path, content=b"x" * 10, headers=_multipart(limit + 1))
        assert within.status_code != 413, (path, within.text)
        assert over.status_code == 413, (path, over.text)


# --- Item 12: CORS origins are exact origins, never `*` (credentials are allowed) -------------------------------------


def test_a_wildcard_cors_origin_is_refused_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", '["*"]')
    with pytest.raises(ValidationError, match="CORS_ORIGINS"):
        Settings(_env_file=None, environment="test")  # type: ignore[call-arg]  # pydantic-settings' init kwarg


@pytest.mark.parametrize(
    "origin",
    ["https://*.example.com", "https://app.example/", "https://app.example/path", "app.example", "null",
     "https://user@app.example", "https://app.example?x=1", "https://app.example:99999", "HTTPS://App.example"],
)  # fmt: skip
def test_cors_origins_must_be_scheme_host_and_port(origin: str) -> None:
    with pytest.raises(ValidationError, match="CORS_ORIGINS"):
        Settings(environment="test", cors_origins=["https://ok.example", origin])


async def test_configured_cors_origins_still_work_and_others_are_not_reflected(database_url: str) -> None:
    good = "http://localhost:3000"
    application = create_app(make_settings(database_url, cors_origins=[good, "https://app.example:8443"]))
    preflight = {"Access-Control-Request-Method": "POST"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://t") as http:
        allowed = await http.options("/items", headers={"Origin": good, **preflight})
        refused = await http.options("/items", headers={"Origin": "https://evil.example", **preflight})
    await application.state.database.dispose()
    assert allowed.headers["access-control-allow-origin"] == good
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in refused.headers


# --- Item 15: HSTS over https, a CSP on every response (the docs pages' fits what they run) ---------------------------

HSTS = "max-age=63072000; includeSubDomains"
API_CSP = "default-src 'none'; frame-ancestors 'none'"


async def test_hsts_only_on_responses_to_https_requests(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as https:
        secure = await https.get("/healthz")
        missing = await https.get("/no-such-path")
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        plain = await http.get("/healthz")
        # From a peer that is no trusted proxy, X-Forwarded-Proto says nothing.
        forged = await http.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert secure.headers["strict-transport-security"] == HSTS
    assert missing.status_code == 404 and missing.headers["strict-transport-security"] == HSTS
    assert "strict-transport-security" not in plain.headers
    assert "strict-transport-security" not in forged.headers


async def test_hsts_when_a_trusted_proxy_says_the_request_came_over_https(database_url: str) -> None:
    # ASGITransport's peer is 127.0.0.1.
    application = create_app(make_settings(database_url, trusted_proxies=["127.0.0.1/32"]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://t") as http:
        forwarded = await http.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        direct = await http.get("/healthz")
    await application.state.database.dispose()
    assert forwarded.headers["strict-transport-security"] == HSTS
    assert "strict-transport-security" not in direct.headers


async def test_api_responses_carry_the_strict_csp(client: httpx.AsyncClient) -> None:
    responses = [
        await client.get("/healthz"),
        await client.get("/openapi.json"),
        await client.get("/items/1"),  # a problem
        await client.post("/token", content=b"x" * BIG, headers={"content-type": "application/json"}),  # 413
        await client.get("/docs-assets/swagger-ui-bundle.js"),
    ]
    for response in responses:
        assert response.headers.get_list("content-security-policy") == [API_CSP], response.request.url


class _InlineScripts(HTMLParser):
    """The text of every <script> without a src attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self._inline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._inline = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inline = False

    def handle_data(self, data: str) -> None:
        if self._inline:
            self.scripts[-1] += data


def _script_hashes(html: str) -> set[str]:
    parser = _InlineScripts()
    parser.feed(html)
    parser.close()
    return {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in parser.scripts}


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


@pytest.mark.parametrize("root_path", ["", "/api"])
@pytest.mark.parametrize("page", ["/docs", "/docs/oauth2-redirect", "/redoc"])
async def test_docs_pages_allow_exactly_their_own_scripts(app: FastAPI, page: str, root_path: str) -> None:
    transport = httpx.ASGITransport(app=app, root_path=root_path)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get(root_path + page)
    assert response.status_code == 200
    [policy] = response.headers.get_list("content-security-policy")
    directives = _directives(policy)
    hashes = _script_hashes(response.text)
    assert hashes or page == "/redoc"  # ReDoc's page has no inline script
    assert set(directives["script-src"]) == {"'self'", *hashes}
    assert directives["default-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
    if page != "/docs/oauth2-redirect":
        assert directives["connect-src"] == ["'self'"]  # the page fetches the contract
        assert set(directives["img-src"]) == {"'self'", "data:"}
    if page == "/redoc":
        assert directives["worker-src"] == ["blob:"]  # ReDoc's search index runs in a blob worker
    assert re.search(r"\bsrc=\"[^\"]*//", response.text) is None  # nothing from another host: offline docs
