"""Stage 3: the prepared spec as frozen dataclasses (operations, parameters, bodies, responses, links)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .load import Spec, resolve_pointer
from .naming import pascal_case, snake_case, unique
from .operations import RawOperation, iter_operations, operation_id, python_names
from .parse_io import RequestBody, Response, parse_body, parse_responses
from .parse_params import RESERVED, Parameter, clean_text, parse_parameters
from .schemas import GenerationError
from .typeexpr import TypeRenderer


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
    params, route_path = parse_parameters(spec, raw, renderer, taken, where)
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
        summary=clean_text(raw.op.get("summary")),
        description=clean_text(raw.op.get("description")),
        parameters=params,
        body=body,
        responses=responses,
        security=security,
        deprecated=raw.op.get("deprecated") is True,
        success=success,
        location=_location(spec, success, ops_by_id),
    )


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
