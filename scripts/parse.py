"""Stage 3: the prepared spec as frozen dataclasses (operations, parameters, bodies, responses, links)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal

from .load import Spec, resolve_pointer
from .naming import pascal_case, snake_case, unique
from .operations import RawOperation, deref, iter_operations, operation_id, python_names
from .parse_io import RequestBody, Response, parse_body, parse_responses
from .schemas import GenerationError
from .typeexpr import TypeRenderer, literal, union

Location = Literal["path", "query", "header", "cookie"]
_LOCATIONS: tuple[Location, ...] = ("path", "query", "header", "cookie")
# Route/protocol names a parameter must not take (they would shadow the route's own arguments).
RESERVED = frozenset({"ctx", "body", "self", "request", "service", "principal", "models", "impl", "result"})
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
_STARLETTE_PARAM = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
    props: tuple[tuple[str, tuple[str, ...], bool], ...] = ()
    # For an exploded `form` query object: the other query parameters' names (the keys it does not own).
    others: tuple[str, ...] = ()

    @property
    def many(self) -> bool:
        """True for an array parameter (repeated in the query, comma-separated in a header)."""
        return self.schema.get("type") == "array" or (
            isinstance(self.schema.get("type"), list) and "array" in self.schema["type"]
        )


@dataclass(frozen=True, slots=True)
class LocationLink:
    """How to fill the `Location` header: a target path template and, per path param, the result's field."""

    path: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Operation:
    """One HTTP operation with everything the templates need."""

    operation_id: str
    python_name: str
    method: str
    path: str
    route_path: str
    tag: str
    module: str
    service: str
    summary: str | None
    description: str | None
    parameters: tuple[Parameter, ...]
    body: RequestBody | None
    responses: tuple[Response, ...]
    security: tuple[dict[str, tuple[str, ...]], ...]
    deprecated: bool
    success: Response
    location: LocationLink | None

    @property
    def const(self) -> str:
        """Name of the module-level OperationInfo constant."""
        return "OP_" + self.python_name.upper().strip("_")

    @property
    def statuses(self) -> tuple[int, ...] | None:
        """Declared numeric statuses a service may choose; None when `default` allows any."""
        out: set[int] = set()
        for r in self.responses:
            if r.status == "default":
                return None
            if r.status.isdigit():
                out.add(int(r.status))
            elif r.status[:1].isdigit():
                base = int(r.status[0]) * 100
                out.update(range(base, base + 100))
        return tuple(sorted(out))


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag: its router module, its Protocol name, its description and operations."""

    name: str
    module: str
    service: str
    description: str | None
    operations: tuple[Operation, ...]


def parse(spec: Spec, renderer: TypeRenderer) -> tuple[Tag, ...]:
    """Return the spec's tags (sorted by module) with their operations (routing order)."""
    names = python_names(spec)
    modules = _tag_modules(spec)
    descriptions = {t.get("name"): t.get("description") for t in spec.get("tags") or [] if isinstance(t, dict)}
    ops_by_id = {operation_id(r, names[r.path, r.method]): r for r in iter_operations(spec)}
    grouped: dict[str, list[Operation]] = {}
    for raw in iter_operations(spec):
        op = _operation(spec, raw, names[raw.path, raw.method], modules, renderer, ops_by_id)
        grouped.setdefault(op.tag, []).append(op)
    tags = [
        Tag(tag, modules[tag][0], modules[tag][1], descriptions.get(tag), tuple(sorted(ops, key=route_order)))
        for tag, ops in grouped.items()
    ]
    return tuple(sorted(tags, key=lambda t: t.module))


def route_order(op: Operation) -> tuple[tuple[tuple[int, str], ...], str]:
    """Sort key putting literal path segments before templated ones (`/items/mine` before `/items/{id}`)."""
    return tuple((1 if "{" in seg else 0, seg) for seg in op.path.split("/")), op.method


def _first_tag(op: dict[str, Any]) -> str:
    tags = op.get("tags")
    return str(tags[0]) if isinstance(tags, list) and tags else "default"


def _tag_modules(spec: Spec) -> dict[str, tuple[str, str]]:
    modules: dict[str, tuple[str, str]] = {}
    # A module name is also a field of the generated `Services`, beside its `unimplemented()` classmethod.
    taken_mod: set[str] = {"__init__", "unimplemented"}
    taken_svc: set[str] = set()
    for raw in iter_operations(spec):
        tag = _first_tag(raw.op)
        if tag not in modules:
            module = unique(snake_case(tag, fallback="tag"), taken_mod)
            service = unique(pascal_case(tag, fallback="Tag") + "Service", taken_svc, sep="")
            modules[tag] = (module, service)
    return modules


