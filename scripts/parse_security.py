"""Stage 3 (security): the contract's security schemes and scopes, as constants the implementation imports."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .load import Spec
from .naming import unique
from .operations import deref

_TYPES = frozenset({"apiKey", "http", "oauth2", "openIdConnect", "mutualTLS"})
_LOCATIONS = frozenset({"header", "query", "cookie"})


@dataclass(frozen=True, slots=True)
class SecurityScheme:
    """One entry of `components.securitySchemes`; `extensions` keeps its string-valued `x-` keys."""

    name: str
    const: str
    type: str
    location: str | None
    parameter: str | None
    http_scheme: str | None
    scopes: tuple[str, ...]
    extensions: dict[str, str]


@dataclass(frozen=True, slots=True)
class Scope:
    """One OAuth2 scope (or apiKey role) named in the contract, and its constant's name."""

    value: str
    const: str


def parse_security(spec: Spec) -> tuple[tuple[SecurityScheme, ...], tuple[Scope, ...]]:
    """Return the security schemes (sorted by name) and every scope they define or requirements name."""
    components = spec.get("components") or {}
    raw = components.get("securitySchemes") if isinstance(components, dict) else None
    raw = raw if isinstance(raw, dict) else {}
    taken: set[str] = {"SCHEMES", "SCOPES"}
    schemes: list[SecurityScheme] = []
    scope_values: set[str] = set()
    for name in sorted(raw):
        node = deref(spec, raw[name])
        if not isinstance(node, dict) or node.get("type") not in _TYPES:
            continue
        scopes = _flow_scopes(node)
        scope_values.update(scopes)
        location = node.get("in") if node.get("in") in _LOCATIONS else None
        extensions = {str(k): v for k, v in sorted(node.items()) if str(k).startswith("x-") and isinstance(v, str)}
        schemes.append(
            SecurityScheme(
                name=str(name),
                const=unique(_const("SCHEME", str(name)), taken),
                type=str(node["type"]),
                location=location,
                parameter=str(node["name"]) if location and isinstance(node.get("name"), str) else None,
                http_scheme=str(node["scheme"]) if isinstance(node.get("scheme"), str) else None,
                scopes=scopes,
                extensions=extensions,
            )
        )
    scope_values.update(_required_scopes(spec))
    named = tuple(Scope(value, unique(_const("SCOPE", value), taken)) for value in sorted(scope_values))
    return tuple(schemes), named


def _const(prefix: str, text: str) -> str:
    """`SCHEME_OAUTH2_PASSWORD_BEARER` for `OAuth2PasswordBearer`: words split at lower-to-upper changes only."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9]+', '_', words).strip('_').upper() or 'UNNAMED'}"


def _flow_scopes(node: dict[str, Any]) -> tuple[str, ...]:
    flows = node.get("flows") if node.get("type") == "oauth2" else None
    found: set[str] = set()
    for flow in (flows or {}).values() if isinstance(flows, dict) else ():
        if isinstance(flow, dict) and isinstance(flow.get("scopes"), dict):
            found.update(str(s) for s in flow["scopes"])
    return tuple(sorted(found))


def _required_scopes(spec: Spec) -> set[str]:
    """Scopes (or roles) named by any security requirement, top-level or per operation."""
    requirements: list[Any] = list(spec.get("security") or [])
    for item in (spec.get("paths") or {}).values():
        item = deref(spec, item)
        for op in item.values() if isinstance(item, dict) else ():
            if isinstance(op, dict) and isinstance(op.get("security"), list):
                requirements.extend(op["security"])
    return {
        str(scope)
        for req in requirements
        if isinstance(req, dict)
        for scopes in req.values()
        if isinstance(scopes, list)
        for scope in scopes
    }
