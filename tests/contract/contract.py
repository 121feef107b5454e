"""The contract as data, for tests: loaded once, with helpers to walk its operations and examples."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from impl.docs import CONTRACT_PATH, parse_yaml

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@cache
def contract() -> dict[str, Any]:
    """The parsed openapi/openapi.yaml (libyaml's parser: ~0.4 s less of each worker's collection)."""
    loaded: dict[str, Any] = parse_yaml(CONTRACT_PATH.read_bytes())
    return loaded


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation object) for every operation of the contract."""
    for path, item in contract()["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method.upper(), path, operation


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def examples() -> Iterator[tuple[str, str, object]]:
    """(pointer of the schema, pointer of the example, example value) for every example in the contract."""

    def walk(node: object, pointer: str) -> Iterator[tuple[str, str, object]]:
        if isinstance(node, dict):
            is_schema = "type" in node or "properties" in node or "$ref" in node or "enum" in node
            if is_schema and isinstance(node.get("examples"), list):
                for index, value in enumerate(node["examples"]):
                    yield pointer, f"{pointer}/examples/{index}", value
            if "schema" in node and "example" in node:  # a media type object
                yield f"{pointer}/schema", f"{pointer}/example", node["example"]
            for key, child in node.items():
                if key not in ("examples", "example"):
                    yield from walk(child, f"{pointer}/{_escape(str(key))}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                yield from walk(child, f"{pointer}/{index}")

    yield from walk(contract(), "#")
