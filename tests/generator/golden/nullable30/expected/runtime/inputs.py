"""Reading a request's body into the operation's generated types, validated once (parameters: `parameters.py`).

Every reader raises the contract's errors itself: 422 (`InvalidRequest`, each field named by its location),
400 for a body that is not JSON or not UTF-8, 415 for a media type the operation does not accept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request

from .checks import SchemaCheck
from .parameters import located
from .problems import InvalidRequest, MalformedRequest, UnsupportedMediaType

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
JSON_MEDIA_TYPE = "application/json"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
MULTIPART_MEDIA_TYPE = "multipart/form-data"
# Bodies that are not one model class are validated strictly: JSON's types as the schema says (models carry their
# own strict field types).
STRICT = ConfigDict(strict=True)


@dataclass(frozen=True, slots=True)
class Part:
    """One form field or multipart part: the model field it fills and its name in the body."""

    field: str
    name: str
    many: bool = False
    json: bool = False  # an object part: its text is JSON
    nullable: bool = False  # a JSON part whose schema allows null (for an array of objects: the array itself)
    check: SchemaCheck | None = None  # a JSON part's schema, for what its model cannot enforce


def media_type(request: Request) -> str:
    """The request's media type without parameters, lower-cased ('' when absent)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def is_json(media: str) -> bool:
    """application/json or any `+json` structured syntax suffix."""
    return media == JSON_MEDIA_TYPE or media.endswith("+json")


class NoBody:
    """The reader of an operation without a request body."""

    async def read(self, request: Request) -> None:
        """Nothing to read."""
        return None


def _missing_body() -> InvalidRequest:
    return InvalidRequest.from_errors([{"loc": ("body",), "msg": "Field required", "type": "missing"}])


async def _whole_body(request: Request) -> bytes:
    """The request body, read straight from `receive`: `Request.body()` runs an async generator per request, which
    cost ~7 us of a ~100 us POST (profiled). The body is read once, by the operation's one body reader."""
    receive = request.receive
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        if message["type"] != "http.request":
            continue
        chunk: bytes = message.get("body", b"")
        if not message.get("more_body", False):
            if not chunks:
                return chunk
            chunks.append(chunk)
            return b"".join(chunks)
        chunks.append(chunk)


async def _json_bytes(request: Request) -> bytes | None:
    body = await _whole_body(request)
    if not body:
        return None
    media = media_type(request)
    if not is_json(media):
        raise UnsupportedMediaType(f"unsupported media type {media or '(none)'}; send application/json")
    return body


def _validate_json(adapter: TypeAdapter[T], body: bytes, check: SchemaCheck | None = None) -> T:
    try:
        value = adapter.validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False)
        # 400 not 422: a body that is not JSON at all is a syntax error, not a contract violation of a field.
        if any(e["type"] == "json_invalid" for e in errors):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                raise MalformedRequest("the request body is not valid UTF-8") from None
            unicode_errors = _lone_surrogates(body)
            if unicode_errors:
                raise InvalidRequest.from_errors(unicode_errors, prefix=("body",)) from None
            raise MalformedRequest("the request body is not valid JSON") from None
        raise InvalidRequest.from_errors(errors, prefix=("body",)) from None
    if check is not None:
        # The model accepted the document: it is JSON, and what the model cannot say is checked on it as sent.
        check.validate(json.loads(body))
    return value


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _lone_surrogates(body: bytes) -> list[dict[str, Any]]:
    """The field errors of a body that is JSON but for lone surrogates (`"\\ud800"`), which the parser refuses.

    422 naming each such string, not 400: the syntax is JSON, a value is what no text can hold. Empty otherwise.
    """
    try:
        document = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return []
    errors: list[dict[str, Any]] = []
    pending: list[tuple[tuple[str | int, ...], object]] = [((), document)]
    while pending:  # iterative: a body nested as deep as the parser allows must not exhaust the stack here
        loc, node = pending.pop()
        if isinstance(node, str) and not _encodable(node):
            errors.append({"loc": loc, "msg": "Input should be valid Unicode text", "type": "string_unicode"})
        elif isinstance(node, list):
            pending.extend(((*loc, index), item) for index, item in enumerate(node))
        elif isinstance(node, dict):
            for key, item in node.items():
                if _encodable(key):
                    pending.append(((*loc, key), item))
                    continue
                # The location is echoed in the 422 body, which must stay encodable itself.
                escaped = key.encode("utf-8", "backslashreplace").decode()
                errors.append(
                    {"loc": (*loc, escaped), "msg": "Keys should be valid Unicode text", "type": "string_unicode"}
                )
    return sorted(errors, key=lambda error: [str(part) for part in error["loc"]])


class JsonBody(Generic[T]):
    """A required JSON body: 422 when it is absent. `check`: the schema's keywords the model cannot enforce."""

    def __init__(self, adapter: TypeAdapter[T], check: SchemaCheck | None = None) -> None:
        self._adapter = adapter
        self._check = check

    async def read(self, request: Request) -> T:
        """The validated body."""
        body = await _json_bytes(request)
        if body is None:
            raise _missing_body()
        return _validate_json(self._adapter, body, self._check)


class OptionalJsonBody(Generic[T]):
    """An optional JSON body: None when the request has none; when sent, it must match the schema."""

    def __init__(self, adapter: TypeAdapter[T], check: SchemaCheck | None = None) -> None:
        self._adapter = adapter
        self._check = check

    async def read(self, request: Request) -> T | None:
        """The validated body, or None."""
        body = await _json_bytes(request)
        return None if body is None else _validate_json(self._adapter, body, self._check)


