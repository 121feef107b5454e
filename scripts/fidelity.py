"""The fidelity harness: does a generated stub accept exactly what its spec allows?

`python -m scripts.fidelity [--examples N] [--show N] [SPEC ...]` (default: every spec of ../shared/specs and of
tests/generator/fidelity). Per spec: generate the package into a temporary directory, serve its routes with no
services (every valid request answers 501) in process, and run Schemathesis' examples, coverage and fuzzing
phases (positive and negative cases, derandomized) with these checks:

- `positive_data_acceptance`: a schema-valid request must be accepted; 501 counts as acceptance.
- `negative_data_rejection`: a schema-invalid request must get a 4xx (never the stub's 501).
- `not_a_server_error`: no 5xx other than the stub's 501.
- the conformance checks (`status_code_conformance`, `content_type_conformance`, `response_headers_conformance`,
  `response_schema_conformance`, `missing_required_header`, `unsupported_method`, `allow_header_conformance`).
  The stub's own answers are exempt from the first four: its 501 and the runtime's problem+json rejections
  (400/405/413/415/422), whose status and body the spec cannot know.

Prints one line per spec (valid-rejected, invalid-accepted, server errors, non-conforming responses, Schemathesis
errors) and the first findings of each; exits 1 when any count is not 0.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .generate import build
from .json_checks import closure, components, json_schema
from .load import Spec, SpecError, load_spec
from .operations import deref
from .schemas import GenerationError
from .write import write_tree

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "generator" / "fidelity"
SHARED_SPECS = (REPO / ".." / "shared" / "specs").resolve()

# Conformance checks judged on every response but the stub's own (see the module docstring).
_WRAPPED = ("status_code_conformance", "content_type_conformance", "response_headers_conformance")
_WRAPPED_SCHEMA = "response_schema_conformance"
_DIRECT = ("missing_required_header", "unsupported_method", "allow_header_conformance")
_STUB_REJECTIONS = frozenset({400, 405, 413, 415, 422})
_KIND = {
    "positive_data_acceptance": "valid_rejected",
    "negative_data_rejection": "invalid_accepted",
    "not_a_server_error": "server_errors",
}
# Schemathesis cannot build a request body of a media type it has no serializer for: the operation's other
# media types are still tested; such a body is a limit of the tool, reported but not a failure of the stub.
_TOOL_LIMITS = ("SerializationNotPossible",)


@dataclass(slots=True)
class Finding:
    """One failed check on one request."""

    check: str
    operation: str
    status: int | None
    request: str
    response: str
    reason: str


@dataclass(slots=True)
class SpecReport:
    """What the harness measured on one spec."""

    name: str
    cases: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    tool_limits: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when any request was misjudged, any response non-conforming, or Schemathesis failed."""
        return bool(sum(self.counts.values()) or self.errors)

    def line(self) -> str:
        """The one-line summary of this spec."""
        c = self.counts
        return (
            f"{self.name}: {c['valid_rejected']} valid-rejected, {c['invalid_accepted']} invalid-accepted, "
            f"{c['server_errors']} server errors, {c['nonconforming']} non-conforming, {len(self.errors)} errors "
            f"({self.cases['positive']} positive / {self.cases['negative']} negative requests)"
        )


def corpus() -> list[Path]:
    """The shared real specs, then the fixtures of each fixed class."""
    return sorted(SHARED_SPECS.glob("*.yaml")) + sorted(FIXTURES.glob("*.yaml"))


def _config(examples: int) -> Any:
    from schemathesis.config import SchemathesisConfig

    direct = "\n".join(f"[checks.{name}]\nenabled = true" for name in (*_DIRECT, *_STUB_CHECKS))
    return SchemathesisConfig.from_str(
        f"""
# The routes are served at the root: `servers` base paths are not mounted by the generated package.
base-url = "http://localhost"

[generation]
mode = "all"
max-examples = {examples}
deterministic = true
# The stub has no authenticator (credentials are the implementation's business): send none, probe none.
with-security-parameters = false

[phases.stateful]
enabled = false

[checks]
enabled = false

[checks.positive_data_acceptance]
enabled = true
expected-statuses = ["2xx", "3xx", "401", "403", "404", "501"]

[checks.negative_data_rejection]
enabled = true
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422"]

[checks.not_a_server_error]
enabled = true
expected-statuses = ["1xx", "2xx", "3xx", "4xx", "501"]

{direct}
"""
    )


def _is_stub_answer(response: Any) -> bool:
    status: int = response.status_code
    if status == 501:
        return True
    media = [v.split(";", 1)[0].strip() for v in response.headers.get("content-type", [])]
    return status in _STUB_REJECTIONS and media == ["application/problem+json"]


