"""Compare two contracts operation by operation: operations, parameters, bodies, responses and security."""

from __future__ import annotations

import re
from typing import Any

from .diff_model import Context, Direction, Document, Finding
from .diff_schemas import compare

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE = re.compile(r"\{[^}/]*\}")
_DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}
# A security alternative: scheme name -> the scopes (or roles) it requires.
Alternative = dict[str, frozenset[str]]


def diff_contracts(base_spec: dict[str, Any], head_spec: dict[str, Any]) -> list[Finding]:
    """Return every breaking change from `base_spec` to `head_spec`, in the base document's order."""
    base, head = Document(base_spec), Document(head_spec)
    head_paths = _paths(head)
    findings: list[Finding] = []
    for key, (path, base_item) in _paths(base).items():
        head_path, head_item = head_paths.get(key, (path, {}))
        for method in _METHODS:
            if not isinstance(base_item.get(method), dict):
                continue
            where = f"{method.upper()} {path}"
            if not isinstance(head_item.get(method), dict):
                findings.append(Finding(where, "operation removed", "clients calling it now get an error"))
                continue
            if head_path != path:
                where = f"{where} (now {head_path})"
            findings += _operation(base, head, (path, base_item, method), (head_path, head_item, method), where)
    findings += _security_schemes(base, head)
    return list(dict.fromkeys(findings))


def _paths(doc: Document) -> dict[str, tuple[str, dict[str, Any]]]:
    """Return path items keyed by their template with parameter names erased: renaming `{id}` is no new path."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for path, item in (doc.spec.get("paths") or {}).items():
        resolved = doc.deref(item)
        if isinstance(resolved, dict):
            out[_TEMPLATE.sub("{}", path)] = (path, resolved)
    return out


def _operation(
    base: Document,
    head: Document,
    old: tuple[str, dict[str, Any], str],
    new: tuple[str, dict[str, Any], str],
    where: str,
) -> list[Finding]:
    base_op, head_op = old[1][old[2]], new[1][new[2]]
    findings = _parameters(base, head, _params(base, *old), _params(head, *new), where)
    findings += _request_body(base, head, base_op.get("requestBody"), head_op.get("requestBody"), where)
    findings += _responses(base, head, base_op.get("responses") or {}, head_op.get("responses") or {}, where)
    findings += _security(_requirements(base, base_op), _requirements(head, head_op), where)
    return findings


def _params(doc: Document, path: str, item: dict[str, Any], method: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Return the effective parameters (operation ones override path-item ones) keyed by location and name.

    Path parameters are keyed by their position in the template, header names case-insensitively.
    """
    names = [match.group(0)[1:-1] for match in _TEMPLATE.finditer(path)]
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*(item.get("parameters") or []), *(item[method].get("parameters") or [])]:
        param = doc.deref(raw)
        if not isinstance(param, dict) or not isinstance(param.get("name"), str):
            continue
        place, name = param.get("in", ""), param["name"]
        if place == "path" and name in names:
            name = f"#{names.index(name)}"
        elif place == "header":
            name = name.lower()
        out[(place, name)] = param
    return out


def _parameters(
    base: Document,
    head: Document,
    old: dict[tuple[str, str], dict[str, Any]],
    new: dict[tuple[str, str], dict[str, Any]],
    where: str,
) -> list[Finding]:
    findings: list[Finding] = []
    for key, param in new.items():
        place = key[0]
        label = f"{where} {place} parameter {param['name']}"
        before = old.get(key)
        if before is None:
            if param.get("required") is True:
                findings.append(Finding(label, "new required parameter", "requests without it are now rejected"))
            continue
        if param.get("required") is True and before.get("required") is not True:
            findings.append(Finding(label, "optional parameter made required", "requests without it are now rejected"))
        if _serialization(before) != _serialization(param):
            change = f"serialization changed from {_serialization(before)} to {_serialization(param)}"
            findings.append(Finding(label, change, "values serialized the old way are now read differently"))
        old_schema, new_schema = _param_schema(before), _param_schema(param)
        if new_schema is not None:
            inner = [base.schema(old_schema)] if old_schema is not None else []
            ctx = Context(Direction.REQUEST, label)
            findings += compare(inner, [head.schema(new_schema)], ctx)
    return findings


def _serialization(param: dict[str, Any]) -> str:
    style = param.get("style", _DEFAULT_STYLE.get(param.get("in", ""), "simple"))
    explode = param.get("explode", style == "form")
    return f"style={style}, explode={str(explode).lower()}"


def _param_schema(param: dict[str, Any]) -> Any:
    if "schema" in param:
        return param["schema"]
    for media in (param.get("content") or {}).values():
        if isinstance(media, dict) and "schema" in media:
            return media["schema"]
    return None


def _request_body(base: Document, head: Document, old: Any, new: Any, where: str) -> list[Finding]:
    before, after = base.deref(old), head.deref(new)
    if not isinstance(after, dict):
        return []  # no body any more: what clients still send is ignored
    label = f"{where} request body"
    findings: list[Finding] = []
    if after.get("required") is True and not (isinstance(before, dict) and before.get("required") is True):
        change = "request body made required" if isinstance(before, dict) else "new required request body"
        findings.append(Finding(label, change, "requests without a body are now rejected"))
    if not isinstance(before, dict):
        return findings
    new_content = after.get("content") or {}
    for media_type, media in (before.get("content") or {}).items():
        if media_type not in new_content:
            findings.append(
                Finding(f"{label} ({media_type})", "media type removed", "requests sending it are now rejected")
            )
            continue
        findings += _media_schema(
            base, head, media, new_content[media_type], f"{label} ({media_type})", Direction.REQUEST
        )
    return findings


