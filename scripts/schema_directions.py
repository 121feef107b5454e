"""readOnly / writeOnly: one component schema may be read differently in requests and in responses.

A `readOnly` property listed in `required` is required in responses only; a `writeOnly` one in requests only
(OpenAPI 3.0 §4.7.25, 3.1 via JSON Schema's annotations). The generator keeps one model per direction where it
matters: a component schema reached from a request body whose (nested) `required` names a readOnly property is
relaxed for requests (the property stays allowed and typed, just not required), and likewise writeOnly for
response bodies. Requests first: a schema reached from requests only is relaxed in place; one reached from both
gets a copy, `<Name>Input`, which the request bodies refer to (nested refs follow, so a request's array of `Item`
is an array of `ItemInput`). Then responses the same way (`<Name>Output`), counting the references as they are
after the request copies: `Item` itself is then usually left to responses, and relaxed in place.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from .load import Spec
from .naming import escape_pointer, unique
from .operations import deref, iter_operations, iter_schemas

SCHEMA_PREFIX = "#/components/schemas/"
# (direction, the annotation relaxed there, suffix of the copy)
_DIRECTIONS = (("request", "readOnly", "Input"), ("response", "writeOnly", "Output"))


def _target(node: dict[str, Any]) -> str | None:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(SCHEMA_PREFIX) and "/" not in ref[len(SCHEMA_PREFIX) :]:
        return ref[len(SCHEMA_PREFIX) :].replace("~1", "/").replace("~0", "~")
    return None


def _refs(schema: Any) -> set[str]:
    return {name for node in iter_schemas(schema) if (name := _target(node)) is not None}


def _flagged(spec: Spec, node: dict[str, Any], flag: str, depth: int = 0) -> set[str]:
    """Names of the properties of an object schema (its allOf members included) carrying `flag: true`."""
    out: set[str] = set()
    if depth > 16:
        return out
    for name, prop in (node.get("properties") or {}).items():
        resolved = deref(spec, prop)
        if isinstance(prop, dict) and (
            prop.get(flag) is True or (isinstance(resolved, dict) and resolved.get(flag) is True)
        ):
            out.add(str(name))
    for member in node.get("allOf") or []:
        resolved = deref(spec, member)
        if isinstance(resolved, dict):
            out |= _flagged(spec, resolved, flag, depth + 1)
    return out


def _relaxable(spec: Spec, schema: Any, flag: str) -> bool:
    """True when some `required` of the schema's tree (not crossing refs) names a `flag` property."""
    for node in iter_schemas(schema):
        required = node.get("required")
        if isinstance(required, list) and set(map(str, required)) & _flagged(spec, node, flag):
            return True
    return False


def _relax(spec: Spec, schema: Any, flag: str) -> None:
    """Drop the `flag` properties from every `required` of the tree (in place)."""
    for node in iter_schemas(schema):
        required = node.get("required")
        if isinstance(required, list):
            flagged = _flagged(spec, node, flag)
            kept = [r for r in required if str(r) not in flagged]
            if len(kept) != len(required):
                if kept:
                    node["required"] = kept
                else:
                    del node["required"]


def _body_schemas(spec: Spec) -> Iterator[tuple[str, dict[str, Any]]]:
    """(direction, schema holder) of every request and response body schema of the routed operations."""
    for raw in iter_operations(spec):
        body = deref(spec, raw.op.get("requestBody"))
        for media in (body.get("content") or {}).values() if isinstance(body, dict) else ():
            if isinstance(media, dict) and isinstance(media.get("schema"), dict):
                yield "request", media
        for response in (raw.op.get("responses") or {}).values():
            resolved = deref(spec, response)
            for media in (resolved.get("content") or {}).values() if isinstance(resolved, dict) else ():
                if isinstance(media, dict) and isinstance(media.get("schema"), dict):
                    yield "response", media


def split_directions(spec: Spec) -> None:
    """Relax readOnly in request schemas and writeOnly in response schemas (in place; see the module docstring)."""
    schemas: dict[str, Any] = (spec.get("components") or {}).get("schemas") or {}
    holders = list(_body_schemas(spec))
    taken = set(schemas)
    for direction, flag, suffix in _DIRECTIONS:
        # Reached again for each direction: after the requests' copies, a schema may be left to responses only.
        reached = _reached(schemas, holders)
        other = reached["response" if direction == "request" else "request"]
        mine = sorted(reached[direction])
        # A schema needs relaxing when it, or a schema it refers to, has a required `flag` property.
        needs = {n for n in mine if _relaxable(spec, schemas[n], flag)}
        changed = True
        while changed:
            changed = False
            for name in mine:
                if name not in needs and _refs(schemas[name]) & needs:
                    needs.add(name)
                    changed = True
        if not needs:
            continue
        renames = {n: n if n not in other else unique(n + suffix, taken, sep="") for n in sorted(needs)}
        for old, new in renames.items():
            if old != new:
                schemas[new] = copy.deepcopy(schemas[old])
        for new in renames.values():
            _rewrite(schemas[new], renames)
            _relax(spec, schemas[new], flag)
        for holder_direction, holder in holders:
            if holder_direction == direction:
                # A copy: YAML aliases (and deepcopy) may share one schema node between a request and a response.
                holder["schema"] = copy.deepcopy(holder["schema"])
                _rewrite(holder["schema"], renames)
                if _relaxable(spec, holder["schema"], flag):
                    _relax(spec, holder["schema"], flag)


def _reached(schemas: dict[str, Any], holders: list[tuple[str, dict[str, Any]]]) -> dict[str, set[str]]:
    """The component schemas each direction reaches (refs followed transitively)."""
    reached: dict[str, set[str]] = {"request": set(), "response": set()}
    for direction, holder in holders:
        pending = list(_refs(holder["schema"]))
        while pending:
            name = pending.pop()
            if name in reached[direction] or name not in schemas:
                continue
            reached[direction].add(name)
            pending.extend(_refs(schemas[name]))
    return reached


def _rewrite(schema: Any, renames: dict[str, str]) -> None:
    for node in iter_schemas(schema):
        name = _target(node)
        if name is not None and renames.get(name, name) != name:
            node["$ref"] = SCHEMA_PREFIX + escape_pointer(renames[name])


__all__ = ["split_directions"]
