"""Stage 3 (bodies and responses): request bodies, form fields, responses, headers and links."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from .json_checks import closure, json_schema, needs_check
from .load import Spec
from .naming import snake_case, unique
from .operations import FORM, MULTIPART, deref, is_json, pick_media
from .schemas import GenerationError
from .typeexpr import TypeRenderer, union

BodyKind = Literal["json", "form", "multipart", "raw"]
AlternativeKind = Literal["json", "form", "multipart", "xml", "raw"]
XML_TYPES = ("application/xml", "text/xml")


@dataclass(frozen=True, slots=True)
class FormField:
    """One form/multipart field; files are `UploadFile` in the route and `UploadedFile` in the Protocol."""

    name: str
    python_name: str
    route_type: str
    protocol_type: str
    required: bool
    is_file: bool
    description: str | None
    constraints: tuple[tuple[str, str], ...]
    many: bool = False
    wire: tuple[str, ...] = ()
    json: bool = False  # a multipart part holding an object, sent as JSON
    nullable: bool = False  # a JSON part whose schema allows null (of an array of objects: the array's)
    check: Any = None  # an inline object part's JSON Schema (`json_checks`), and the component schemas it refers to
    check_refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Alternative:
    """Another declared media type of a request body: JSON (`value_type` validated), form or multipart fields
    validated into the model `value_type` (read as text through `fields`), XML (well-formed, as bytes) or raw bytes."""

    media_type: str
    kind: AlternativeKind
    value_type: str
    fields: tuple[FormField, ...] = ()

    @property
    def pattern(self) -> str:
        """The media type the request's `Content-Type` is matched with (no parameters, lower case)."""
        return self.media_type.split(";", 1)[0].strip().lower()


@dataclass(frozen=True, slots=True)
class RequestBody:
    """The request body the route reads: JSON (`body: models.X`), form (model built from fields), multipart, raw."""

    media_type: str
    kind: BodyKind
    required: bool
    type_expr: str
    model: str | None
    fields: tuple[FormField, ...]
    description: str | None
    value_type: str = "bytes"  # type_expr without the `| None` of an optional body
    # A JSON body's schema as JSON Schema, when the model cannot enforce all of it (`json_checks`), and the
    # component schemas it refers to.
    check: Any = None
    check_refs: tuple[str, ...] = ()
    # The body's other declared media types, each read as it is declared (`type_expr` is the union of all).
    alternatives: tuple[Alternative, ...] = ()


@dataclass(frozen=True, slots=True)
class Link:
    """An OpenAPI link of a response: target operation and parameter expressions."""

    name: str
    operation_id: str | None
    operation_ref: str | None
    parameters: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Response:
    """One declared response: `type_expr` is a model/list type, `None` (no content), `Download` or `Any`."""

    status: str
    description: str
    media_type: str | None
    type_expr: str
    headers: tuple[str, ...]
    links: tuple[Link, ...]

    @property
    def is_json(self) -> bool:
        """True when the route serialises the result as JSON."""
        return self.media_type is not None and is_json(self.media_type)


def parse_body(spec: Spec, node: Any, renderer: TypeRenderer, taken: set[str], where: str) -> RequestBody | None:
    """Return the request body of an operation (None when it declares none)."""
    body = deref(spec, node)
    if not isinstance(body, dict):
        return None
    content: Any = body.get("content")
    media = pick_media(content)
    if media is None:
        return None
    primary = _primary(spec, body, content, media, renderer, taken, f"{where} request body")
    others = [str(k) for k in content if k != media]
    if not others:
        return primary
    if primary.kind == "multipart":
        raise GenerationError(
            f"{where} request body: multipart/form-data besides {', '.join(others)} is not supported (its parts "
            "are arguments of their own); declare one media type"
        )
    alternatives = tuple(
        _alternative(spec, other, content[other], renderer, set(taken), f"{where} request body {other!r}")
        for other in others
    )
    expr = union([primary.value_type, *(a.value_type for a in alternatives)])
    return replace(
        primary,
        type_expr=expr if primary.required else union([expr, "None"]),
        value_type=primary.value_type,
        alternatives=alternatives,
    )