def _stub_check(name: str) -> Any:
    """A check named `stub_<name>` running Schemathesis' `name` on every response but the stub's own."""
    from schemathesis.specs.openapi import checks

    inner = getattr(checks, name)

    def check(ctx: Any, response: Any, case: Any) -> bool | None:
        if _is_stub_answer(response):
            return None
        result: bool | None = inner(ctx, response, case)
        return result

    check.__name__ = f"stub_{name}"
    return check


_STUB_CHECKS = tuple(f"stub_{name}" for name in (*_WRAPPED, _WRAPPED_SCHEMA))


def _register_checks() -> None:
    """Register the `stub_*` checks (in this process only: the harness never runs inside the test suite)."""
    import schemathesis
    from schemathesis.checks import CHECKS

    for name in (*_WRAPPED, _WRAPPED_SCHEMA):
        if f"stub_{name}" not in CHECKS.get_all_names():
            schemathesis.check(_stub_check(name))


def stub_app(spec: Path, workdir: Path) -> Any:
    """Generate `spec` into `workdir` and return an ASGI app serving its routes with no services (all 501)."""
    from fastapi import FastAPI

    package = "gen_fidelity_" + re.sub(r"\W", "_", spec.stem)
    files, _ = build(spec, display=spec.name, strict=False)
    write_tree(workdir / package, files)
    sys.path.insert(0, str(workdir))
    try:
        importlib.invalidate_caches()
        module = importlib.import_module(package)
    finally:
        sys.path.remove(str(workdir))
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    for router in module.build_routers():
        app.router.routes.extend(router.routes)
    return app


def _describe(case: Any) -> str:
    parts = [f"{case.method} {case.formatted_path}"]
    for label, value in (("query", case.query), ("headers", case.headers), ("cookies", case.cookies)):
        if value:
            parts.append(f"{label}={value!r}")
    if not _is_not_set(case.body):
        body = repr(case.body)
        parts.append(f"body={body[:200]}{'...' if len(body) > 200 else ''}")
    if case.media_type:
        parts.append(f"as {case.media_type}")
    return " ".join(parts)


def _is_not_set(value: Any) -> bool:
    return type(value).__name__ == "NotSet"


def run_spec(spec: Path, *, examples: int) -> SpecReport:
    """Generate, serve and fuzz one spec; return its counts and findings."""
    import schemathesis
    from schemathesis.engine import events, from_schema

    _register_checks()
    report = SpecReport(spec.stem)
    with tempfile.TemporaryDirectory(prefix="fidelity-") as tmp:
        try:
            raw, _ = load_spec(spec, strict=False)
            app = stub_app(spec, Path(tmp))
        except (SpecError, GenerationError) as exc:
            report.errors.append(f"generate: {exc}")
            return report
        schema = schemathesis.openapi.from_dict(raw, config=_config(examples))
        schema.app = app
        for event in from_schema(schema).execute():
            if isinstance(event, events.ScenarioFinished):
                _record(report, event.recorder, raw)
            elif isinstance(event, events.NonFatalError):
                message = f"{event.label}: {type(event.value).__name__}: {str(event.value).splitlines()[0]}"
                limit = type(event.value).__name__ in _TOOL_LIMITS
                (report.tool_limits if limit else report.errors).append(message)
            elif isinstance(event, events.FatalError):
                report.errors.append(f"fatal: {type(event.exception).__name__}: {event.exception}")
    return report


# HTTP recipients ignore header fields they do not know (RFC 9110 §5.1): a request that is "invalid" only by an
# extra header is no request a server may refuse, whatever Schemathesis' negative mode makes of the header set.
_IGNORED_REASONS = ("in header - object with unexpected properties",)


_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_ARRAY_AS_SCALAR = re.compile(r"in body - ([^:]+): Incorrect type$")
# A parameter array "mutated" into a scalar: its text is the text of a one-item array.
_PARAMETER_ARRAY_AS_SCALAR = re.compile(
    r"^Invalid component: parameter `[^`]+` in \w+ - violates `type` .*\(was array, "
)


def _ambiguous(check: Any, case: Any) -> bool:
    """True for a negative case the wire cannot carry: an extra header (see above), a scalar in place of an array
    parameter, or in a form or multipart body a single value (scalar or object) of the wrong type, whose text is also
    a valid one: `n=5` is the one-item array `[5]` too, an object part `{}` the one-item array of objects or the
    string "{}"."""
    reason = _reason(check)
    if reason.endswith(_IGNORED_REASONS) or _PARAMETER_ARRAY_AS_SCALAR.search(reason.split(" / ")[-1]):
        return True
    match = _ARRAY_AS_SCALAR.search(reason)
    media = (case.media_type or "").split(";", 1)[0].strip().lower()
    if match is None or media not in _FORM_TYPES or not isinstance(case.body, dict):
        return False
    value = case.body.get(match.group(1), [])
    return value is None or isinstance(value, str | int | float | bool | dict)


# A negative case naming one query parameter as invalid.
_QUERY_PARAMETER = re.compile(r"Invalid component: parameter `(?P<name>[^`]+)` in query - ")