async def _form(request: Request, accepted: str) -> FormData:
    media = media_type(request)
    if media != accepted:
        # No body at all is not a body of another type: every field is absent (422 if required), as for JSON.
        # Drained chunk by chunk, never kept: the body limit still applies, and memory does not grow with it.
        sent = False
        async for chunk in request.stream():
            sent = sent or bool(chunk)
        if not sent:
            return FormData()
        raise UnsupportedMediaType(f"unsupported media type {media or '(none)'}; send {accepted}")
    try:
        return await request.form()
    except HTTPException as exc:  # starlette's answer to a malformed multipart body
        raise MalformedRequest(exc.detail) from None


def _json_part(value: object, nullable: bool = True) -> object:
    """A JSON part's document; its text when it is not JSON, or is `null` where the schema allows no null (the
    model then refuses it: an optional part's None would read as absent)."""
    if isinstance(value, str):
        try:
            parsed: object = json.loads(value)
        except ValueError:
            return value
        return value if parsed is None and not nullable else parsed
    return value


class FormFields(Generic[M]):
    """A form or multipart body read into the operation's fields model (files as uploaded files)."""

    def __init__(self, model: type[M], parts: tuple[Part, ...], *, accepted: str) -> None:
        self._model = model
        self._parts = parts
        self._accepted = accepted
        self._where = {p.field: ("body", p.name) for p in parts}
        self.names = {p.field: p.name for p in parts}
        # A JSON part is validated as a JSON body is (a date is a JSON string), before the model sees it.
        self._json = {
            p.field: (TypeAdapter[Any](model.model_fields[p.field].rebuild_annotation()), p.check)
            for p in parts
            if p.json
        }

    async def read(self, request: Request) -> M:
        """The validated fields; a field sent empty is validated as sent, not taken as absent."""
        form = await _form(request, self._accepted)
        raw: dict[str, object] = {}
        for part in self._parts:
            if part.many:
                values = form.getlist(part.name)
                if values and part.json:
                    items = [_json_part(v) for v in values]
                    # One part holding the whole array as JSON (`Content-Type: application/json`) is the array, and
                    # one `null` part the array's null where the schema allows it (else a one-item array).
                    whole = len(items) == 1 and (isinstance(items[0], list) or (items[0] is None and part.nullable))
                    raw[part.field] = items[0] if whole else items
                elif values:
                    raw[part.field] = values
            else:
                values = form.getlist(part.name)
                if len(values) > 1:  # repeated: an array on the wire, which the field's scalar schema refuses
                    raw[part.field] = values
                elif values:
                    raw[part.field] = _json_part(values[0], part.nullable) if part.json else values[0]
        errors = self._json_errors(raw)
        failed = {error["loc"][:1] for error in errors}
        try:
            fields = self._model.model_validate(raw)
        except ValidationError as exc:
            # A JSON part already reported is not reported again as the model sees it.
            more = [e for e in exc.errors(include_url=False, include_context=False) if e["loc"][:1] not in failed]
            raise located([*errors, *more], self._where) from None
        if errors:
            raise located(errors, self._where)
        return fields

    def _json_errors(self, raw: dict[str, object]) -> list[dict[str, Any]]:
        """The errors of the JSON parts in `raw`, each replaced there by its validated value; `loc` starts with
        the field."""
        errors: list[dict[str, Any]] = []
        for field, (adapter, check) in self._json.items():
            if field not in raw:
                continue
            document = raw[field]
            try:
                text = json.dumps(document)
            except TypeError:
                continue  # a file sent for a JSON part: the model refuses it
            try:
                raw[field] = adapter.validate_json(text)
            except ValidationError as exc:
                found = exc.errors(include_url=False, include_context=False)
                errors.extend({**e, "loc": (field, *e["loc"])} for e in found)
                continue
            # What the model cannot say is checked on the document as sent, once the model accepted it.
            errors.extend({**e, "loc": (field, *e["loc"])} for e in (check.errors(document) if check else ()))
        return errors


class FormModel(Generic[M, T]):
    """A urlencoded body: its fields read as text (lax), then validated into the contract's body model.

    `optional`: the body is not required, and a request without one reads as None. An empty form and no body
    are the same bytes: a request that names a media type sends a (possibly empty) form.
    """

    def __init__(self, fields: FormFields[M], adapter: TypeAdapter[T], *, optional: bool = False) -> None:
        self._fields = fields
        self._adapter = adapter
        self._optional = optional

    async def read(self, request: Request) -> T | None:
        """The validated body model (None for an absent optional body)."""
        if self._optional and "content-type" not in request.headers and not await request.body():
            return None
        fields = await self._fields.read(request)
        names = self._fields.names
        data = {names[key]: value for key, value in fields.model_dump(exclude_unset=True).items()}
        try:
            return self._adapter.validate_python(data)
        except ValidationError as exc:
            raise InvalidRequest.from_errors(
                exc.errors(include_url=False, include_context=False), prefix=("body",)
            ) from None


class RawBody:
    """A body of a media type the generator does not parse: the bytes as sent."""

    async def read(self, request: Request) -> bytes:
        """The body's bytes."""
        return await request.body()


__all__ = [
    "FORM_MEDIA_TYPE",
    "MULTIPART_MEDIA_TYPE",
    "STRICT",
    "FormFields",
    "FormModel",
    "JsonBody",
    "NoBody",
    "OptionalJsonBody",
    "Part",
    "RawBody",
    "is_json",
    "media_type",
]
