"""Flatten a schema for the contract diff: follow $refs, merge allOf, keep oneOf/anyOf as alternative groups."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .diff_model import SchemaView

# (value, exclusive) of a numeric bound.
Bound = tuple[float, bool]

LOWER_COUNTS = ("minLength", "minItems", "minProperties")
UPPER_COUNTS = ("maxLength", "maxItems", "maxProperties")


@dataclass
class Norm:
    """A schema's constraints, with allOf merged in (an intersection) and its subschemas kept as lazy views.

    `groups` holds each oneOf/anyOf as (keyword, alternatives): the value must match one alternative of every
    group. `refs` are the identities of the nodes reached through `$ref` (the key that stops recursion).
    """

    never: bool = False
    types: frozenset[str] | None = None
    enum: list[Any] | None = None
    format: str | None = None
    lower: Bound | None = None
    upper: Bound | None = None
    counts: dict[str, int] = field(default_factory=dict)
    patterns: frozenset[str] = frozenset()
    multiple_of: float | None = None
    unique: bool = False
    properties: dict[str, list[SchemaView]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    closed: bool = False
    additional: list[SchemaView] = field(default_factory=list)
    items: list[SchemaView] | None = None
    prefix: list[list[SchemaView]] = field(default_factory=list)
    groups: list[tuple[str, list[SchemaView]]] = field(default_factory=list)
    nots: frozenset[str] = frozenset()
    read_only: bool = False
    write_only: bool = False
    refs: frozenset[int] = frozenset()
    ref_names: frozenset[str] = frozenset()


def normalize(views: Iterable[SchemaView]) -> Norm:
    """Return the flattened constraints of the intersection of `views` (no views: any value)."""
    norm = Norm()
    for view in views:
        _absorb(norm, view, frozenset())
    return norm


def merge(first: Norm, second: Norm) -> Norm:
    """Return the intersection of two flattened schemas (what allOf of both allows)."""
    out = Norm(
        never=first.never or second.never,
        types=_meet_types(first.types, second.types),
        enum=_meet_enum(first.enum, second.enum),
        format=first.format or second.format,
        lower=_tighter(first.lower, second.lower, lower=True),
        upper=_tighter(first.upper, second.upper, lower=False),
        counts=dict(first.counts),
        patterns=first.patterns | second.patterns,
        multiple_of=first.multiple_of if first.multiple_of is not None else second.multiple_of,
        unique=first.unique or second.unique,
        properties={name: list(views) for name, views in first.properties.items()},
        required=first.required | second.required,
        closed=first.closed or second.closed,
        additional=[*first.additional, *second.additional],
        items=None if first.items is None and second.items is None else [*(first.items or []), *(second.items or [])],
        prefix=[list(views) for views in first.prefix],
        groups=[*first.groups, *second.groups],
        nots=first.nots | second.nots,
        read_only=first.read_only or second.read_only,
        write_only=first.write_only or second.write_only,
        refs=first.refs | second.refs,
        ref_names=first.ref_names | second.ref_names,
    )
    for name, count in second.counts.items():
        out.counts[name] = _meet_count(name, out.counts.get(name), count)
    for name, views in second.properties.items():
        out.properties.setdefault(name, []).extend(views)
    for index, views in enumerate(second.prefix):
        if index < len(out.prefix):
            out.prefix[index].extend(views)
        else:
            out.prefix.append(list(views))
    return out


def json_key(value: Any) -> str:
    """Return a canonical JSON text of `value`, to compare enum values and `not` subschemas by equality."""
    return json.dumps(value, sort_keys=True, default=str)


def types_contain(outer: frozenset[str] | None, inner: frozenset[str] | None) -> frozenset[str]:
    """Return the types `inner` allows that `outer` does not (an integer is a number; None means any type)."""
    if outer is None:
        return frozenset()
    if inner is None:
        return frozenset({"any type"})
    return frozenset(t for t in inner if t not in outer and not (t == "integer" and "number" in outer))


def _absorb(norm: Norm, view: SchemaView, seen: frozenset[int]) -> None:
    node = view.node
    if node is False:
        norm.never = True
        return
    if not isinstance(node, dict):
        return  # `true` or not a schema: no constraint
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = view.lookup(ref)
        if id(target.node) not in seen:  # a schema that is its own allOf adds nothing the second time
            norm.refs = norm.refs | {id(target.node)}
            norm.ref_names = norm.ref_names | {ref}
            _absorb(norm, target, seen | {id(target.node)})
    merged = merge(norm, _own_keywords(node, view))
    for name in vars(merged):
        setattr(norm, name, getattr(merged, name))
    for branch in node.get("allOf") or []:
        _absorb(norm, view.child(branch), seen)


def _own_keywords(node: dict[str, Any], view: SchemaView) -> Norm:
    """Return the constraints a schema object states itself (allOf and $ref are handled by the caller)."""
    own = Norm()
    nullable = node.get("nullable") is True  # OpenAPI 3.0
    raw_type = node.get("type")
    if isinstance(raw_type, str | list):
        own.types = frozenset([raw_type] if isinstance(raw_type, str) else raw_type) | (
            {"null"} if nullable else frozenset()
        )
    if isinstance(node.get("enum"), list):
        own.enum = list(node["enum"]) + ([None] if nullable and None not in node["enum"] else [])
    if "const" in node:
        own.enum = _meet_enum(own.enum, [node["const"]])
    if own.types is None and own.enum is not None:
        own.types = frozenset(_json_type(value) for value in own.enum)  # an enum alone still implies its types
    if isinstance(node.get("format"), str):
        own.format = node["format"]
    own.lower = _bound(node, "minimum", "exclusiveMinimum")
    own.upper = _bound(node, "maximum", "exclusiveMaximum")
    for name in (*LOWER_COUNTS, *UPPER_COUNTS):
        if isinstance(node.get(name), int):
            own.counts[name] = node[name]
    if isinstance(node.get("pattern"), str):
        own.patterns = frozenset({node["pattern"]})
    if isinstance(node.get("multipleOf"), int | float):
        own.multiple_of = node["multipleOf"]
    own.unique = node.get("uniqueItems") is True
    for name, sub in (node.get("properties") or {}).items():
        own.properties[name] = [view.child(sub)]
    own.required = {name for name in node.get("required") or [] if isinstance(name, str)}
    additional = node.get("additionalProperties")
    if additional is False:
        own.closed = True
    elif isinstance(additional, dict) and additional:
        own.additional = [view.child(additional)]
    if isinstance(node.get("items"), dict | bool):
        own.items = [view.child(node["items"])]
    own.prefix = [[view.child(sub)] for sub in node.get("prefixItems") or []]
    for keyword in ("oneOf", "anyOf"):
        if isinstance(node.get(keyword), list):
            own.groups.append((keyword, [view.child(sub) for sub in node[keyword]]))
    if "not" in node:
        own.nots = frozenset({json_key(node["not"])})
    own.read_only = node.get("readOnly") is True
    own.write_only = node.get("writeOnly") is True
    return own


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    names = {str: "string", float: "number", list: "array", dict: "object"}
    return names.get(type(value), "object")


def _bound(node: dict[str, Any], inclusive: str, exclusive: str) -> Bound | None:
    candidates: list[Bound] = []
    value, flag = node.get(inclusive), node.get(exclusive)
    if isinstance(value, int | float) and not isinstance(value, bool):
        candidates.append((value, flag is True))  # OpenAPI 3.0: exclusiveMinimum is a boolean modifier
    if isinstance(flag, int | float) and not isinstance(flag, bool):
        candidates.append((flag, True))
    bound: Bound | None = None
    for candidate in candidates:
        bound = _tighter(bound, candidate, lower=inclusive == "minimum")
    return bound


def _tighter(first: Bound | None, second: Bound | None, *, lower: bool) -> Bound | None:
    if first is None or second is None:
        return first if second is None else second
    if first[0] != second[0]:
        return (max if lower else min)(first, second, key=lambda bound: bound[0])
    return (first[0], first[1] or second[1])


def _meet_count(name: str, first: int | None, second: int) -> int:
    if first is None:
        return second
    return max(first, second) if name in LOWER_COUNTS else min(first, second)


def _meet_types(first: frozenset[str] | None, second: frozenset[str] | None) -> frozenset[str] | None:
    if first is None or second is None:
        return first if second is None else second
    both = {t for t in first if not types_contain(second, frozenset({t}))}
    both |= {t for t in second if not types_contain(first, frozenset({t}))}
    return frozenset(both)


def _meet_enum(first: list[Any] | None, second: list[Any] | None) -> list[Any] | None:
    if first is None or second is None:
        return first if second is None else second
    keys = {json_key(value) for value in second}
    return [value for value in first if json_key(value) in keys]
