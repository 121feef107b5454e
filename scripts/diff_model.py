"""The contract diff's vocabulary: findings, the request/response direction, and $ref-aware views of a document."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from referencing import Registry
from referencing.jsonschema import DRAFT202012

if TYPE_CHECKING:
    # Resolver is documented API that `referencing` exports only from its _core module.
    from referencing._core import Resolver

# The document's base URI in the registry: every `#/...` reference of the contract resolves against it.
_DOCUMENT_URI = "urn:contract-diff:document"


class Direction(enum.Enum):
    """Which side of the wire a schema describes; it decides whether narrowing or widening breaks clients."""

    # Clients produce it: the head contract must still accept everything the base one accepted.
    REQUEST = "request"
    # Clients consume it: the head contract must not produce anything the base one ruled out.
    RESPONSE = "response"


@dataclass(frozen=True)
class Finding:
    """One breaking change: where it is, what changed and why a client written against the base breaks."""

    location: str
    change: str
    reason: str

    def line(self) -> str:
        """Return the finding as one report line."""
        return f"{self.location}: {self.change} — {self.reason}"


@dataclass(frozen=True)
class SchemaView:
    """A node of a document together with the resolver its `$ref`s are resolved by."""

    node: Any
    resolver: Resolver[Any]

    def child(self, node: Any) -> SchemaView:
        """Return a view of `node`, a subschema of this one (entering its resource when it declares an `$id`)."""
        if isinstance(node, dict) and isinstance(node.get("$id"), str):
            return SchemaView(node, self.resolver.in_subresource(DRAFT202012.create_resource(node)))
        return SchemaView(node, self.resolver)

    def lookup(self, ref: str) -> SchemaView:
        """Return a view of what `ref` points at; raises referencing's Unresolvable when nothing is there."""
        resolved = self.resolver.lookup(ref)
        return SchemaView(resolved.contents, resolved.resolver)


class Document:
    """An OpenAPI document whose references are resolved by `referencing` (JSON Schema 2020-12 semantics)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        registry: Registry[Any] = Registry().with_resource(_DOCUMENT_URI, DRAFT202012.create_resource(spec))
        self.root = SchemaView(spec, registry.resolver(base_uri=_DOCUMENT_URI))

    def deref(self, node: Any) -> Any:
        """Return `node` with its Reference Object chain followed (parameters, responses, bodies, headers)."""
        view = self.root.child(node)
        seen: set[int] = set()
        while isinstance(view.node, dict) and isinstance(view.node.get("$ref"), str) and id(view.node) not in seen:
            seen.add(id(view.node))
            view = view.lookup(view.node["$ref"])
        return view.node

    def schema(self, node: Any) -> SchemaView:
        """Return a view of a Schema Object found in this document (its refs are resolved lazily, when compared)."""
        return self.root.child(node)


@dataclass(frozen=True)
class Context:
    """Where a comparison is (`where` plus a JSON-path-like `path`), its direction and the $ref pairs in progress."""

    direction: Direction
    where: str
    path: str = "$"
    active: frozenset[tuple[frozenset[int], frozenset[int]]] = frozenset()

    @property
    def request(self) -> bool:
        """Return True on the request side (narrowing breaks), False on the response side (widening breaks)."""
        return self.direction is Direction.REQUEST

    def at(self, step: str) -> Context:
        """Return the context one step deeper (`.name`, `[]`, `[0]`, `{}`)."""
        return replace(self, path=self.path + step)

    def finding(self, change: str, reason: str) -> Finding:
        """Return a finding located at this context."""
        location = self.where if self.path == "$" else f"{self.where} {self.path}"
        return Finding(location, change, reason)
