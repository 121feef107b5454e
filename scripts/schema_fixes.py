"""Fidelity around datamodel-code-generator: what it ignores is made explicit in the prepared spec before it runs,
and the types it maps too laxly are replaced in its output.

- `format: uri` strings without a `pattern` get RFC 3986's syntax as one (the models keep the URI as a `str`).
- `format: int32` / `int64` become `minimum`/`maximum` on every integer schema of `components.schemas`, nested ones
  included (datamodel-code-generator bounds nothing by format).
- In the models source: `format: date` / `date-time` / `time`, `byte` and `email`, and in 3.1 documents `type: integer`,
  use the runtime's `formats` types (ISO 8601 strings only; any valid base64 as bytes; integral numbers).
"""

from __future__ import annotations

import ast
from typing import Any, TypeGuard

from .operations import iter_schemas

# RFC 3986 `URI` (absolute: a scheme, then only characters a URI may hold, `%` only as a percent-encoding).
URI_PATTERN = r"^[A-Za-z][A-Za-z0-9+.\-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-Fa-f]{2})*$"
INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
FORMATS_MODULE = "_formats"
_TYPES = {
    "date": "Date",
    "AwareDatetime": "DateTime",
    "datetime": "DateTime",
    "time": "Time",
    "Base64Str": "Base64Bytes",
    "EmailStr": "Email",
}


_BARE = {"list": "list[Any]", "dict": "dict[str, Any]"}
# Enum members may not shadow the value type's own attributes (`replace` of a StrEnum): mypy --strict refuses it.
_ENUM_VALUE_TYPES = {"StrEnum": str, "IntEnum": int}


