"""Stage 4: render the parsed operations and models through the Jinja templates into source files."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import jinja2

from .naming import pascal_case
from .parse import Operation, Tag
from .parse_io import XML_TYPES, Alternative, FormField, Response
from .parse_params import ObjectProperty, Parameter
from .parse_security import Scope, SecurityScheme
from .schemas import Models

_TEMPLATES = Path(__file__).parent / "templates"
_RUNTIME = Path(__file__).parent / "runtime"
_CHUNK = 80
_NO_BODY = frozenset({204, 205, 304})
_UPLOAD_MEDIA_TYPES = frozenset({"multipart/form-data", "application/octet-stream"})


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


def pyjson(value: Any) -> str:
    """Return Python source for a JSON value (lists stay lists: JSON Schema compares `enum` values with lists)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {pyjson(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(pyjson(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def body_check(op: Operation, openapi31: bool) -> str:
    """Return the source of the `check=` argument of a JSON body reader ('' when the model enforces it all)."""
    if op.body is None or op.body.check is None:
        return ""
    draft = "2020-12" if openapi31 else "4"
    return f", check=_rt.SchemaCheck({pyjson(op.body.check)}, _json_schemas.COMPONENTS, draft={draft!r})"


def uses_checks(tag: Tag) -> bool:
    """True when an operation of the tag checks its body (or a multipart part, or a parameter) against JSON Schema
    too."""
    return any(
        any(p.check is not None for p in op.parameters)
        or (op.body is not None and (op.body.check is not None or any(f.check is not None for f in op.body.fields)))
        for op in tag.operations
    )


def part_reader(field: FormField, openapi31: bool) -> str:
    """Return the source of a form field's or multipart part's `_rt.Part(...)` (a JSON part's check included)."""
    args = [pystr(field.python_name), pystr(field.name)]
    flags = (("many", field.many), ("json", field.json), ("nullable", field.nullable))
    args += [f"{flag}=True" for flag, on in flags if on]
    if field.check is not None:
        draft = "2020-12" if openapi31 else "4"
        args.append(f"check=_rt.SchemaCheck({pyjson(field.check)}, _json_schemas.COMPONENTS, draft={draft!r})")
    return f"_rt.Part({', '.join(args)})"


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


def response_adapter(op: Operation) -> bool:
    """True when the success response is JSON with a body (the route serialises it through a TypeAdapter)."""
    success = op.success
    return success.is_json and success.type_expr != "None" and status_int(success) not in _NO_BODY


def class_name(op: Operation, suffix: str) -> str:
    """Return the name of an operation's generated helper model (`GetItemParameters`)."""
    return pascal_case(op.python_name, fallback="Op") + suffix


def constrained(
    type_expr: str, constraints: tuple[tuple[str, str], ...], wire: tuple[str, ...] = (), choices: tuple[str, ...] = ()
) -> str:
    """Return the annotation of a field: `Annotated[T, <text read as JSON types>, Field(k=v, ...)]`, or `T`."""
    extras = []
    if wire:
        one_of = f", choices=({', '.join(choices)},)" if choices else ""
        extras.append(f"_rt.from_text({', '.join(json.dumps(t) for t in wire)}{one_of})")
    if constraints:
        extras.append(f"Field({', '.join(f'{k}={v}' for k, v in constraints)})")
    if not extras:
        return type_expr
    return f"Annotated[{type_expr}, {', '.join(extras)}]"


def body_adapter(type_expr: str) -> str:
    """Return the source of the TypeAdapter validating a body of `type_expr`: strict (JSON types as the schema
    says, no `"1"` for 1) unless it is one model class, which carries its own (strict-typed) config."""
    if re.fullmatch(r"models\.\w+", type_expr):
        return f"TypeAdapter({type_expr})"
    return f"TypeAdapter({type_expr}, config=_rt.STRICT)"


def parameters_type(op: Operation) -> str:
    """Return the type of the validated parameters a handler receives."""
    return class_name(op, "Parameters") if op.parameters else "None"


def body_type(op: Operation) -> str:
    """Return the type of the validated body a handler receives."""
    body = op.body
    if body is None:
        return "None"
    if body.kind == "multipart":
        return class_name(op, "Parts")
    return body.type_expr


def body_reader(op: Operation) -> str:
    """Return the source of the body reader an endpoint uses."""
    body = op.body
    if body is None:
        return "_rt.NoBody()"
    if body.alternatives:
        return f"_{op.const[3:]}_MEDIA"
    return _preferred_reader(op)


def _preferred_reader(op: Operation) -> str:
    body = op.body
    if body is None:  # pragma: no cover - callers check
        return "_rt.NoBody()"
    if body.kind == "raw":
        if _is_xml(body.media_type):
            return "_rt.XmlBody()" if body.required else "_rt.XmlBody(optional=True)"
        return "_rt.RawBody()"
    if body.kind == "multipart":
        return f"_{op.const[3:]}_PARTS"
    return f"_{op.const[3:]}_BODY"


def param_reader(p: Parameter, openapi31: bool) -> str:
    """Return the source of a parameter's `_rt.Param(...)` (its style, explode and shape only when they matter; its
    JSON Schema check, and the JSON types its text is read as there, only when it has one)."""
    args = [pystr(p.python_name), pystr(p.location), pystr(p.name), pystr(p.alias)]
    if p.many:
        args.append("many=True")
    if p.shape is not None:
        if p.style:
            args.append(f"style={pystr(p.style)}")
        if p.explode is not None:
            args.append(f"explode={p.explode!r}")
        args.append(f"shape={pystr(p.shape)}")
        if p.props:
            args.append(f"props=({', '.join(_prop_reader(prop) for prop in p.props)},)")
        if p.shape == "object" and p.required:
            args.append("required=True")
        if p.others:
            args.append(f"others=frozenset({pylit(p.others)})")
        if not p.extra:
            args.append("extra=False")
    if p.check is not None:
        if p.wire:
            args.append(f"types={pylit(p.wire)}")
        draft = "2020-12" if openapi31 else "4"
        args.append(f"check=_rt.SchemaCheck({pyjson(p.check)}, _json_schemas.COMPONENTS, draft={draft!r})")
    return f"_rt.Param({', '.join(args)})"


def _prop_reader(prop: ObjectProperty) -> str:
    name = "None" if prop.name is None else pystr(prop.name)
    many = ", many=True" if prop.many else ""
    iso = f", format={pystr(prop.format)}" if prop.format else ""
    return f"_rt.Prop({name}, {pylit(prop.types)}{many}{iso})"


def _is_xml(media: str) -> bool:
    base = media.split(";", 1)[0].strip().lower()
    return base in XML_TYPES or base.endswith("+xml")


def alternative_class(op: Operation, alternative: Alternative) -> str:
    """Return the name of the fields model of a form or multipart alternative (`CreateItemFormAlternative`)."""
    return class_name(op, ("Form" if alternative.kind == "form" else "Multipart") + "Alternative")


def media_reader(op: Operation) -> str:
    """Return the source of the reader of a body declared in several media types (`_rt.MediaTypes(...)`)."""
    body = op.body
    if body is None:  # pragma: no cover - callers check
        return "_rt.NoBody()"
    readers: list[str] = []
    for alt in body.alternatives:
        if alt.kind == "json":
            kind = "JsonBody" if body.required else "OptionalJsonBody"
            reader = f"_rt.{kind}({body_adapter(alt.value_type)})"
        elif alt.kind in ("form", "multipart"):
            parts = ", ".join(
                f"_rt.Part({pystr(f.python_name)}, {pystr(f.name)}{', many=True' if f.many else ''})"
                for f in alt.fields
            )
            accepted = "_rt.FORM_MEDIA_TYPE" if alt.kind == "form" else "_rt.MULTIPART_MEDIA_TYPE"
            fields = f"_rt.FormFields({alternative_class(op, alt)}, ({parts},), accepted={accepted})"
            optional = "" if body.required else ", optional=True"
            reader = f"_rt.FormModel({fields}, TypeAdapter({alt.value_type}){optional})"
        elif alt.kind == "xml":
            reader = "_rt.XmlBody()" if body.required else "_rt.XmlBody(optional=True)"
        else:
            reader = "_rt.RawBody()"
        readers.append(f"({pystr(alt.pattern)}, {reader})")
    preferred_type = body.media_type.split(";", 1)[0].strip().lower()
    return f"_rt.MediaTypes({_preferred_reader(op)}, {pystr(preferred_type)}, ({', '.join(readers)},))"


def accepts_upload(op: Operation) -> bool:
    """Return True when the body the route reads is an upload: multipart/form-data or application/octet-stream."""
    if op.body is None:
        return False
    return op.body.media_type.split(";", 1)[0].strip().lower() in _UPLOAD_MEDIA_TYPES


def call_args(op: Operation) -> list[tuple[str, str]]:
    """Return (keyword, source) of the service call inside a handler: `protocol_args`' keywords, each read from
    the validated parameters (`p.x`), multipart parts (`body.x`) or the body itself."""
    parameters = {p.python_name for p in op.parameters}
    parts = op.body is not None and op.body.kind == "multipart"
    return [
        (name, f"p.{name}" if name in parameters else f"body.{name}" if parts else "body")
        for name, _ in protocol_args(op)
    ]


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
        pyjson=pyjson,
        body_check=body_check,
        uses_checks=uses_checks,
        part_reader=part_reader,
        docstring=docstring,
        status_int=status_int,
        response_adapter=response_adapter,
        class_name=class_name,
        constrained=constrained,
        body_adapter=body_adapter,
        parameters_type=parameters_type,
        body_type=body_type,
        body_reader=body_reader,
        media_reader=media_reader,
        param_reader=param_reader,
        alternative_class=alternative_class,
        accepts_upload=accepts_upload,
        call_args=call_args,
        protocol_args=protocol_args,
    )
    env.policies["json.dumps_kwargs"] = {"sort_keys": True}
    return env


def render(
    tags: tuple[Tag, ...],
    models: Models,
    security: tuple[tuple[SecurityScheme, ...], tuple[Scope, ...]],
    spec_display: str,
    checks: dict[str, Any] | None = None,
    *,
    openapi31: bool = True,
) -> dict[str, str]:
    """Return {relative path: source} of the whole generated package (before formatting); the runtime is copied
    as it is, by `runtime_files()`. `checks`: the component schemas (as JSON Schema) the body and parameter checks
    refer to, written to `json_schemas.py` when some body or parameter is checked."""
    env = _environment()
    head = header(spec_display)
    operations = sorted((op for t in tags for op in t.operations), key=lambda o: (o.path, o.method))
    schemes, scopes = security
    files = {
        "__init__.py": env.get_template("package_init.py.jinja").render(header=head),
        "security.py": env.get_template("security.py.jinja").render(header=head, schemes=schemes, scopes=scopes),
        "models.py": env.get_template("models.py.jinja").render(
            header=head, source=models.source.strip(), classes=sorted(models.classes)
        ),
        "protocols.py": env.get_template("protocols.py.jinja").render(header=head, tags=tags),
        "routers/__init__.py": env.get_template("routers_init.py.jinja").render(
            header=head, tags=tags, operations=operations
        ),
    }
    if any(uses_checks(tag) for tag in tags):
        files["json_schemas.py"] = env.get_template("json_schemas.py.jinja").render(header=head, checks=checks or {})
    router = env.get_template("router.py.jinja")
    for tag in tags:
        files[f"routers/{tag.module}.py"] = router.render(header=head, tag=tag, openapi31=openapi31)
    return files


def runtime_files() -> dict[str, bytes]:
    """Return {relative path: bytes} of the runtime package, copied byte for byte from scripts/runtime/."""
    return {f"runtime/{path.name}": path.read_bytes() for path in sorted(_RUNTIME.glob("*.py"))}