def _primary(
    spec: Spec,
    body: dict[str, Any],
    content: dict[str, Any],
    media: str,
    renderer: TypeRenderer,
    taken: set[str],
    where: str,
) -> RequestBody:
    required = body.get("required") is True
    description = body.get("description") if isinstance(body.get("description"), str) else None
    schema = content[media].get("schema") if isinstance(content[media], dict) else None
    base = media.split(";", 1)[0].strip().lower()
    if is_json(media):
        expr = renderer.type_of(schema, where) if schema else "Any"
        type_expr = expr if required else union([expr, "None"])
        check: Any = None
        refs: tuple[str, ...] = ()
        if isinstance(schema, dict) and needs_check(spec, schema):
            check = json_schema(schema, openapi31=_openapi31(spec))
            refs = tuple(sorted(closure(spec, schema)))
        return RequestBody(
            media, "json", required, type_expr, None, (), description, value_type=expr, check=check, check_refs=refs
        )
    props, required_props = _properties(spec, schema)
    if base in (FORM, MULTIPART) and props:
        multipart = base == MULTIPART
        fields = tuple(_field(spec, n, s, n in required_props, multipart, renderer, taken, where) for n, s in props)
        if not multipart and isinstance(schema, dict) and "$ref" in schema:
            model = renderer.model_ref(schema["$ref"], where)
            expr = model if required else union([model, "None"])
            return RequestBody(media, "form", required, expr, model, fields, description, value_type=model)
        return RequestBody(media, "multipart", required, "None", None, fields, description)
    return RequestBody(media, "raw", required, "bytes", None, (), description)


def _alternative(spec: Spec, media: str, node: Any, renderer: TypeRenderer, taken: set[str], where: str) -> Alternative:
    schema = node.get("schema") if isinstance(node, dict) else None
    base = media.split(";", 1)[0].strip().lower()
    if is_json(base):
        return Alternative(media, "json", renderer.type_of(schema, where) if schema else "Any")
    if base in (FORM, MULTIPART) and isinstance(schema, dict) and "$ref" in schema:
        props, required = _properties(spec, schema)
        fields = tuple(_field(spec, n, s, n in required, False, renderer, taken, where) for n, s in props)
        if props and not any(_is_file(spec, s) for _, s in props):
            kind: AlternativeKind = "form" if base == FORM else "multipart"
            return Alternative(media, kind, renderer.model_ref(schema["$ref"], where), fields)
    if base in XML_TYPES or base.endswith("+xml"):
        return Alternative(media, "xml", "bytes")
    return Alternative(media, "raw", "bytes")


def _properties(spec: Spec, schema: Any, depth: int = 0) -> tuple[list[tuple[str, Any]], set[str]]:
    """Return the (name, schema) properties of an object schema, allOf members merged, and its required names."""
    schema = deref(spec, schema)
    if not isinstance(schema, dict) or depth > 16:
        return [], set()
    props: dict[str, Any] = {}
    required: set[str] = set()
    for member in schema.get("allOf") or []:
        sub, sub_required = _properties(spec, member, depth + 1)
        props.update(sub)
        required |= sub_required
    props.update((schema.get("properties") or {}).items())
    required |= {str(r) for r in schema.get("required") or []}
    return list(props.items()), required


def _is_file(spec: Spec, schema: Any) -> bool:
    schema = deref(spec, schema)
    return isinstance(schema, dict) and (schema.get("format") == "binary" or "contentMediaType" in schema)


def _openapi31(spec: Spec) -> bool:
    return str(spec.get("openapi", "")).startswith("3.1.")


