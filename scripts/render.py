"""Stage 4: render the parsed operations and models through the Jinja templates into source files."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import jinja2

from .parse import Operation, Parameter, Tag
from .parse_io import FormField, Response
from .schemas import Models

_TEMPLATES = Path(__file__).parent / "templates"
_CHUNK = 80
_PARAM_CALLS = {"path": "Path", "query": "Query", "header": "Header", "cookie": "Cookie"}
_NO_BODY = frozenset({204, 205, 304})


def header(spec_display: str) -> str:
    """Return the first line of every generated file."""
    return f'"""Generated from {spec_display} by scripts/generate.py. Do not edit."""'


def pystr(value: str) -> str:
    """Return a double-quoted Python literal; long text becomes parenthesised implicit concatenation."""
    if len(value) <= _CHUNK:
        return json.dumps(value)
    pieces: list[str] = []
    rest = value
    while rest:
        cut = rest.rfind(" ", 0, _CHUNK) + 1 if len(rest) > _CHUNK else len(rest)
        cut = cut if cut > 0 else min(_CHUNK, len(rest))
        pieces.append(json.dumps(rest[:cut]))
        rest = rest[cut:]
    return "(" + " ".join(pieces) + ")"


def pylit(value: Any) -> str:
    """Return Python source for nested tuples/lists/dicts of JSON scalars (tuples keep their trailing comma)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{pylit(k)}: {pylit(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple | list):
        items = [pylit(v) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def docstring(text: str, indent: int) -> str:
    """Return a docstring literal of `text`, wrapped to fit 120 columns at `indent`."""
    clean = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').strip()
    width = max(40, 116 - indent)
    lines: list[str] = []
    for paragraph in clean.splitlines():
        lines.extend(textwrap.wrap(paragraph, width=width, break_long_words=False, break_on_hyphens=False) or [""])
    while lines and not lines[-1]:
        lines.pop()
    if clean.endswith('"'):
        lines[-1] += " "
    if len(lines) == 1 and len(lines[0]) + indent + 6 <= 120:
        return f'"""{lines[0]}"""'
    pad = " " * indent
    body = "\n".join(pad + line if line else "" for line in lines)
    return f'"""\n{body}\n{pad}"""'


def status_int(response: Response) -> int:
    """Return the HTTP status the route answers with by default for a response (`2XX`/`default` -> 200)."""
    if response.status.isdigit():
        return int(response.status)
    return int(response.status[0]) * 100 if response.status[:1].isdigit() else 200


def response_model(op: Operation) -> str:
    """Return the `response_model=` source of a route (None for no content, non-JSON or schema-less)."""
    success = op.success
    if not success.is_json or success.type_expr in ("Any", "None") or status_int(success) in _NO_BODY:
        return "None"
    return success.type_expr


def other_responses(op: Operation) -> list[tuple[str, str]]:
    """Return (status key source, description) of every declared response but the success one."""
    out = []
    for r in op.responses:
        if r is not op.success:
            out.append((r.status if r.status.isdigit() else json.dumps(r.status), r.description or r.status))
    return out


def param_call(p: Parameter) -> str:
    """Return the `Query(alias=..., ...)`-style call of a parameter."""
    args = [f"alias={pystr(p.alias)}"]
    if p.description:
        args.append(f"description={pystr(p.description)}")
    if p.deprecated:
        args.append("deprecated=True")
    args.extend(f"{k}={v}" for k, v in p.constraints)
    return f"{_PARAM_CALLS[p.location]}({', '.join(args)})"


def field_call(f: FormField, kind: str) -> str:
    """Return the `File(...)`/`Form(...)` call of a form field."""
    args = [f"alias={pystr(f.name)}"]
    if f.description:
        args.append(f"description={pystr(f.description)}")
    args.extend(f"{k}={v}" for k, v in f.constraints)
    return f"{'File' if f.is_file else 'Form'}({', '.join(args)})"


def protocol_args(op: Operation) -> list[tuple[str, str]]:
    """Return the (keyword, type) arguments of the service method after `ctx`."""
    args = [(p.python_name, p.type_expr) for p in op.parameters]
    body = op.body
    if body is None:
        return args
    if body.kind == "multipart":
        return args + [(f.python_name, f.protocol_type) for f in body.fields]
    return [*args, ("body", body.type_expr)]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=False,  # renders Python source, not HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        pystr=pystr,
        pylit=pylit,
        docstring=docstring,
        status_int=status_int,
        response_model=response_model,
        other_responses=other_responses,
        param_call=param_call,
        field_call=field_call,
        protocol_args=protocol_args,
    )
    env.policies["json.dumps_kwargs"] = {"sort_keys": True}
    return env


def render(tags: tuple[Tag, ...], models: Models, spec_display: str) -> dict[str, str]:
    """Return {relative path: source} of the whole generated package (before formatting)."""
    env = _environment()
    head = header(spec_display)
    operations = sorted((op for t in tags for op in t.operations), key=lambda o: (o.path, o.method))
    files = {
        "__init__.py": env.get_template("package_init.py.jinja").render(header=head),
        "runtime.py": env.get_template("runtime.py.jinja").render(header=head),
        "models.py": env.get_template("models.py.jinja").render(
            header=head, source=models.source.strip(), classes=sorted(models.classes)
        ),
        "protocols.py": env.get_template("protocols.py.jinja").render(header=head, tags=tags),
        "routers/__init__.py": env.get_template("routers_init.py.jinja").render(
            header=head, tags=tags, operations=operations
        ),
    }
    router = env.get_template("router.py.jinja")
    for tag in tags:
        files[f"routers/{tag.module}.py"] = router.render(header=head, tag=tag)
    return files