def _media_schema(
    base: Document, head: Document, old: Any, new: Any, label: str, direction: Direction
) -> list[Finding]:
    old_schema = old.get("schema") if isinstance(old, dict) else None
    new_schema = new.get("schema") if isinstance(new, dict) else None
    before = [base.schema(old_schema)] if old_schema is not None else []
    after = [head.schema(new_schema)] if new_schema is not None else []
    ctx = Context(direction, label)
    return compare(before, after, ctx) if direction is Direction.REQUEST else compare(after, before, ctx)


def _responses(base: Document, head: Document, old: dict[str, Any], new: dict[str, Any], where: str) -> list[Finding]:
    findings: list[Finding] = []
    for status, raw in old.items():
        label = f"{where} response {status}"
        if status not in new:
            findings.append(
                Finding(label, "response status removed", "clients handling it rely on its documented shape")
            )
            continue
        before, after = base.deref(raw), head.deref(new[status])
        if not isinstance(before, dict) or not isinstance(after, dict):
            continue
        new_headers = {name.lower(): value for name, value in (after.get("headers") or {}).items()}
        for name, header in (before.get("headers") or {}).items():
            if name.lower() not in new_headers:
                findings.append(
                    Finding(f"{label} header {name}", "response header removed", "clients reading it no longer get it")
                )
                continue
            old_header, new_header = base.deref(header), head.deref(new_headers[name.lower()])
            if isinstance(old_header, dict) and isinstance(new_header, dict):
                findings += _media_schema(
                    base, head, old_header, new_header, f"{label} header {name}", Direction.RESPONSE
                )
        new_content = after.get("content") or {}
        for media_type, media in (before.get("content") or {}).items():
            if media_type not in new_content:
                findings.append(
                    Finding(
                        f"{label} ({media_type})", "response media type removed", "clients parsing it no longer get it"
                    )
                )
                continue
            findings += _media_schema(
                base, head, media, new_content[media_type], f"{label} ({media_type})", Direction.RESPONSE
            )
    return findings


def _requirements(doc: Document, operation: dict[str, Any]) -> list[Alternative]:
    """Return the operation's security alternatives; `[{}]` when it needs none (anonymous access)."""
    raw = operation["security"] if "security" in operation else doc.spec.get("security") or []
    alternatives = [
        {name: frozenset(scopes or []) for name, scopes in alt.items()} for alt in raw if isinstance(alt, dict)
    ]
    return alternatives or [{}]


def _security(old: list[Alternative], new: list[Alternative], where: str) -> list[Finding]:
    """A client satisfying a base alternative must satisfy some head alternative with what it already holds."""
    findings: list[Finding] = []
    label = f"{where} security"
    for alt in old:
        if any(set(cand) <= set(alt) and all(cand[s] <= alt[s] for s in cand) for cand in new):
            continue
        if not alt:
            findings.append(Finding(label, "authentication now required", "anonymous clients are now rejected"))
            continue
        same = [cand for cand in new if set(cand) == set(alt)]
        wider = [cand for cand in new if set(cand) > set(alt)]
        if same:
            added = sorted(set().union(*(cand[s] - alt[s] for cand in same[:1] for s in cand)))
            change = f"scope(s) {', '.join(added)} added to requirement {_show_alt(alt)}"
            findings.append(Finding(label, change, "tokens granted the base scopes are now rejected"))
        elif wider:
            extra = sorted(set(wider[0]) - set(alt))
            change = f"requirement {', '.join(extra)} added to alternative {_show_alt(alt)}"
            findings.append(Finding(label, change, "clients holding only the base credentials are now rejected"))
        else:
            change = f"security alternative {_show_alt(alt)} removed"
            findings.append(Finding(label, change, "clients authenticating that way are now rejected"))
    return findings


def _show_alt(alt: Alternative) -> str:
    return " + ".join(f"{name}[{' '.join(sorted(scopes))}]" if scopes else name for name, scopes in sorted(alt.items()))


def _security_schemes(base: Document, head: Document) -> list[Finding]:
    """Return findings for security schemes whose definition changed in a way clients must follow."""
    findings: list[Finding] = []
    old = (base.spec.get("components") or {}).get("securitySchemes") or {}
    new = (head.spec.get("components") or {}).get("securitySchemes") or {}
    for name, raw in old.items():
        before, after = base.deref(raw), head.deref(new.get(name))
        if not isinstance(before, dict) or not isinstance(after, dict):
            continue  # a scheme no longer defined is only used by requirements, reported per operation
        label = f"components.securitySchemes.{name}"
        for field in ("type", "in", "name", "scheme", "openIdConnectUrl"):
            if before.get(field) != after.get(field):
                change = f"{field} changed from {before.get(field)} to {after.get(field)}"
                findings.append(Finding(label, change, "clients authenticating the base way are now rejected"))
        new_flows = after.get("flows") or {}
        for flow, settings in (before.get("flows") or {}).items():
            if flow not in new_flows:
                findings.append(
                    Finding(label, f"OAuth2 flow {flow} removed", "clients using it can no longer get tokens")
                )
            elif settings.get("tokenUrl") != new_flows[flow].get("tokenUrl"):
                findings.append(
                    Finding(label, f"OAuth2 {flow} tokenUrl changed", "clients using it can no longer get tokens")
                )
    return findings
