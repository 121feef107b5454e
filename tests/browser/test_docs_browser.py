"""/docs and /redoc in headless Chromium against the real server: offline, within their CSP, and usable.

Playwright drives Debian's `chromium` (`executable_path`), never a browser it downloads: the machine has no network
besides package registries. `.ci/run` installs the package; without it the test skips locally and fails in CI.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Error, Page, expect, sync_playwright

from tests.contract.contract import contract
from tests.databases import REPO_ROOT, migrate
from tests.processes import uvicorn_server
from tests.users import ALICE, PASSWORD

SCREENSHOTS = REPO_ROOT / "build" / "browser"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# What the "Authorize" form grants: users:read is what GET /users/me needs, items:read shows a narrower grant.
GRANTED_SCOPES = ("items:read", "users:read")
# Chromium's advice about markup (a password field outside a <form> in Swagger UI's dialog), not an error.
_IGNORED_LEVELS = {"verbose", "debug", "info", "log"}
# Collects CSP violations in the page itself as well: the console reports most, this event reports every one.
_CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} refused ${event.blockedURI}`);
});
"""


def _chromium() -> str:
    """The system Chromium; skips locally and fails in CI (`CI=true`) when it is missing."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = "no chromium on PATH (Debian: apt-get install -y chromium; .ci/run installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a missing browser is a failure)")
    pytest.skip(message)


def _contract_operation_count() -> int:
    return sum(1 for item in contract()["paths"].values() for method in item if method in HTTP_METHODS)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server (`uvicorn impl.app:app` in a subprocess) on a migrated SQLite database, alice signed up."""
    workdir = tmp_path_factory.mktemp("browser")
    database_url = f"sqlite+aiosqlite:///{workdir / 'app.db'}"
    migrate(database_url)
    env = {
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
        "STORAGE_DIR": str(workdir / "storage"),
        "ARGON2_TIME_COST": "1",
        "REDIS_URL": "",
        "SMTP_HOST": "",
    }
    with uvicorn_server(env, log=workdir / "server.log") as url:
        response = httpx.post(f"{url}/users", json={"email": ALICE, "password": PASSWORD})
        assert response.status_code == 201, response.text
        yield url


@pytest.fixture
def page() -> Iterator[Page]:
    """A fresh headless page; after the test, fails on any console error, uncaught exception or CSP violation."""
    executable = _chromium()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type not in _IGNORED_LEVELS:
            problems.append(f"console {message.type}: {message.text}")

    def on_page_error(error: Error) -> None:
        problems.append(f"uncaught: {error}")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_init_script(_CSP_LISTENER)
            new_page = context.new_page()
            new_page.on("console", on_console)
            new_page.on("pageerror", on_page_error)
            yield new_page
            problems.extend(f"CSP: {v}" for v in new_page.evaluate("window.__cspViolations"))
        finally:
            browser.close()
    assert not problems, "\n".join(problems)


def _screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=full_page)
    return path


def test_swagger_ui_lists_every_operation_authorizes_and_tries_get_users_me(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/docs")
    expect(page.locator(".opblock")).to_have_count(_contract_operation_count())

    # Authorize: the OAuth2 password flow, as a person fills it in.
    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    dialog.locator("#oauth_username").fill(ALICE)
    dialog.locator("#oauth_password").fill(PASSWORD)
    for scope in GRANTED_SCOPES:
        # The checkbox itself is hidden behind its styled label.
        dialog.locator(f"label[for='{scope}-password-checkbox-OAuth2PasswordBearer']").click()
        expect(dialog.locator(f"input[data-value='{scope}']")).to_be_checked()
    dialog.get_by_role("button", name="Apply given OAuth2 credentials").click()
    expect(dialog.get_by_role("button", name="Remove authorization")).to_be_visible()
    _screenshot(page, "docs-authorized")
    dialog.get_by_role("button", name="Close").first.click()

    # Try it out on GET /users/me: Swagger UI sends the bearer token it got from POST /token.
    operation = page.locator("#operations-users-readCurrentUser")
    operation.locator(".opblock-summary-control").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table .response .response-col_status")).to_have_text("200")
    expect(operation.locator(".live-responses-table .microlight").first).to_contain_text(ALICE)
    _screenshot(page, "docs-users-me")


def test_redoc_renders_every_operation(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/redoc")
    expect(page.locator("h1").first).to_contain_text("Contract API")
    expect(page.locator("[data-section-id^='operation/']")).to_have_count(_contract_operation_count())
    expect(page.get_by_role("menuitem").first).to_be_visible()
    _screenshot(page, "redoc", full_page=False)  # the whole page is ~28,000 px tall
