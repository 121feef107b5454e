"""Schema containment for the contract diff: what a client relied on that the other schema no longer guarantees.

`compare(inner, outer, ctx)` reports every way `inner` may allow a value `outer` rules out. On the request side
`inner` is the base and `outer` the head (narrowing an input breaks clients); on the response side `inner` is the
head and `outer` the base (widening an output breaks clients). Undecidable cases are reported, never assumed safe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .diff_model import Context, Finding, SchemaView
from .diff_normalize import LOWER_COUNTS, Bound, Norm, json_key, merge, normalize, types_contain

# Formats whose values are all valid in the wider one (OpenAPI's numeric formats).
_WIDER_FORMATS = {"int32": "int64", "float": "double"}
# Expanding nested oneOf/anyOf of the inner side is a cartesian product: past this many branches, keep the groups
# unexpanded (the inner side then looks wider than it is: more findings, never fewer).
_MAX_BRANCHES = 64
_REQUEST_REASON = "requests valid against the base contract are now rejected"
_RESPONSE_REASON = "clients written against the base contract may now receive values they do not expect"


def compare(inner: list[SchemaView], outer: list[SchemaView], ctx: Context) -> list[Finding]:
    """Return the findings where a value valid against `inner` may be invalid against `outer`."""
    return _dedupe(_compare_norm(normalize(inner), normalize(outer), ctx))


def _compare_norm(inner: Norm, outer: Norm, ctx: Context) -> list[Finding]:
    if inner.refs or outer.refs:
        key = (inner.refs, outer.refs)
        if key in ctx.active:
            return []  # a recursive schema compared with itself one level down: the outer call decides
        ctx = replace(ctx, active=ctx.active | {key})
    findings: list[Finding] = []
    for branch in _expand(inner):
        findings += _flat(branch, outer, ctx)
        for keyword, alternatives in outer.groups:
            findings += _match_alternative(branch, keyword, alternatives, ctx)
    return findings


def _expand(norm: Norm) -> list[Norm]:
    """Return the inner side's alternatives, one Norm per combination of its oneOf/anyOf branches."""
    done: list[Norm] = []
    todo = [norm]
    while todo:
        current = todo.pop(0)
        if not current.groups or len(done) + len(todo) >= _MAX_BRANCHES:
            done.append(current)
            continue
        (_, alternatives), rest = current.groups[0], current.groups[1:]
        base = replace(current, groups=rest)
        todo.extend(merge(base, normalize([alt])) for alt in alternatives)
    return done


def _match_alternative(branch: Norm, keyword: str, alternatives: list[SchemaView], ctx: Context) -> list[Finding]:
    """Return [] when some alternative contains `branch`, else the findings against the closest alternative.

    The closest is one reached through the same `$ref` as the branch if any (the same component, changed), else
    the one with the fewest findings.
    """
    trials: list[tuple[bool, list[Finding]]] = []
    for index, view in enumerate(alternatives):
        alternative = normalize([view])
        findings = _compare_norm(branch, alternative, ctx.at(f"<{keyword}[{index}]>"))
        if not findings:
            return []
        trials.append((not branch.ref_names & alternative.ref_names, findings))
    return min(trials, key=lambda trial: (trial[0], len(trial[1])))[1] if trials else []


def _flat(inner: Norm, outer: Norm, ctx: Context) -> list[Finding]:
    if inner.never:
        return []
    if outer.never:
        return [ctx.finding("schema made `false`", _reason(ctx))]
    findings = _scalars(inner, outer, ctx)
    findings += _objects(inner, outer, ctx)
    findings += _arrays(inner, outer, ctx)
    return findings


def _reason(ctx: Context) -> str:
    return _REQUEST_REASON if ctx.request else _RESPONSE_REASON


def _sides(ctx: Context, inner: Any, outer: Any) -> tuple[Any, Any]:
    """Return (base, head) from (inner, outer)."""
    return (inner, outer) if ctx.request else (outer, inner)


def _show_types(types: frozenset[str] | None) -> str:
    if types is None:
        return "any type"
    return sorted(types)[0] if len(types) == 1 else "[" + ", ".join(sorted(types)) + "]"


