"""Reading a request's path, query, header and cookie parameters into the operation's parameters model.

Each parameter is read as its style serialises it (`styles`), the model validates them all at once, and a
parameter whose schema says more than the model can enforce (`oneOf` as exactly one, `not`, ...) is checked by its
JSON Schema afterwards; every error is a 422 naming (location, contract name[, place inside]).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from .checks import SchemaCheck
from .formats import read_text
from .problems import InvalidRequest
from .styles import Prop, Shape, path_value, query_value, simple_value

Location = Literal["path", "query", "header", "cookie"]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: the model field it fills, where it comes from, its contract name and its key there."""

    field: str
    location: Location
    name: str
    key: str
    many: bool = False
    # How it is serialised (`styles`): "" is the location's default style; `props` lists an object's properties.
    style: str = ""
    explode: bool | None = None
    shape: Shape | None = None
    props: tuple[Prop, ...] = ()
    # A required exploded object none of whose properties were sent is the empty object (then validated).
    required: bool = False
    # The operation's other query parameters: the keys an exploded query object does not own. `extra`: it takes
    # the keys no parameter claims (False: only its own properties', which another exploded object takes).
    others: frozenset[str] = frozenset()
    extra: bool = True
    # Its schema, for what its model cannot enforce (`oneOf` as exactly one, `not`, ...): checked once the model
    # accepted it, against its value read as the JSON `types` of its schema (each item's, for an array).
    types: tuple[str, ...] = ()
    check: SchemaCheck | None = None


def located(errors: Sequence[Mapping[str, Any]], where: Mapping[str, tuple[str, str]]) -> InvalidRequest:
    """The 422 of a model's errors, each first `loc` part (a field) replaced by its (location, contract name)."""
    located = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        head = where.get(str(loc[0])) if loc else None
        located.append({**error, "loc": (*head, *loc[1:]) if head else loc})
    return InvalidRequest.from_errors(located)


def _header_values(request: Request, key: str) -> list[str]:
    # OpenAPI's `simple` style: one comma-separated list, possibly spread over several header lines.
    return [v.strip() for line in request.headers.getlist(key) for v in line.split(",") if v.strip()]


def _raw(request: Request, param: Param) -> object:
    if param.shape is not None:
        value = _styled(request, param, param.shape)
        exploded_object = param.shape == "object" and param.location == "query"
        return {} if value is None and param.required and exploded_object else value
    if param.location == "path":
        return request.path_params.get(param.key)
    if param.location == "query":
        if param.many:
            return request.query_params.getlist(param.key) or None
        return request.query_params.get(param.key)
    if param.location == "header":
        return (_header_values(request, param.key) or None) if param.many else request.headers.get(param.key)
    return request.cookies.get(param.key)


def _styled(request: Request, param: Param, shape: Shape) -> object:
    # OpenAPI's defaults: `form` exploded for query and cookie, `simple` not exploded for path and header.
    explode = param.explode if param.explode is not None else param.location in ("query", "cookie")
    if param.location == "query":
        style = param.style or "form"
        return query_value(request, param.key, shape, style, explode, param.props, param.others, param.extra)
    if param.location == "path":
        text = request.path_params.get(param.key)
        return path_value(text, param.key, shape, param.style or "simple", explode, param.props)
    if param.location == "header":
        if shape == "array":
            return _header_values(request, param.key) or None
        return simple_value(request.headers.get(param.key), shape, explode, param.props)
    # A cookie's `form` value: `a,b` for arrays, `k,v,k2,v2` for objects (exploded forms cannot be told apart).
    return simple_value(request.cookies.get(param.key), shape, False, param.props)


# Values a shared instance can hand to every request without one request's changes reaching the next.
_IMMUTABLE = (type(None), bool, int, float, str, bytes, Enum)
# Validated parameters kept per operation, by the text they were read from; past this, the oldest goes.
MEMO_SIZE = 1024


def _shareable(parameters: BaseModel) -> bool:
    """Whether one instance can serve several requests: frozen, and holding only immutable values."""
    return bool(type(parameters).model_config.get("frozen")) and all(
        isinstance(value, _IMMUTABLE) for value in vars(parameters).values()
    )


def _reusable_empty(model: type[M]) -> M | None:
    """The model of a request that sends none of the parameters, when one instance can serve every such request:
    the model is frozen, valid without any parameter, and holds only immutable defaults. None otherwise."""
    if not model.model_config.get("frozen"):
        return None
    try:
        empty = model.model_validate({})
    except ValidationError:
        return None  # a required parameter: its absence is a 422, every time
    return empty if _shareable(empty) else None