def _enum_member_edits(tree: ast.Module) -> list[tuple[int, int, int, str]]:
    """Rename members like `replace` to `replace_` (the value stays), in the class and in every `Enum.member`."""
    renames: dict[tuple[str, str], str] = {}
    edits: list[tuple[int, int, int, str]] = []
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        bases = [b.id for b in cls.bases if isinstance(b, ast.Name)]
        value_type = next((_ENUM_VALUE_TYPES[b] for b in bases if b in _ENUM_VALUE_TYPES), None)
        if value_type is None and not ("Enum" in bases and "str" in bases):
            continue
        value_type = value_type or str
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                name = stmt.targets[0]
                if hasattr(value_type, name.id) and not name.id.startswith("_") and name.end_col_offset is not None:
                    renames[cls.name, name.id] = name.id + "_"
                    edits.append((name.lineno, name.col_offset, name.end_col_offset, name.id + "_"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.end_col_offset is not None:
            new = renames.get((node.value.id, node.attr))
            if new is not None and node.end_lineno == node.lineno:
                start = node.end_col_offset - len(node.attr.encode("utf-8"))
                edits.append((node.lineno, start, node.end_col_offset, new))
    return edits


def _is_integer(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "integer" or (isinstance(kind, list) and "integer" in kind)


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def apply_format_bounds(schema: dict[str, Any]) -> None:
    """Tighten `minimum`/`maximum` of an int32/int64 integer schema to the format's range (in place)."""
    bounds = INT_RANGES.get(str(schema.get("format")))
    if bounds is None or not _is_integer(schema):
        return
    low, high = bounds
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    # 3.0's boolean exclusiveMinimum qualifies `minimum`: only a bound below the range needs tightening.
    if not _number(minimum) or minimum < low:
        schema["minimum"] = low
        if schema.get("exclusiveMinimum") is True:
            schema["exclusiveMinimum"] = False
    if not _number(maximum) or maximum > high:
        schema["maximum"] = high
        if schema.get("exclusiveMaximum") is True:
            schema["exclusiveMaximum"] = False


def apply_uri_pattern(schema: dict[str, Any]) -> None:
    """Give a `format: uri` string without a `pattern` the RFC 3986 syntax as its pattern (in place)."""
    if schema.get("format") == "uri" and "pattern" not in schema:
        schema["pattern"] = URI_PATTERN


def fix_component_schemas(spec: dict[str, Any]) -> None:
    """Apply the format bounds to every schema below `components.schemas` and drop the extensions holding a
    `$ref` there, which datamodel-code-generator would try to resolve (in place)."""
    schemas = (spec.get("components") or {}).get("schemas") or {}
    for schema in iter_schemas(list(schemas.values())):
        apply_format_bounds(schema)
        apply_uri_pattern(schema)
        for key in [k for k, v in schema.items() if k.startswith("x-") and _holds_ref(v)]:
            del schema[key]


def _holds_ref(node: Any) -> bool:
    if isinstance(node, dict):
        return "$ref" in node or any(_holds_ref(v) for v in node.values())
    return isinstance(node, list) and any(_holds_ref(v) for v in node)


def rewrite_model_types(source: str, *, openapi31: bool) -> str:
    """Return the models source with lax format types replaced by the runtime's `formats` types."""
    names = dict(_TYPES)
    if openapi31:
        names["StrictInt"] = "Integer"
    tree = ast.parse(source)
    subscripted = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Subscript)}
    constrained = _constrained_integers(tree) if openapi31 else []
    edits = _constrained_integer_edits(constrained)
    rewritten = {id(node.slice.elts[0]) for node in constrained if isinstance(node.slice, ast.Tuple)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Name) or not isinstance(node.ctx, ast.Load) or node.end_col_offset is None:
            continue
        if id(node) in rewritten:
            continue
        if node.id in names:
            edits.append((node.lineno, node.col_offset, node.end_col_offset, f"{FORMATS_MODULE}.{names[node.id]}"))
        elif node.id in _BARE and id(node) not in subscripted:
            # A bare `list` (a recursive array's items) is `list[Any]` to mypy --strict.
            edits.append((node.lineno, node.col_offset, node.end_col_offset, _BARE[node.id]))
    edits.extend(_enum_member_edits(tree))
    if not edits:
        return source
    lines = source.splitlines(keepends=True)
    for lineno, start, end, text in sorted(edits, reverse=True):
        line = lines[lineno - 1]
        lines[lineno - 1] = _replace_utf8(line, start, end, text)
    body = _add_import("".join(lines), "from typing import Any")
    return _add_import(body, f"from .runtime import formats as {FORMATS_MODULE}")


def _constrained_integers(tree: ast.Module) -> list[ast.Subscript]:
    """Each `Annotated[StrictInt, ...]`: an integer with constraints (bounds, a description)."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Annotated"
        and isinstance(node.slice, ast.Tuple)
        and isinstance(node.slice.elts[0], ast.Name)
        and node.slice.elts[0].id == "StrictInt"
    ]


def _constrained_integer_edits(annotations: list[ast.Subscript]) -> list[tuple[int, int, int, str]]:
    """`Annotated[StrictInt, Field(ge=1)]` becomes `Annotated[int, Field(ge=1), _formats.INTEGER]`: the marker last,
    so that pydantic puts the bounds on its native int validator before the marker wraps it (placed first, as in
    `Annotated[_formats.Integer, Field(ge=1)]`, Python functions would check the bounds: twice as slow)."""
    edits = []
    for node in annotations:
        assert isinstance(node.slice, ast.Tuple)
        first, last = node.slice.elts[0], node.slice.elts[-1]
        assert first.end_col_offset is not None and last.end_lineno is not None and last.end_col_offset is not None
        edits.append((first.lineno, first.col_offset, first.end_col_offset, "int"))
        edits.append((last.end_lineno, last.end_col_offset, last.end_col_offset, f", {FORMATS_MODULE}.INTEGER"))
    return edits


def _replace_utf8(line: str, start: int, end: int, text: str) -> str:
    # ast offsets count UTF-8 bytes.
    raw = line.encode("utf-8")
    return (raw[:start] + text.encode("utf-8") + raw[end:]).decode("utf-8")


def _add_import(source: str, statement: str) -> str:
    """Insert `statement` after the last top-level import (ruff sorts imports afterwards)."""
    tree = ast.parse(source)
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    lines = source.splitlines(keepends=True)
    at = imports[-1].end_lineno if imports and imports[-1].end_lineno is not None else 0
    return "".join([*lines[:at], statement + "\n", *lines[at:]])


__all__ = [
    "INT_RANGES",
    "URI_PATTERN",
    "apply_format_bounds",
    "apply_uri_pattern",
    "fix_component_schemas",
    "rewrite_model_types",
]
