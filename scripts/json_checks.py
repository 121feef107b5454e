"""JSON Schema checks of request bodies, for the keywords the generated models cannot enforce.

pydantic models (datamodel-code-generator's output) express types, bounds, patterns, required and additional
properties, but not JSON Schema's counting and tuple keywords: `oneOf` is a plain union (anything matching two
alternatives passes), `prefixItems` is a list of anything, and `not`, `if`/`then`/`else`, `contains`,
`dependentRequired`/`dependentSchemas`, `propertyNames` and `unevaluated*` are dropped; of an `allOf` whose
members define the same property, the model keeps one member's type (`number` narrowed to `integer` by a
subschema still takes 2.5). A JSON body whose schema
(its `$ref`s followed) holds one of these is, once its model accepted it, validated again by `jsonschema` against
the schema itself: Draft 2020-12 for 3.1 documents, Draft 4 for 3.0 ones (`nullable: true` read as "or null").
Formats are not checked there (the models do). Bodies without such keywords get no second check.
"""

from __future__ import annotations

import copy
from typing import Any

from .load import Spec
from .operations import iter_schemas
from .schemas import SCHEMA_PREFIX, schema_name

# Keywords whose meaning the models lose (see the module docstring).
UNENFORCED = frozenset(
    {
        "oneOf",
        "prefixItems",
        "not",
        "if",
        "contains",
        "dependentRequired",
        "dependentSchemas",
        "propertyNames",
        "unevaluatedProperties",
        "unevaluatedItems",
    }
)


def _refs(schema: Any) -> set[str]:
    out: set[str] = set()
    for node in iter_schemas(schema):
        ref = node.get("$ref")
        name = schema_name(ref) if isinstance(ref, str) else None
        if name is not None:
            out.add(name)
    return out


def closure(spec: Spec, schema: Any) -> set[str]:
    """The names of the component schemas `schema` refers to, directly or through others."""
    schemas: dict[str, Any] = (spec.get("components") or {}).get("schemas") or {}
    seen: set[str] = set()
    pending = sorted(_refs(schema))
    while pending:
        name = pending.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        pending.extend(sorted(_refs(schemas[name])))
    return seen


def needs_check(spec: Spec, schema: Any) -> bool:
    """True when `schema` (refs followed) holds a keyword the models do not enforce, or an `allOf` whose members
    both define one property (the model keeps one member's type: `number` narrowed to `integer` would pass 2.5)."""
    schemas: dict[str, Any] = (spec.get("components") or {}).get("schemas") or {}
    trees = [schema, *(schemas[name] for name in sorted(closure(spec, schema)))]
    return any(UNENFORCED & node.keys() or _narrows(spec, node) for node in iter_schemas(trees))


def _narrows(spec: Spec, node: dict[str, Any]) -> bool:
    members = node.get("allOf")
    if not isinstance(members, list):
        return False
    seen: set[str] = set(node.get("properties") or {})
    for member in members:
        names = set(_properties(spec, member))
        if names & seen:
            return True
        seen |= names
    return False


def _properties(spec: Spec, node: Any, depth: int = 0) -> dict[str, Any]:
    """The properties an allOf member defines, its own allOf members' included (refs followed)."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 32:
        name = schema_name(node["$ref"])
        node = ((spec.get("components") or {}).get("schemas") or {}).get(name or "")
        depth += 1
    if not isinstance(node, dict) or depth >= 32:
        return {}
    out = dict(node.get("properties") or {})
    for member in node.get("allOf") or []:
        out.update(_properties(spec, member, depth + 1))
    return out


def json_schema(node: Any, *, openapi31: bool) -> Any:
    """A copy of an OpenAPI schema as plain JSON Schema of its draft (3.0: `nullable` becomes "or null")."""
    out = copy.deepcopy(node)
    if openapi31:
        return out
    return _nullable(out)


def _nullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("example", "default", "enum", "const") or key.startswith("x-"):
            out[key] = value
        elif key in ("properties", "patternProperties") and isinstance(value, dict):
            out[key] = {name: _nullable(sub) for name, sub in value.items()}
        else:
            out[key] = _nullable(value)
    if out.pop("nullable", None) is True:
        return {"anyOf": [{"type": "null"}, out]}
    return out


def components(spec: Spec, names: set[str], *, openapi31: bool) -> dict[str, Any]:
    """The `components.schemas` entries `names` as JSON Schema (sorted by name)."""
    schemas: dict[str, Any] = (spec.get("components") or {}).get("schemas") or {}
    return {name: json_schema(schemas[name], openapi31=openapi31) for name in sorted(names)}


__all__ = ["SCHEMA_PREFIX", "UNENFORCED", "closure", "components", "json_schema", "needs_check"]