def _scalars(inner: Norm, outer: Norm, ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    base, head = _sides(ctx, inner.types, outer.types)
    lost = types_contain(outer.types, inner.types)
    if lost:
        if ctx.request:
            reason = f"requests sending {_show_types(lost)} values are now rejected"
            findings.append(ctx.finding(f"type narrowed from {_show_types(base)} to {_show_types(head)}", reason))
        else:
            made = " (made nullable)" if "null" in lost else ""
            reason = f"clients may now receive {_show_types(lost)} values{made}"
            findings.append(ctx.finding(f"type widened from {_show_types(base)} to {_show_types(head)}", reason))
    findings += _enum(inner, outer, ctx)
    if (
        outer.format is not None
        and inner.format != outer.format
        and _WIDER_FORMATS.get(inner.format or "") != outer.format
    ):
        base, head = _sides(ctx, inner.format, outer.format)
        change = f"format {'narrowed' if ctx.request else 'widened'} from {base or 'none'} to {head or 'none'}"
        findings.append(ctx.finding(change, _reason(ctx)))
    findings += _bound(inner.lower, outer.lower, "minimum", ctx, lower=True)
    findings += _bound(inner.upper, outer.upper, "maximum", ctx, lower=False)
    for name, limit in outer.counts.items():
        value = inner.counts.get(name)
        if value is None or (value < limit if name in LOWER_COUNTS else value > limit):
            findings.append(_changed(name, inner.counts.get(name), limit, ctx))
    if outer.patterns - inner.patterns:
        base, head = _sides(ctx, inner.patterns, outer.patterns)
        change = f"pattern changed from {_show_patterns(base)} to {_show_patterns(head)}"
        reason = _reason(ctx) + " (regular expressions are compared as text)"
        findings.append(ctx.finding(change, reason))
    if outer.multiple_of is not None and not _divides(outer.multiple_of, inner.multiple_of):
        findings.append(_changed("multipleOf", inner.multiple_of, outer.multiple_of, ctx))
    if outer.unique and not inner.unique:
        findings.append(_changed("uniqueItems", inner.unique, outer.unique, ctx))
    if outer.nots - inner.nots:
        findings.append(ctx.finding("`not` subschema changed", _reason(ctx) + " (`not` is compared as text)"))
    return findings


def _enum(inner: Norm, outer: Norm, ctx: Context) -> list[Finding]:
    if outer.enum is None:
        return []
    if inner.enum is None:
        change = "enum constraint added" if ctx.request else "enum constraint removed"
        return [ctx.finding(change, _reason(ctx))]
    allowed = {json_key(value) for value in outer.enum}
    extra = [value for value in inner.enum if json_key(value) not in allowed]
    if not extra:
        return []
    shown = ", ".join(json_key(value) for value in extra)
    if ctx.request:
        return [ctx.finding(f"enum value(s) removed: {shown}", "requests using them are now rejected")]
    return [ctx.finding(f"enum value(s) added: {shown}", "clients may now receive values they do not handle")]


def _bound(inner: Bound | None, outer: Bound | None, name: str, ctx: Context, *, lower: bool) -> list[Finding]:
    if outer is None:
        return []
    if inner is not None:
        stricter = inner[0] > outer[0] if lower else inner[0] < outer[0]
        if stricter or (inner[0] == outer[0] and (inner[1] or not outer[1])):
            return []
    return [_changed(name, _show_bound(inner, name), _show_bound(outer, name), ctx)]


def _show_bound(bound: Bound | None, name: str) -> str | None:
    if bound is None:
        return None
    return f"exclusive{name[0].upper()}{name[1:]} {bound[0]}" if bound[1] else f"{name} {bound[0]}"


def _changed(name: str, inner: Any, outer: Any, ctx: Context) -> Finding:
    base, head = _sides(ctx, inner, outer)
    verb = "narrowed" if ctx.request else "widened"
    return ctx.finding(f"{name} {verb} from {_show(base)} to {_show(head)}", _reason(ctx))


def _show(value: Any) -> str:
    return "none" if value is None or value is False else str(value)


def _show_patterns(patterns: frozenset[str]) -> str:
    return " and ".join(f"'{p}'" for p in sorted(patterns)) or "none"


def _divides(step: float, value: float | None) -> bool:
    return value is not None and value != 0 and (value / step).is_integer()


def _visible(norm: Norm, ctx: Context) -> Callable[[str], bool]:
    """Return a test for the properties that exist on this side of the wire (readOnly ones are not sent, ...)."""
    hidden = "read_only" if ctx.request else "write_only"

    def visible(name: str) -> bool:
        views = norm.properties.get(name)
        return views is None or not getattr(normalize(views), hidden)

    return visible


def _objects(inner: Norm, outer: Norm, ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    inner_visible, outer_visible = _visible(inner, ctx), _visible(outer, ctx)
    removed: set[str] = set()
    for name, views in inner.properties.items():
        if not (inner_visible(name) and outer_visible(name)):
            continue
        step = ctx.at(f".{name}")
        if name in outer.properties:
            findings += _compare_norm(normalize(views), normalize(outer.properties[name]), step)
        elif outer.closed:
            if ctx.request:
                findings.append(
                    step.finding(
                        "property removed", "additionalProperties is false: requests sending it are now rejected"
                    )
                )
            else:
                findings.append(
                    step.finding(
                        "property added", "the base declared additionalProperties: false: strict clients reject it"
                    )
                )
        elif outer.additional:
            findings += _compare_norm(normalize(views), normalize(outer.additional), step)
    for name, views in outer.properties.items():
        if name in inner.properties or not (outer_visible(name) and inner_visible(name)):
            continue
        step = ctx.at(f".{name}")
        if not ctx.request:
            removed.add(name)
            findings.append(step.finding("response field removed", "clients reading it no longer get it"))
        elif inner.additional and not inner.closed:
            # A new property the base let through as an additional one: its values must still be accepted.
            findings += _compare_norm(normalize(inner.additional), normalize(views), step)
    for name in sorted(outer.required - inner.required):
        if name in removed or not (inner_visible(name) and outer_visible(name)):
            continue
        step = ctx.at(f".{name}")
        if ctx.request:
            change = "optional field made required" if name in inner.properties else "new required field"
            findings.append(step.finding(change, "requests without it are now rejected"))
        else:
            findings.append(step.finding("field no longer required", "clients relying on it may find it missing"))
    if outer.closed and not inner.closed:
        change = "additionalProperties: false added" if ctx.request else "additionalProperties: false removed"
        findings.append(ctx.finding(change, _reason(ctx)))
    elif outer.additional and not inner.closed:
        findings += _compare_norm(normalize(inner.additional), normalize(outer.additional), ctx.at("{*}"))
    return findings


def _arrays(inner: Norm, outer: Norm, ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    if outer.items is not None:
        findings += _compare_norm(normalize(inner.items or []), normalize(outer.items), ctx.at("[]"))
    for index, views in enumerate(outer.prefix):
        mine = inner.prefix[index] if index < len(inner.prefix) else inner.items or []
        findings += _compare_norm(normalize(mine), normalize(views), ctx.at(f"[{index}]"))
    return findings


def _dedupe(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))