def _is_object(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return "object" in kinds or (kind is None and ("properties" in schema or "additionalProperties" in schema))


def _nullable(spec: Spec, schema: Any) -> bool:
    """True when a schema allows null: 3.1's `type` list naming null (or `type: null`), 3.0's `nullable: true`; on
    the node itself (3.1 allows keywords beside a `$ref`) or on its `$ref`'s target."""
    for node in (schema, deref(spec, schema)):
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if node.get("nullable") is True or kind == "null" or (isinstance(kind, list) and "null" in kind):
            return True
    return False


def _is_array(schema: Any) -> bool:
    """True for `type: array` and for a type list naming array (3.1's nullable arrays)."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    return kind == "array" or (isinstance(kind, list) and "array" in kind)


def _field(
    spec: Spec,
    name: str,
    schema: Any,
    required: bool,
    multipart: bool,
    renderer: TypeRenderer,
    taken: set[str],
    where: str,
) -> FormField:
    python_name = unique(snake_case(name, fallback="field"), taken)
    resolved = deref(spec, schema)
    description = resolved.get("description") if isinstance(resolved, dict) else None
    items = resolved.get("items") if _is_array(resolved) else None
    if multipart and (_is_file(spec, resolved) or (items is not None and _is_file(spec, items))):
        route, proto = (
            # Sequence, not list: the route's `list[UploadFile]` must be a valid argument (list is invariant).
            ("list[UploadFile]", "Sequence[UploadedFile]") if items is not None else ("UploadFile", "UploadedFile")
        )
        if not required:
            route, proto = route + " | None", proto + " | None"
        return FormField(name, python_name, route, proto, required, True, description, (), many=items is not None)
    item = deref(spec, items) if items is not None else None
    if multipart and items is not None and _is_object(item):
        # Each part of an array of objects is JSON, validated into the items' model.
        ref = items.get("$ref") if isinstance(items, dict) else None
        inner = renderer.model_ref(ref, where) if isinstance(ref, str) else "dict[str, Any]"
        if _nullable(spec, items):
            inner = union([inner, "None"])
        nullable = _nullable(spec, schema)
        expr = f"list[{inner}]" if required and not nullable else union([f"list[{inner}]", "None"])
        check, refs = _part_check(spec, resolved, isinstance(ref, str))
        return FormField(
            name,
            python_name,
            expr,
            expr,
            required,
            False,
            description,
            (),
            many=True,
            json=True,
            nullable=nullable,
            check=check,
            check_refs=refs,
        )
    if multipart and _is_object(resolved):
        # An object part is JSON (its default Content-Type), validated into its model (an inline one was lifted to
        # a model of its own, `schemas.prepare`, unless it is free-form: then a `dict[str, Any]`).
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        expr = renderer.model_ref(ref, where) if isinstance(ref, str) else "dict[str, Any]"
        nullable = _nullable(spec, schema)
        expr = expr if required and not nullable else union([expr, "None"])
        check, refs = _part_check(spec, schema if isinstance(ref, str) else resolved, isinstance(ref, str))
        return FormField(
            name,
            python_name,
            expr,
            expr,
            required,
            False,
            description,
            (),
            json=True,
            nullable=nullable,
            check=check,
            check_refs=refs,
        )
    expr = renderer.type_of(schema, f"{where} field {name!r}", param=True)
    if not required:
        expr = union([expr, "None"])
    constraints = renderer.constraints(schema)
    many = _is_array(resolved)
    wire = renderer.wire_types(schema)
    return FormField(name, python_name, expr, expr, required, False, description, constraints, many=many, wire=wire)


def _part_check(spec: Spec, schema: Any, modelled: bool) -> tuple[Any, tuple[str, ...]]:
    """The JSON Schema check of an object part (or array of objects) and the component schemas it refers to: where
    its model cannot enforce it all (`json_checks.needs_check`), and always for an object with no model of its own."""
    if modelled and not needs_check(spec, schema):
        return None, ()
    return json_schema(schema, openapi31=_openapi31(spec)), tuple(sorted(closure(spec, schema)))


def _status_key(status: str) -> tuple[int, str]:
    if status.isdigit():
        return 0, status.zfill(3)
    return (1, status) if status != "default" else (2, status)


def parse_responses(spec: Spec, responses: dict[str, Any], renderer: TypeRenderer, where: str) -> tuple[Response, ...]:
    """Return the declared responses sorted by status (numeric, ranges, default)."""
    out: list[Response] = []
    for status in sorted((str(s) for s in responses), key=_status_key):
        resp = deref(spec, responses[status])
        if not isinstance(resp, dict):
            continue
        content: Any = resp.get("content")
        media = pick_media(content)
        if media is None:
            expr = "None"
        elif is_json(media):
            schema = content[media].get("schema") if isinstance(content[media], dict) else None
            expr = renderer.type_of(schema, f"{where} response {status}") if schema else "Any"
        else:
            expr = "Download"
        links = tuple(_link(spec, n, node) for n, node in (resp.get("links") or {}).items())
        description = str(resp.get("description") or "")
        out.append(Response(status, description, media, expr, tuple(sorted(resp.get("headers") or {})), links))
    return tuple(out)


def _link(spec: Spec, name: str, node: Any) -> Link:
    link = deref(spec, node)
    link = link if isinstance(link, dict) else {}
    params = tuple(sorted((str(k), str(v)) for k, v in (link.get("parameters") or {}).items()))
    op_id, op_ref = link.get("operationId"), link.get("operationRef")
    return Link(name, op_id if isinstance(op_id, str) else None, op_ref if isinstance(op_ref, str) else None, params)
