"""Stage 3 (parameters): path, query, header and cookie parameters with their types, styles and query key claims."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal

from .json_checks import closure, json_schema, needs_check
from .load import Spec
from .naming import snake_case, unique
from .operations import RawOperation, deref
from .schemas import GenerationError, is_array, is_object
from .typeexpr import TypeRenderer, literal, union

Location = Literal["path", "query", "header", "cookie"]
_LOCATIONS: tuple[Location, ...] = ("path", "query", "header", "cookie")
# Route/protocol names a parameter must not take (they would shadow the route's own arguments).
RESERVED = frozenset({"ctx", "body", "self", "request", "service", "principal", "models", "impl", "result"})
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
_STARLETTE_PARAM = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ISO_FORMATS = frozenset({"date", "date-time", "time"})


@dataclass(frozen=True, slots=True)
class ObjectProperty:
    """How `runtime.styles` reads a property of an object parameter from text (`runtime.Prop`): `name` None for the
    properties the schema does not name (by its `additionalProperties` schema); `types` the JSON types its text is
    read as; `many` an array; `format` a date or time (`date`, `date-time`, `time`), read as a JSON body's string."""

    name: str | None
    types: tuple[str, ...] = ()
    many: bool = False
    format: str = ""


@dataclass(frozen=True, slots=True)
class Parameter:
    """One path/query/header/cookie parameter; `type_expr` already includes `| None` when it may be absent."""

    name: str
    python_name: str
    location: Location
    required: bool
    schema: dict[str, Any]
    description: str | None
    type_expr: str
    constraints: tuple[tuple[str, str], ...]
    default: str | None
    alias: str
    deprecated: bool
    # The JSON types its text is read as before validation (`runtime.from_text`); () for plain text.
    wire: tuple[str, ...] = ()
    # Allowed values (source) the type cannot say (float enums), checked after reading the text.
    choices: tuple[str, ...] = ()
    # Serialisation read by `runtime.styles` (shape None: a scalar or default-style array read as before).
    style: str = ""
    explode: bool | None = None
    shape: str | None = None
    props: tuple[ObjectProperty, ...] = ()
    # For an exploded `form` query object: the other query parameters' names (the keys it does not own), and
    # whether it takes the keys no parameter claims (False: only its own properties', another object takes them).
    others: tuple[str, ...] = ()
    extra: bool = True
    # Its schema as JSON Schema, when the model cannot enforce all of it (`json_checks`), and the component schemas
    # it refers to: the value read from text is checked against it too (`runtime.SchemaCheck`).
    check: Any = None
    check_refs: tuple[str, ...] = ()

    @property
    def many(self) -> bool:
        """True for an array parameter (repeated in the query, comma-separated in a header)."""
        return self.schema.get("type") == "array" or (
            isinstance(self.schema.get("type"), list) and "array" in self.schema["type"]
        )


def parse_parameters(
    spec: Spec, raw: RawOperation, renderer: TypeRenderer, taken: set[str], where: str
) -> tuple[tuple[Parameter, ...], str]:
    """Return an operation's parameters (path-level ones merged, its own winning) and its route path (`{item-id}`
    routed as `{item_id}`)."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for source in (raw.path_item.get("parameters") or [], raw.op.get("parameters") or []):
        for node in source:
            param = deref(spec, node)
            if isinstance(param, dict) and param.get("in") in _LOCATIONS and isinstance(param.get("name"), str):
                merged[param["name"], param["in"]] = param
    route_path = raw.path
    out: list[Parameter] = []
    ordered = sorted(merged.values(), key=lambda p: _LOCATIONS.index(p["in"]))
    for param in ordered:
        name, location = str(param["name"]), param["in"]
        if location == "header" and name.lower() in _IGNORED_HEADERS:
            continue
        base = snake_case(name, fallback="param")
        if base in RESERVED:
            base += "_"
        if base in taken and location != "path":
            base = f"{base}_{location}"
        python_name = unique(base, taken)
        alias = name
        if location == "path" and not _STARLETTE_PARAM.match(name):
            # Starlette only matches `{identifier}` templates: route on the Python name, keep the contract's docs.
            route_path = route_path.replace("{" + name + "}", "{" + python_name + "}")
            alias = python_name
        out.append(_parameter(spec, param, python_name, alias, renderer, f"{where} parameter {name!r}"))
    return tuple(_claims(out)), route_path


def _claims(params: list[Parameter]) -> list[Parameter]:
    """Give each exploded `form` query object the keys it does not own: the other query parameters' names and the
    properties of the other exploded objects that are not its own. The keys no parameter claims (properties of none)
    go to the objects that accept them most freely (`_openness`): with two such objects, an unknown key is valid
    when one of them allows it, and a model that forbids it must not see it."""

    def exploded(p: Parameter) -> bool:
        return p.location == "query" and p.shape == "object" and p.style in ("", "form") and p.explode is not False

    names = {p.name for p in params if p.location == "query"}
    freest = max((_openness(p.schema) for p in params if exploded(p)), default=0)
    out: list[Parameter] = []
    for p in params:
        if exploded(p) and _openness(p.schema) < freest:
            p = replace(p, extra=False)
        elif exploded(p):
            own = _named(p)
            foreign = {name for q in params if q is not p and exploded(q) for name in _named(q)} - own
            p = replace(p, others=tuple(sorted((names - {p.name}) | foreign)))
        out.append(p)
    return out


def _named(param: Parameter) -> set[str]:
    """The property names of an object parameter's schema."""
    return {prop.name for prop in param.props if prop.name is not None}