class Parameters(Generic[M]):
    """Reads an operation's path, query, header and cookie parameters into its parameters model."""

    def __init__(self, model: type[M], params: tuple[Param, ...]) -> None:
        self._model = model
        self._params = params
        self._where = {p.field: (p.location, p.name) for p in params}
        self._checked = tuple(p for p in params if p.check is not None)
        # Most requests send none of an operation's optional parameters (an Idempotency-Key, say): validating an
        # empty mapping cost ~5 us of a ~140 us POST (profiled), for the same answer every time.
        self._empty = _reusable_empty(model)
        # Parameters read only from the path and the query are a function of the path's values and the query
        # string: an operation's recent answers are kept by that text (parsing `limit=20` and validating it cost
        # ~15 us of a ~250 us GET /items, profiled). Only frozen models; only instances of immutable values.
        memoized = model.model_config.get("frozen") and all(p.location in ("path", "query") for p in params)
        self._memo: dict[tuple[object, ...], M] | None = {} if memoized else None
        self._path_keys = tuple(p.key for p in params if p.location == "path")

    def read(self, request: Request) -> M:
        """The validated parameters; 422 naming each invalid one."""
        memo = self._memo
        if memo is not None:
            path_params = request.path_params
            key = (request.scope.get("query_string", b""), *[path_params.get(k) for k in self._path_keys])
            known = memo.get(key)
            if known is not None:
                return known
        raw: dict[str, object] = {}
        for param in self._params:
            value = _raw(request, param)
            if value is not None:
                raw[param.field] = value
        if not raw and self._empty is not None:
            return self._empty
        try:
            parameters = self._model.model_validate(raw)
        except ValidationError as exc:
            raise located(exc.errors(include_url=False, include_context=False), self._where) from None
        if self._checked:
            self._check(request, raw, parameters)
        if memo is not None and _shareable(parameters):
            if len(memo) >= MEMO_SIZE:
                del memo[next(iter(memo))]  # dicts keep insertion order: the oldest goes
            memo[key] = parameters
        return parameters

    def _check(self, request: Request, raw: Mapping[str, object], parameters: M) -> None:
        """Nothing when each checked parameter sent is valid by its JSON Schema, else the 422 naming each violation
        (location, name, place inside)."""
        sent = [p for p in self._checked if p.field in raw]
        typed = parameters.model_dump(mode="json", by_alias=True, include={p.field for p in sent})
        errors: list[dict[str, Any]] = []
        for param in sent:
            if param.check is not None:
                document = _settle(_document(request, param, raw[param.field]), typed.get(param.field))
                errors += [{**e, "loc": (param.location, param.name, *e["loc"])} for e in param.check.errors(document)]
        if errors:
            raise InvalidRequest.from_errors(errors)


def _document(request: Request, param: Param, value: object) -> object:
    """A parameter's value as JSON, as its model read it: text read as the schema's JSON types (each item's, for an
    array); an object's properties as `styles` read them, dates and times kept as the text sent."""
    if param.shape == "object":
        if any(prop.format for prop in param.props):
            plain = tuple(replace(prop, format="") for prop in param.props)
            return _raw(request, replace(param, props=plain))
        return value
    if isinstance(value, list):
        return [read_text(item, param.types) if isinstance(item, str) else item for item in value]
    return read_text(value, param.types) if isinstance(value, str) else value


def _settle(read: object, typed: object) -> object:
    """`read` with each text the model took as another JSON type (`2` as a number where the schema allows a string
    too) as the model took it: text is read as a string first where its schema allows one."""
    if isinstance(read, str):
        return typed if typed is None or isinstance(typed, bool | int | float) else read
    if isinstance(read, list) and isinstance(typed, list) and len(read) == len(typed):
        return [_settle(r, t) for r, t in zip(read, typed, strict=True)]
    if isinstance(read, dict) and isinstance(typed, dict):
        return {key: _settle(value, typed[key]) if key in typed else value for key, value in read.items()}
    return read


class NoParameters:
    """The reader of an operation without parameters."""

    def read(self, request: Request) -> None:
        """Nothing to read."""
        return None


__all__ = ["MEMO_SIZE", "Location", "NoParameters", "Param", "Parameters", "located"]
