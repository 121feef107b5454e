"""Walking a spec: its operations in document order, their Python names, $ref chains, the schemas nested in a
schema, and media type choice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .load import Spec, resolve_pointer
from .naming import snake_case, unique

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Keywords whose value is data, never a schema.
_DATA = frozenset({"example", "examples", "default", "enum", "const"})
# Keywords whose value maps names to schemas (a property may be called `example`).
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})


@dataclass(frozen=True, slots=True)
class RawOperation:
    """One operation as found in the spec, with its path item (for shared parameters)."""

    path: str
    method: str
    op: dict[str, Any]
    path_item: dict[str, Any]


def deref(spec: Spec, node: Any, *, limit: int = 64) -> Any:
    """Return `node` with its `$ref` chain followed to the end (refs-to-refs included)."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        node = resolve_pointer(spec, node["$ref"])
        seen += 1
        if seen > limit:
            raise KeyError("reference cycle")
    return node


def iter_schemas(node: Any) -> Iterator[dict[str, Any]]:
    """Yield `node` and every schema nested in it, not crossing `$ref`s (extensions and example data are not
    searched)."""
    if isinstance(node, list):
        for item in node:
            yield from iter_schemas(item)
        return
    if not isinstance(node, dict):
        return
    yield node
    for key, value in node.items():
        if key in _DATA or key.startswith("x-"):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            for sub in value.values():
                yield from iter_schemas(sub)
        else:
            yield from iter_schemas(value)


def iter_operations(spec: Spec) -> Iterator[RawOperation]:
    """Yield every operation of `paths` in document order (webhooks and callbacks are not routes)."""
    for path, item in (spec.get("paths") or {}).items():
        path_item = deref(spec, item)
        if not isinstance(path_item, dict):
            continue
        for method in METHODS:
            op = path_item.get(method)
            if isinstance(op, dict):
                yield RawOperation(path, method, op, path_item)


def python_names(spec: Spec) -> dict[tuple[str, str], str]:
    """Return the unique snake_case name of each (path, method): its operationId, else `<method>_<path words>`."""
    # The generated `bind(service, authenticator)` defines one handler per operation under the operation's name.
    taken: set[str] = {"service", "authenticator"}
    names: dict[tuple[str, str], str] = {}
    for raw in iter_operations(spec):
        op_id = raw.op.get("operationId")
        base = op_id if isinstance(op_id, str) and op_id else f"{raw.method} {raw.path}"
        names[raw.path, raw.method] = unique(snake_case(base, fallback="op"), taken)
    return names


def operation_id(raw: RawOperation, python_name: str) -> str:
    """Return the contract's operationId, or the generated name when the contract has none."""
    op_id = raw.op.get("operationId")
    return op_id if isinstance(op_id, str) and op_id else python_name


def is_json(media_type: str) -> bool:
    """Return True for application/json and any `+json` structured syntax suffix."""
    base = media_type.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def pick_media(content: Any) -> str | None:
    """Return the media type the generator serves for a content map: JSON, then form, multipart, then the first."""
    if not isinstance(content, dict) or not content:
        return None
    keys = [str(k) for k in content]
    for key in keys:
        if is_json(key):
            return key
    for wanted in (FORM, MULTIPART):
        for key in keys:
            if key.split(";", 1)[0].strip().lower() == wanted:
                return key
    return keys[0]