def _openness(schema: dict[str, Any]) -> int:
    """How freely an object schema takes properties it does not name: 2 any (the default), 1 those matching its
    `additionalProperties` schema, 0 none (`additionalProperties` or 3.1's `unevaluatedProperties` false)."""
    if schema.get("additionalProperties") is False or schema.get("unevaluatedProperties") is False:
        return 0
    extra = schema.get("additionalProperties", True)
    return 2 if extra is True or extra == {} else 1


def _parameter(
    spec: Spec, param: dict[str, Any], python_name: str, alias: str, renderer: TypeRenderer, where: str
) -> Parameter:
    location: Location = param["in"]
    required = location == "path" or param.get("required") is True
    schema = param.get("schema")
    if not isinstance(schema, dict):
        schema = {"type": "string"} if "content" in param else {}
    resolved = deref(spec, schema)
    shape = _shape(resolved, location, param)
    base_type = renderer.type_of(schema, where, param=True)
    props: tuple[ObjectProperty, ...] = ()
    if shape == "object":
        # An inline schema that names nothing (free-form) was not lifted to a model (`schemas.prepare`).
        ref = schema.get("$ref")
        base_type = renderer.model_ref(ref, where) if isinstance(ref, str) else "dict[str, Any]"
        if "null" in renderer.wire_types(resolved) or resolved.get("nullable") is True:
            base_type = union([base_type, "None"])
        props = tuple(
            _property(spec, renderer, str(name), sub) for name, sub in (resolved.get("properties") or {}).items()
        )
        rest = resolved.get("additionalProperties")
        if isinstance(rest, dict) and rest:
            props += (_property(spec, renderer, None, rest),)
    style: str = param["style"] if isinstance(param.get("style"), str) else ""
    explode = param.get("explode") if isinstance(param.get("explode"), bool) else None
    default = None if required else _default(resolved, base_type)
    type_expr = base_type if required or default is not None else union([base_type, "None"])
    check: Any = None
    refs: tuple[str, ...] = ()
    if "schema" in param and _checkable(spec, schema, shape, renderer):
        check = json_schema(schema, openapi31=str(spec.get("openapi", "")).startswith("3.1."))
        refs = tuple(sorted(closure(spec, schema)))
    return Parameter(
        name=str(param["name"]),
        python_name=python_name,
        location=location,
        required=required,
        schema=resolved if isinstance(resolved, dict) else {},
        description=clean_text(param.get("description")),
        type_expr=type_expr,
        constraints=renderer.constraints(schema),
        default=default if default is not None else (None if required else "None"),
        alias=alias,
        deprecated=param.get("deprecated") is True,
        wire=() if shape == "object" else renderer.wire_types(schema),
        choices=renderer.choices(schema),
        style=style,
        explode=explode,
        shape=shape,
        props=props,
        check=check,
        check_refs=refs,
    )


def _checkable(spec: Spec, schema: dict[str, Any], shape: str | None, renderer: TypeRenderer) -> bool:
    """True when the parameter's value needs the JSON Schema check (`json_checks.needs_check`) and is read as its
    schema's JSON types: an object given only as `allOf`/`anyOf`/`oneOf`, or an array of objects or arrays, stays
    text."""
    if not needs_check(spec, schema):
        return False
    return shape == "object" or not {"object", "array"} & renderer.json_types(schema)


_DEFAULT_STYLES = {"query": "form", "path": "simple", "header": "simple", "cookie": "form"}
_SUPPORTED_STYLES = {
    "query": {"form", "spaceDelimited", "pipeDelimited", "deepObject"},
    "path": {"simple", "label", "matrix"},
    "header": {"simple"},
    "cookie": {"form"},
}


def _property(spec: Spec, renderer: TypeRenderer, name: str | None, schema: Any) -> ObjectProperty:
    resolved = deref(spec, schema)
    many = is_array(resolved)
    item = deref(spec, resolved.get("items")) if many else resolved
    kind = item.get("type") if isinstance(item, dict) else None
    string = kind == "string" or (isinstance(kind, list) and "string" in kind)
    iso = str(item.get("format")) if string and item.get("format") in _ISO_FORMATS else ""
    return ObjectProperty(name, renderer.wire_types(schema), many, iso)


def _shape(schema: Any, location: Location, param: dict[str, Any]) -> str | None:
    """How `runtime.styles` reads the parameter: "object", "array", "scalar", or None (read as before)."""
    style = param.get("style")
    if isinstance(style, str) and style not in _SUPPORTED_STYLES[location]:
        raise GenerationError(f"parameter {param.get('name')!r}: style {style!r} is not valid in the {location}")
    default = style in (None, _DEFAULT_STYLES[location]) and param.get("explode") in (
        None,
        location in ("query", "cookie"),
    )
    if is_object(schema):
        return "object"
    if is_array(schema):
        return None if default and location in ("query", "header") else "array"
    return None if style in (None, "simple", "form") else "scalar"


def _default(schema: Any, type_expr: str) -> str | None:
    """Return the schema's scalar default as source when it surely fits `type_expr`, else None."""
    if not isinstance(schema, dict) or "default" not in schema:
        return None
    value = schema["default"]
    if type_expr.startswith("Literal[") and "|" not in type_expr:
        return literal(value) if value in (schema.get("enum") or [schema.get("const")]) else None
    fits = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "str": isinstance(value, str),
        "bool": isinstance(value, bool),
    }
    return literal(value) if fits.get(type_expr) else None


def clean_text(value: Any) -> str | None:
    """Return a description or summary stripped, None when it is no text or blank."""
    return value.strip() if isinstance(value, str) and value.strip() else None


__all__ = ["RESERVED", "Location", "ObjectProperty", "Parameter", "clean_text", "parse_parameters"]