def _operation(
    spec: Spec,
    raw: RawOperation,
    python_name: str,
    modules: dict[str, tuple[str, str]],
    renderer: TypeRenderer,
    ops_by_id: dict[str, RawOperation],
) -> Operation:
    where = f"{raw.method.upper()} {raw.path}"
    tag = _first_tag(raw.op)
    taken = set(RESERVED)
    params, route_path = _parameters(spec, raw, renderer, taken, where)
    body = parse_body(spec, raw.op.get("requestBody"), renderer, taken, where)
    responses = parse_responses(spec, raw.op.get("responses") or {}, renderer, where)
    if not responses:
        # OpenAPI 3.1 makes `responses` optional: answer an empty 200.
        responses = (Response("200", "", None, "None", (), ()),)
    security_src = raw.op["security"] if "security" in raw.op else spec.get("security") or []
    security = tuple(
        {str(k): tuple(str(s) for s in v or ()) for k, v in sorted(req.items())}
        for req in security_src
        if isinstance(req, dict)
    )
    success = _success(responses)
    return Operation(
        operation_id=operation_id(raw, python_name),
        python_name=python_name,
        method=raw.method,
        path=raw.path,
        route_path=route_path,
        tag=tag,
        module=modules[tag][0],
        service=modules[tag][1],
        summary=_text(raw.op.get("summary")),
        description=_text(raw.op.get("description")),
        parameters=params,
        body=body,
        responses=responses,
        security=security,
        deprecated=raw.op.get("deprecated") is True,
        success=success,
        location=_location(spec, success, ops_by_id),
    )


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _parameters(
    spec: Spec, raw: RawOperation, renderer: TypeRenderer, taken: set[str], where: str
) -> tuple[tuple[Parameter, ...], str]:
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
    properties of the other exploded objects that are not its own."""

    def exploded(p: Parameter) -> bool:
        return p.location == "query" and p.shape == "object" and p.style in ("", "form") and p.explode is not False

    names = {p.name for p in params if p.location == "query"}
    out: list[Parameter] = []
    for p in params:
        if exploded(p):
            own = {name for name, _, _ in p.props}
            foreign = {name for q in params if q is not p and exploded(q) for name, _, _ in q.props} - own
            p = replace(p, others=tuple(sorted((names - {p.name}) | foreign)))
        out.append(p)
    return out


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
    props: tuple[tuple[str, tuple[str, ...], bool], ...] = ()
    if shape == "object":
        ref = schema.get("$ref")
        base_type = renderer.model_ref(ref, where) if isinstance(ref, str) else "dict[str, Any]"
        if "null" in renderer.wire_types(resolved) or resolved.get("nullable") is True:
            base_type = union([base_type, "None"])
        props = tuple(
            (str(name), renderer.wire_types(sub), _is_array(deref(spec, sub)))
            for name, sub in (resolved.get("properties") or {}).items()
        )
    style: str = param["style"] if isinstance(param.get("style"), str) else ""
    explode = param.get("explode") if isinstance(param.get("explode"), bool) else None
    default = None if required else _default(resolved, base_type)
    type_expr = base_type if required or default is not None else union([base_type, "None"])
    return Parameter(
        name=str(param["name"]),
        python_name=python_name,
        location=location,
        required=required,
        schema=resolved if isinstance(resolved, dict) else {},
        description=_text(param.get("description")),
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
    )


_DEFAULT_STYLES = {"query": "form", "path": "simple", "header": "simple", "cookie": "form"}
_SUPPORTED_STYLES = {
    "query": {"form", "spaceDelimited", "pipeDelimited", "deepObject"},
    "path": {"simple", "label", "matrix"},
    "header": {"simple"},
    "cookie": {"form"},
}


def _is_array(schema: Any) -> bool:
    kind = schema.get("type") if isinstance(schema, dict) else None
    return kind == "array" or (isinstance(kind, list) and "array" in kind)


def _is_object(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return "object" in kinds or (kind is None and ("properties" in schema or "additionalProperties" in schema))


def _shape(schema: Any, location: Location, param: dict[str, Any]) -> str | None:
    """How `runtime.styles` reads the parameter: "object", "array", "scalar", or None (read as before)."""
    style = param.get("style")
    if isinstance(style, str) and style not in _SUPPORTED_STYLES[location]:
        raise GenerationError(f"parameter {param.get('name')!r}: style {style!r} is not valid in the {location}")
    default = style in (None, _DEFAULT_STYLES[location]) and param.get("explode") in (
        None,
        location in ("query", "cookie"),
    )
    if _is_object(schema):
        return "object"
    if _is_array(schema):
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


def _success(responses: tuple[Response, ...]) -> Response:
    """The default success response: lowest 2xx, else 2XX, else default, else the lowest declared."""
    numeric = sorted((r for r in responses if r.status.isdigit()), key=lambda r: int(r.status))
    for candidates in (
        [r for r in numeric if r.status.startswith("2")],
        [r for r in responses if r.status.upper() == "2XX"],
        [r for r in responses if r.status == "default"],
        numeric,
        list(responses),
    ):
        if candidates:
            return candidates[0]
    raise GenerationError("no responses")  # pragma: no cover - callers check responses first


def _location(spec: Spec, success: Response, ops_by_id: dict[str, RawOperation]) -> LocationLink | None:
    if not any(h.lower() == "location" for h in success.headers):
        return None
    candidates: list[LocationLink] = []
    for link in success.links:
        target = ops_by_id.get(link.operation_id or "")
        if target is None and link.operation_ref and link.operation_ref.startswith("#/paths/"):
            try:
                node = resolve_pointer(spec, link.operation_ref)
            except KeyError:
                continue
            target = next((r for r in iter_operations(spec) if r.op is node), None)
        if target is None or not link.parameters:
            continue
        fields: list[tuple[str, str]] = []
        for name, expression in link.parameters:
            match = re.fullmatch(r"\$response\.body#/([^/]+)", expression)
            if match is None or "{" + name + "}" not in target.path:
                break
            fields.append((name, match.group(1).replace("~1", "/").replace("~0", "~")))
        else:
            if {n for n, _ in fields} == set(re.findall(r"\{([^}]*)\}", target.path)):
                candidates.append(LocationLink(target.path, tuple(fields)))
    # The created resource itself: the shortest target path (`/files/{id}`, not `/files/{id}/content`).
    return min(candidates, key=lambda c: len(c.path), default=None)
