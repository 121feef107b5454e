"""Stage 1: read an OpenAPI YAML/JSON file, check its version, validate it and resolve every local $ref."""

from __future__ import annotations

import contextlib
import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from .naming import pointer

try:
    _Loader: type[yaml.CSafeLoader | yaml.SafeLoader] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing: the pure-Python loader is just slower
    _Loader = yaml.SafeLoader

Spec = dict[str, Any]
_NAME_MAPS = frozenset({"properties", "patternProperties", "schemas", "$defs", "definitions"})


class SpecError(Exception):
    """A spec that cannot be used: `file`, the JSON `pointer` where the problem is and a one-line `reason`."""

    def __init__(self, file: str, pointer: str, reason: str) -> None:
        super().__init__(f"{file}: {pointer}: {reason}")
        self.file = file
        self.pointer = pointer
        self.reason = reason


def load_spec(path: Path, *, display: str | None = None, strict: bool = True) -> tuple[Spec, list[SpecError]]:
    """Return the spec as a JSON-like dict plus the validator findings tolerated when `strict` is False.

    Raises SpecError for unreadable/invalid YAML, a document that is not OpenAPI 3.0/3.1, a dangling local
    $ref, and (when `strict`) any openapi-spec-validator finding.
    """
    name = display if display is not None else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(name, "#", f"cannot read file: {exc}") from exc
    try:
        raw = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise SpecError(name, "#", _yaml_reason(exc)) from exc
    if not isinstance(raw, dict):
        raise SpecError(name, "#", "not an OpenAPI document (top level is not a mapping)")
    spec: Spec = _jsonable(raw)
    version = spec.get("openapi")
    if not isinstance(version, str) or not version.startswith(("3.0.", "3.1.")):
        found = "missing" if version is None else repr(version)
        raise SpecError(name, "#/openapi", f"not an OpenAPI 3.0/3.1 document (openapi version {found})")
    for where, ref in _local_refs(spec, []):
        if not ref.startswith("#"):
            raise SpecError(name, where, f"external reference {ref!r} is not supported (bundle the spec first)")
        try:
            resolve_pointer(spec, ref)
        except KeyError:
            raise SpecError(name, where, f"unresolvable reference {ref!r}") from None
    findings = _validate(spec, version, name)
    if findings and strict:
        raise findings[0]
    return spec, findings


def resolve_pointer(spec: Spec, ref: str) -> Any:
    """Return the node a local `#/...` reference points at; KeyError when it does not exist."""
    node: Any = spec
    if ref in ("#", "#/"):
        return node
    if not ref.startswith("#/"):
        raise KeyError(ref)
    for raw in ref[2:].split("/"):
        token = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise KeyError(ref)
    return node


def _yaml_reason(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return f"invalid YAML: {problem}"


def _jsonable(node: Any) -> Any:
    """JSON semantics: mapping keys are strings (YAML `200:` is "200"), dates become ISO strings."""
    if isinstance(node, dict):
        return {str(k): _jsonable(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_jsonable(v) for v in node]
    if isinstance(node, datetime.date):
        return node.isoformat()
    return node


def _local_refs(node: Any, path: list[str]) -> Iterator[tuple[str, str]]:
    """Yield (pointer, ref) for every `$ref`; example payloads and `x-` extensions are data, not searched."""
    if isinstance(node, dict):
        names = bool(path) and path[-1] in _NAME_MAPS
        for key, value in node.items():
            if names:
                yield from _local_refs(value, [*path, key])
            elif key == "$ref" and isinstance(value, str):
                yield pointer(*path, key), value
            elif key == "examples" and isinstance(value, dict):
                for ex_name, example in value.items():
                    if isinstance(example, dict) and isinstance(example.get("$ref"), str):
                        yield pointer(*path, key, ex_name, "$ref"), example["$ref"]
            elif key not in ("example", "examples") and not key.startswith("x-"):
                # Extensions are opaque to OpenAPI: a `$ref` in one is the extension's data, never resolved.
                yield from _local_refs(value, [*path, key])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _local_refs(value, [*path, str(i)])


def _validate(spec: Spec, version: str, name: str) -> list[SpecError]:
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    cls = OpenAPIV31SpecValidator if version.startswith("3.1.") else OpenAPIV30SpecValidator
    findings: list[SpecError] = []
    nodes: dict[int, list[str]] | None = None
    try:
        for error in cls(spec).iter_errors():
            parts = [str(p) for p in error.absolute_path]
            if not parts and isinstance(error.schema, dict) and "default" in error.schema:
                # A bad `default` is checked by a validator of its own, whose path starts at the value: find the
                # schema holding it (the validator hands over the spec's own node) and point at its default.
                nodes = _node_paths(spec) if nodes is None else nodes
                where = nodes.get(id(error.schema))
                if where is not None:
                    parts = [*where, "default", *(str(p) for p in error.relative_path)]
            findings.append(SpecError(name, pointer(*parts), f"invalid OpenAPI: {_message(spec, error)}"))
    except Exception as exc:  # the validator raises referencing/jsonschema errors of many types
        findings.append(SpecError(name, "#", f"invalid OpenAPI: {type(exc).__name__}: {exc}".splitlines()[0]))
    return findings


def _node_paths(spec: Spec) -> dict[int, list[str]]:
    """The path of every mapping of the spec, by identity."""
    out: dict[int, list[str]] = {}
    pending: list[tuple[Any, list[str]]] = [(spec, [])]
    while pending:
        node, path = pending.pop()
        if isinstance(node, dict):
            out[id(node)] = path
            pending.extend((v, [*path, str(k)]) for k, v in node.items())
        elif isinstance(node, list):
            pending.extend((v, [*path, str(i)]) for i, v in enumerate(node))
    return out


_SHORT = 60


def _message(spec: Spec, error: Any) -> str:
    """The validator's one-line reason, with a dump of a large offending value cut to its outline."""
    message = str(error.message).splitlines()[0]
    # The error's `instance` may be the whole document: the value at its path is what the message dumps.
    candidates = [error.instance]
    with contextlib.suppress(KeyError):
        candidates.insert(0, resolve_pointer(spec, pointer(*(str(p) for p in error.absolute_path))))
    for instance in candidates:
        dumps = [json.dumps(instance, separators=(",", ":"), sort_keys=k, default=str) for k in (True, False)]
        dump = next((d for d in (*dumps, repr(instance)) if len(d) > _SHORT and message.startswith(d)), None)
        if dump is not None:
            message = _outline(instance) + message[len(dump) :]
            break
    else:
        return message
    # The alternatives' own reasons say what is wrong better than "not valid under any of the schemas".
    hints = [str(c.message).splitlines()[0] for c in error.context or () if "$ref" not in str(c.message)]
    return f"{message} ({hints[0][: _SHORT * 2]})" if hints else message


def _outline(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(json.dumps(str(k)) for k in list(value)[:5])
        return "an object with keys " + keys + (", ..." if len(value) > 5 else "")
    if isinstance(value, list):
        return f"an array of {len(value)} items"
    return json.dumps(value, default=str)[:_SHORT] + "..."
