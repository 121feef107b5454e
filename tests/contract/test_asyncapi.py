"""openapi/asyncapi.yaml is a valid AsyncAPI 3 document (the official parser, through node), describes the app's
WebSocket routes, and its item payload is the HTTP contract's Item: the two documents cannot drift apart."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from starlette.routing import WebSocketRoute

from impl.app import create_app
from tests.contract.contract import contract
from tests.databases import REPO_ROOT, make_settings

ASYNCAPI = REPO_ROOT / "openapi" / "asyncapi.yaml"
VALIDATOR = REPO_ROOT / "scripts" / "validate_asyncapi.mjs"
PARSER = REPO_ROOT / "node_modules" / "@asyncapi" / "parser"


def _require_node() -> str:
    """node, with the locked parser installed (`make install` runs `npm ci`); CI never skips."""
    node = shutil.which("node")
    if node is not None and PARSER.is_dir():
        return node
    message = "node and node_modules/@asyncapi/parser are needed (make install)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _parse(path: Path) -> tuple[int, dict[str, Any]]:
    """The validator's exit status and report (errors, warnings, the document with every $ref resolved)."""
    node = _require_node()
    run = subprocess.run(
        [node, str(VALIDATOR), str(path)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.stdout, run.stderr
    report: dict[str, Any] = json.loads(run.stdout)
    return run.returncode, report


@pytest.fixture(scope="module")
def parsed() -> dict[str, Any]:
    status, report = _parse(ASYNCAPI)
    assert status == 0 and report["errors"] == [], report["errors"]
    assert report["warnings"] == [], report["warnings"]
    document: dict[str, Any] = report["document"]
    return document


def _without_parser_keys(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _without_parser_keys(v) for k, v in schema.items() if not k.startswith("x-parser-")}
    if isinstance(schema, list):
        return [_without_parser_keys(v) for v in schema]
    return schema


def test_asyncapi_document_is_valid_asyncapi_3(parsed: dict[str, Any]) -> None:
    assert parsed["asyncapi"].startswith("3.")


def test_the_parser_rejects_a_broken_document(tmp_path: Path) -> None:
    # The check can fail: an AsyncAPI 2 style action is no AsyncAPI 3 operation.
    shutil.copy(REPO_ROOT / "openapi" / "openapi.yaml", tmp_path / "openapi.yaml")  # the Item it refers to
    broken = ASYNCAPI.read_text().replace("action: send", "action: publish", 1)
    (tmp_path / "asyncapi.yaml").write_text(broken)
    status, report = _parse(tmp_path / "asyncapi.yaml")
    assert status == 1 and report["errors"], report


def test_channels_are_the_apps_websocket_routes(parsed: dict[str, Any], tmp_path: Path) -> None:
    app = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"))
    routes = {route.path for route in app.routes if isinstance(route, WebSocketRoute)}
    assert {channel["address"] for channel in parsed["channels"].values()} == routes


def test_item_event_payload_is_the_http_contracts_item(parsed: dict[str, Any]) -> None:
    item = contract()["components"]["schemas"]["Item"]
    messages = parsed["components"]["messages"]
    for name in ("itemCreated", "itemUpdated"):
        payload = messages[name]["payload"]
        assert payload["required"] == ["event", "item"]
        event_item = payload["properties"]["item"]
        assert event_item["required"] == item["required"], name
        assert set(event_item["properties"]) == set(item["properties"]), name
        for field, schema in item["properties"].items():
            assert event_item["properties"][field].get("type") == schema.get("type"), (name, field)
    deleted = messages["itemDeleted"]["payload"]
    assert deleted["required"] == ["event", "id"]
    assert deleted["properties"]["id"]["type"] == item["properties"]["id"]["type"]


def test_event_names_match_what_the_app_sends(parsed: dict[str, Any]) -> None:
    messages = parsed["components"]["messages"]
    created, deleted = messages["itemCreated"]["payload"], messages["itemDeleted"]["payload"]
    assert created["properties"]["event"]["enum"] == ["created", "updated"]
    assert deleted["properties"]["event"]["const"] == "deleted"


def test_every_message_example_obeys_its_payload(parsed: dict[str, Any]) -> None:
    # The parser does not check examples against their schemas; a wrong example would mislead every reader.
    checked = 0
    for name, message in parsed["components"]["messages"].items():
        validator = Draft7Validator(_without_parser_keys(message["payload"]))
        for example in message.get("examples", []):
            errors = [error.message for error in validator.iter_errors(example["payload"])]
            assert errors == [], (name, errors)
            checked += 1
    assert checked >= 2


def test_items_channel_declares_both_credentials(parsed: dict[str, Any]) -> None:
    schemes = {scheme["name"]: scheme["in"] for scheme in parsed["operations"]["sendItemEvents"]["security"]}
    assert schemes == {"Sec-WebSocket-Protocol": "header", "access_token": "cookie"}
    # The cookie's name is the contract's session cookie.
    assert contract()["components"]["securitySchemes"]["CookieSession"]["name"] == "access_token"
    assert yaml.safe_load(ASYNCAPI.read_text())["asyncapi"] == "3.0.0"