def unsent_violation(spec: Spec, reason: str, case: Any, sent: str) -> bool:
    """True when a negative case's invalid `deepObject` query parameter is valid as it was sent (`sent`: the URI).

    Schemathesis spreads the object over `name[key]` keys, and a key whose generated value is an empty array or
    object (`[]`, `{}`) is put on the wire as nothing at all: the additional property that made the case invalid
    never reached the stub. The parameter is judged by the keys the URI carries, with their generated values,
    against its schema; a key that was sent, or a value invalid as sent, keeps the finding.
    """
    match = _QUERY_PARAMETER.search(reason)
    param = _parameter(spec, case, match["name"]) if match is not None else None
    if param is None or param.get("style") != "deepObject" or not isinstance(param.get("schema"), dict):
        return False
    prefix = f"{param['name']}["
    generated = {k: v for k, v in (case.query or {}).items() if k.startswith(prefix) and k.endswith("]")}
    on_wire = {key for key, _ in parse_qsl(urlsplit(sent).query, keep_blank_values=True)}
    if set(generated) <= on_wire:
        return False
    value = {k[len(prefix) : -1]: v for k, v in generated.items() if k in on_wire}
    return _conforms(spec, param["schema"], value)


def _parameter(spec: Spec, case: Any, name: str) -> dict[str, Any] | None:
    """The query parameter `name` of the case's operation (its own, else the path item's), refs followed."""
    item = deref(spec, (spec.get("paths") or {}).get(case.operation.path))
    if not isinstance(item, dict) or not isinstance(item.get(case.operation.method.lower()), dict):
        return None
    found = None
    for node in [*(item.get("parameters") or []), *(item[case.operation.method.lower()].get("parameters") or [])]:
        param = deref(spec, node)
        if isinstance(param, dict) and param.get("name") == name and param.get("in") == "query":
            found = param
    return found


def _conforms(spec: Spec, schema: dict[str, Any], value: object) -> bool:
    from jsonschema import Draft4Validator, Draft202012Validator  # type: ignore[import-untyped]  # no stubs

    openapi31 = str(spec.get("openapi", "")).startswith("3.1.")
    names = closure(spec, schema)
    root = {
        **json_schema(schema, openapi31=openapi31),
        "components": {"schemas": components(spec, names, openapi31=openapi31)},
    }
    validator = (Draft202012Validator if openapi31 else Draft4Validator)(root)
    return bool(validator.is_valid(value))


def _record(report: SpecReport, recorder: Any, spec: Spec) -> None:
    for case_id, node in recorder.cases.items():
        meta = node.value.meta
        if meta is not None and case_id in recorder.interactions:
            report.cases["positive" if meta.generation.mode.is_positive else "negative"] += 1
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status.value != "failure":
                continue
            case = recorder.cases[case_id].value
            interaction = recorder.interactions.get(case_id)
            if check.name == "negative_data_rejection" and (
                _ambiguous(check, case)
                or (interaction is not None and unsent_violation(spec, _reason(check), case, interaction.request.uri))
            ):
                continue
            report.counts[_KIND.get(check.name, "nonconforming")] += 1
            response = interaction.response if interaction is not None else None
            report.findings.append(
                Finding(
                    check.name,
                    case.operation.label,
                    response.status_code if response is not None else None,
                    _describe(case),
                    response.content[:300].decode("utf-8", "replace") if response is not None else "",
                    _reason(check),
                )
            )


def _reason(check: Any) -> str:
    info = check.failure_info
    if info is None:
        return ""
    lines = [line.strip() for line in str(info.failure.message).splitlines() if line.strip()]
    return " / ".join(line for line in lines if not line.startswith("Expected:"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the harness; return 1 when any spec has a finding or an error, else 0."""
    parser = argparse.ArgumentParser(prog="python -m scripts.fidelity", description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", type=Path, help="specs to check (default: the whole corpus)")
    parser.add_argument("--examples", type=int, default=25, help="random cases per operation and mode (default 25)")
    parser.add_argument("--show", type=int, default=5, help="findings printed per spec (default 5)")
    args = parser.parse_args(argv)
    specs = list(args.specs) or corpus()
    failed = 0
    for spec in specs:
        report = run_spec(spec, examples=args.examples)
        print(report.line(), flush=True)
        for finding in report.findings[: args.show]:
            print(f"  {finding.check} {finding.operation} -> {finding.status}: {finding.request}")
            print(f"    {finding.reason}")
            print(f"    <- {finding.response}")
        for error in report.errors[: args.show]:
            print(f"  error: {error}")
        for limit in report.tool_limits[: args.show]:
            print(f"  not tested (Schemathesis): {limit}")
        failed += report.failed
    print(f"fidelity: {len(specs) - failed} of {len(specs)} spec(s) with 0 findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
