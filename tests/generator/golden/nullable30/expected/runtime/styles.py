"""OpenAPI parameter serialisation (`style` / `explode`) read back into JSON-like values before validation.

Arrays and objects in every location: query `form` (exploded: repeated keys, or an object's properties as keys of
their own; not exploded: `a,b` / `k,v,k2,v2`), `spaceDelimited`, `pipeDelimited` and `deepObject` (`obj[k]=v`);
path `simple` (`a,b`), `label` (`.a.b`) and `matrix` (`;id=a,b` / `;id=a;id=b` / `;k=v`); header `simple` (`a,b`,
objects `k,v` or exploded `k=v`); cookie `form` (`a,b`, `k,v`). An object's property values (those its schema
does not name too, by its `additionalProperties` schema) are read as their schema's JSON types (`formats.read_text`),
dates and times as a JSON body's strings are; array items are read by the parameter's own validator.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError
from starlette.requests import Request

from .formats import Date, DateTime, Time, read_text

Shape = Literal["scalar", "array", "object"]
_SEPARATORS = {"spaceDelimited": " ", "pipeDelimited": "|"}
# The models take dates and times strictly (no Unix timestamps): from JSON strings, as in a JSON body.
_ISO: dict[str, TypeAdapter[Any]] = {
    "date": TypeAdapter(Date),
    "date-time": TypeAdapter(DateTime),
    "time": TypeAdapter(Time),
}


@dataclass(frozen=True, slots=True)
class Prop:
    """A property of an object parameter: its name (None: every property the others do not name, as its
    `additionalProperties` schema says), the JSON types its text is read as, whether it is an array, and its
    `format` when it is a date or time (`date`, `date-time`, `time`)."""

    name: str | None
    types: tuple[str, ...] = ()
    many: bool = False
    format: str = ""


def _or_text(value: dict[str, object] | None, text: str) -> object:
    """The object read, or the text as sent when it is no object in this style (the model refuses it)."""
    return text if value is None else value


def _split(text: str, separator: str = ",") -> list[str]:
    return text.split(separator) if text else []


def _pairs(items: Sequence[str], props: tuple[Prop, ...]) -> dict[str, object] | None:
    """`k,v,k2,v2` (or `k=v` items when exploded, already split by the caller) as an object."""
    if len(items) % 2:
        return None
    return _typed({items[i]: [items[i + 1]] for i in range(0, len(items), 2)}, props)


def _read(text: str, prop: Prop) -> object:
    try:
        value = read_text(text, prop.types)
    except PydanticCustomError:
        return text  # the model refuses it, naming the property
    iso = _ISO.get(prop.format)
    if iso is None or not isinstance(value, str):
        return value
    try:
        return iso.validate_json(json.dumps(value))
    except ValidationError:
        return value  # as above


def _typed(found: dict[str, list[str]], props: tuple[Prop, ...]) -> dict[str, object]:
    """The object of the texts found per property name; names the schema does not know are read by the
    `additionalProperties` schema's property, else kept as text (the model then refuses them where
    `additionalProperties` says so)."""
    known: dict[str | None, Prop] = {p.name: p for p in props}
    rest = known.get(None)
    out: dict[str, object] = {}
    for name, texts in found.items():
        prop = known.get(name, rest)
        if prop is None:
            out[name] = texts[0] if len(texts) == 1 else texts
        elif prop.many:
            out[name] = [_read(t, prop) for text in texts for t in _split(text)]
        else:
            out[name] = _read(texts[0], prop) if len(texts) == 1 else texts
    return out


def _exploded_pairs(items: Sequence[str], props: tuple[Prop, ...]) -> dict[str, object] | None:
    found: dict[str, list[str]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            return None
        found.setdefault(name, []).append(value)
    return _typed(found, props)


def query_value(
    request: Request,
    key: str,
    shape: Shape,
    style: str,
    explode: bool,
    props: tuple[Prop, ...],
    others: frozenset[str] = frozenset(),
    extra: bool = True,
) -> object:
    """The value of a query parameter (None when absent); `others`: the operation's other query parameters;
    `extra`: an exploded object takes the keys no parameter claims (else only its own properties')."""
    query = request.query_params
    if shape == "object":
        if style == "deepObject":
            prefix = key + "["
            found: dict[str, list[str]] = {}
            for name, value in query.multi_items():
                if name.startswith(prefix) and name.endswith("]"):
                    found.setdefault(name[len(prefix) : -1], []).append(value)
            return _typed(found, props) if found else None
        if explode:
            # The object's properties are keys of their own: every key no other parameter of the operation
            # claims, a `deepObject`'s `name[k]` included (unknown ones stay, for a model without additional
            # properties to refuse), unless another exploded object takes those.
            if extra:
                names = [name for name in query if name.split("[", 1)[0] not in others]
            else:
                names = [prop.name for prop in props if prop.name is not None and prop.name in query]
            found = {name: query.getlist(name) for name in names}
            return _typed(found, props) if found else None
        text = query.get(key)
        return None if text is None else _or_text(_pairs(_split(text), props), text)
    if shape == "array":
        if explode:
            return query.getlist(key) or None
        text = query.get(key)
        return None if text is None else _split(text, _SEPARATORS.get(style, ","))
    return query.get(key)


def simple_value(text: str | None, shape: Shape, explode: bool, props: tuple[Prop, ...]) -> object:
    """A header or `simple` path value (and, with `,` items, a `form` cookie): `a,b` or an object."""
    if text is None:
        return None
    items = [item.strip() for item in _split(text)]
    if shape == "array":
        return items
    if shape == "object":
        return _or_text(_exploded_pairs(items, props) if explode else _pairs(items, props), text)
    return text


def path_value(text: str | None, key: str, shape: Shape, style: str, explode: bool, props: tuple[Prop, ...]) -> object:
    """A path parameter in its style (`simple`, `label` or `matrix`); the text as sent when it does not fit."""
    if text is None or style not in ("label", "matrix"):
        return simple_value(text, shape, explode, props) if shape != "scalar" else text
    if style == "label":
        if not text.startswith("."):
            return text
        body = text[1:]
        if shape == "scalar":
            return body
        items = _split(body, "." if explode else ",")
        if shape == "array":
            return items
        return _or_text(_exploded_pairs(items, props) if explode else _pairs(items, props), text)
    # matrix
    if shape == "object" and explode:
        return _exploded_pairs(_split(text[1:], ";"), props) if text.startswith(";") else text
    head = f";{key}="
    if shape == "array" and explode:
        parts = _split(text, ";")
        if parts[:1] != [""] or not all(p.startswith(key + "=") for p in parts[1:]):
            return text
        return [p[len(key) + 1 :] for p in parts[1:]]
    if not text.startswith(head):
        return text
    body = text[len(head) :]
    if shape == "scalar":
        return body
    items = _split(body)
    return items if shape == "array" else _or_text(_pairs(items, props), text)


__all__ = ["Prop", "Shape", "path_value", "query_value", "simple_value"]
