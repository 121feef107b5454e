"""Python type expressions and FastAPI constraint keywords for JSON schemas (params, non-object bodies)."""

from __future__ import annotations

import json
from typing import Any

from .load import Spec, resolve_pointer
from .schema_fixes import URI_PATTERN
from .schemas import GenerationError, Models, schema_name

_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_STRING_FORMATS = {
    "date-time": "datetime.datetime",
    "date": "datetime.date",
    "time": "datetime.time",
    "uuid": "uuid.UUID",
    "binary": "bytes",
}
_SCALARS = {"integer": "int", "number": "float", "boolean": "bool", "null": "None"}


def literal(value: Any) -> str:
    """Return Python source for a JSON scalar (strings double-quoted, ASCII-only)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return "None"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


def union(parts: list[str]) -> str:
    """Return `A | B | None` of distinct parts, None last, `Any` swallowing everything."""
    seen: list[str] = []
    for part in parts:
        for piece in _split_union(part):
            if piece not in seen:
                seen.append(piece)
    if "Any" in seen:
        return "Any"
    if "None" in seen:
        seen = [p for p in seen if p != "None"] + ["None"]
    return " | ".join(seen) if seen else "Any"


def _split_union(expr: str) -> list[str]:
    depth, start, out = 0, 0, []
    for i, ch in enumerate(expr):
        depth += ch in "[("
        depth -= ch in "])"
        if ch == "|" and depth == 0:
            out.append(expr[start:i].strip())
            start = i + 1
    out.append(expr[start:].strip())
    return out


class TypeRenderer:
    """Renders schemas of the prepared spec against the classes that really exist in models.py."""

    def __init__(self, spec: Spec, models: Models) -> None:
        self.spec = spec
        self.models = models

    def model_ref(self, ref: str, where: str) -> str:
        """Return `models.<Class>` for a schema ref; GenerationError when the class was not generated."""
        name = schema_name(ref)
        if name is None or name not in self.models.classes:
            raise GenerationError(f"{where}: {ref!r} has no generated class in models.py")
        return f"models.{name}"

    def type_of(self, schema: Any, where: str, *, param: bool = False, depth: int = 0) -> str:
        """Return the type expression of `schema`; `param` inlines non-enum refs (FastAPI params are scalars)."""
        if depth > 16 or not isinstance(schema, dict) or not schema:
            return "Any"
        ref = schema.get("$ref")
        if isinstance(ref, str):
            name = schema_name(ref)
            if not param or (name is not None and name in self.models.enums):
                return self.model_ref(ref, where)
            return self.type_of(resolve_pointer(self.spec, ref), where, param=True, depth=depth + 1)
        nullable = schema.get("nullable") is True
        if "const" in schema:
            expr = f"Literal[{literal(schema['const'])}]"
        elif isinstance(schema.get("enum"), list):
            values = [v for v in schema["enum"] if v is not None]
            nullable = nullable or None in schema["enum"]
            if any(isinstance(v, float) for v in values):
                # Literal cannot hold floats (mypy): the values are checked by `choices` (parameters) instead.
                expr = union(["float" if isinstance(v, float) else f"Literal[{literal(v)}]" for v in values])
            else:
                expr = f"Literal[{', '.join(literal(v) for v in values)}]" if values else "None"
        elif schema.get("oneOf") or schema.get("anyOf"):
            members: list[Any] = schema.get("oneOf") or schema.get("anyOf") or []
            expr = union([self.type_of(m, where, param=param, depth=depth + 1) for m in members])
        elif isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
            expr = self.type_of(schema["allOf"][0], where, param=param, depth=depth + 1)
        else:
            expr = union([self._kind(k, schema, where, param, depth) for k in self._kinds(schema)])
        return union([expr, "None"]) if nullable else expr

    @staticmethod
    def _kinds(schema: dict[str, Any]) -> list[str]:
        kind = schema.get("type")
        if isinstance(kind, list):
            return [str(k) for k in kind] or ["any"]
        if isinstance(kind, str):
            return [kind]
        if "items" in schema:
            return ["array"]
        if "properties" in schema or "additionalProperties" in schema:
            return ["object"]
        return ["any"]

    def _kind(self, kind: str, schema: dict[str, Any], where: str, param: bool, depth: int) -> str:
        if kind in _SCALARS:
            return _SCALARS[kind]
        if kind == "string":
            return _STRING_FORMATS.get(str(schema.get("format")), "str")
        if kind == "array":
            items = schema.get("items")
            inner = self.type_of(items, where, param=param, depth=depth + 1)
            # Each item's own bounds (length, pattern, range), as a scalar parameter gets them.
            bounds = self.constraints(items, depth=depth + 1)
            if bounds:
                inner = f"Annotated[{inner}, Field({', '.join(f'{k}={v}' for k, v in bounds)})]"
            return f"list[{inner}]"
        if kind == "object":
            return "str" if param else "dict[str, Any]"
        return "Any"

    def wire_types(self, schema: Any, *, depth: int = 0) -> tuple[str, ...]:
        """The JSON types a parameter's text (each item's, for an array) is read as before validation; () when
        the text itself is the value (strings, or schemas of no particular type). "iso" marks a date or time
        string: its text is never a number (pydantic would read one as a Unix timestamp); "no-fraction" an integer
        of a 3.0 document, which `5.0` is not (Draft 4: no fraction part; 3.1's JSON Schema 2020-12 allows it)."""
        found = self._json_types(schema, depth, items=True)
        if "integer" in found and not str(self.spec.get("openapi", "")).startswith("3.1."):
            found.add("no-fraction")
        return tuple(sorted(found)) if found & {"integer", "number", "boolean", "null", "iso"} else ()

    def json_types(self, schema: Any) -> frozenset[str]:
        """The JSON types a schema's values (an array's items too) may take, refs and `allOf`/`anyOf`/`oneOf`
        followed."""
        return frozenset(self._json_types(schema, 0, items=True))

    def choices(self, schema: Any, *, depth: int = 0) -> tuple[str, ...]:
        """Source of the allowed values of a parameter enum holding floats (its type is then `float`), else ()."""
        if not isinstance(schema, dict) or depth > 16:
            return ()
        if isinstance(schema.get("$ref"), str):
            return self.choices(resolve_pointer(self.spec, schema["$ref"]), depth=depth + 1)
        if "array" in self._kinds(schema) and isinstance(schema.get("items"), dict):
            return self.choices(schema["items"], depth=depth + 1)
        values = schema.get("enum")
        if isinstance(values, list) and any(isinstance(v, float) for v in values):
            return tuple(literal(v) for v in values)
        return ()

    def _json_types(self, schema: Any, depth: int, *, items: bool) -> set[str]:
        if not isinstance(schema, dict) or depth > 16:
            return set()
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return self._json_types(resolve_pointer(self.spec, ref), depth + 1, items=items)
        found: set[str] = {"null"} if schema.get("nullable") is True else set()
        values = schema.get("enum") if isinstance(schema.get("enum"), list) else None
        if "const" in schema:
            values = [schema["const"]]
        if values is not None:
            return found | {_json_type(v) for v in values}
        for key in ("oneOf", "anyOf", "allOf"):
            for member in schema.get(key) or []:
                found |= self._json_types(member, depth + 1, items=items)
        kinds = [k for k in self._kinds(schema) if k != "any"]
        if "string" in kinds and schema.get("format") in ("date", "date-time", "time"):
            found.add("iso")  # not a JSON type: text that must not be read as a Unix timestamp
        if items and "array" in kinds:
            found |= self._json_types(schema.get("items"), depth + 1, items=False)
            kinds.remove("array")
        return found | set(kinds)

    def constraints(self, schema: Any, *, depth: int = 0) -> tuple[tuple[str, str], ...]:
        """Return FastAPI Path/Query/... keyword constraints (name, source) of a parameter schema."""
        if not isinstance(schema, dict) or depth > 16:
            return ()
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if schema_name(ref) in self.models.enums:
                return ()
            return self.constraints(resolve_pointer(self.spec, ref), depth=depth + 1)
        kinds = [k for k in self._kinds(schema) if k != "null"]
        if len(kinds) != 1 or "enum" in schema or "const" in schema:
            return ()
        out: dict[str, Any] = {}
        if kinds[0] in ("integer", "number"):
            schema = {**schema, "format": schema.get("format") if kinds[0] == "integer" else None}
            out.update(_numeric(schema))
        elif kinds[0] == "string":
            out.update(
                {
                    k: schema[s]
                    for s, k in (("minLength", "min_length"), ("maxLength", "max_length"))
                    if isinstance(schema.get(s), int)
                }
            )
            if isinstance(schema.get("pattern"), str):
                out["pattern"] = schema["pattern"]
            elif schema.get("format") == "uri":
                out["pattern"] = URI_PATTERN
        elif kinds[0] == "array":
            out.update(
                {
                    k: schema[s]
                    for s, k in (("minItems", "min_length"), ("maxItems", "max_length"))
                    if isinstance(schema.get(s), int)
                }
            )
        return tuple((k, literal(v)) for k, v in sorted(out.items()))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string" if isinstance(value, str) else "object"


def _numeric(schema: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    low, high = schema.get("minimum"), schema.get("maximum")
    ex_low, ex_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if _is_number(ex_low):
        out["gt"] = ex_low
    elif _is_number(low):
        out["gt" if ex_low is True else "ge"] = low
    if _is_number(ex_high):
        out["lt"] = ex_high
    elif _is_number(high):
        out["lt" if ex_high is True else "le"] = high
    if _is_number(schema.get("multipleOf")):
        out["multiple_of"] = schema["multipleOf"]
    bounds = _INT_RANGES.get(str(schema.get("format")))
    if bounds is not None:
        # Without an explicit bound, the format's range still applies: a 70-bit id must be a 422, not a DB error.
        if "gt" not in out:
            out.setdefault("ge", bounds[0])
        if "lt" not in out:
            out.setdefault("le", bounds[1])
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
