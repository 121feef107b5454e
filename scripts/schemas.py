"""Stage 2: prepare component schemas (safe names; lifted inline bodies, object parameters and object parts) and run
datamodel-code-generator."""

from __future__ import annotations

import ast
import copy
import json
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .load import Spec
from .naming import escape_pointer, is_pascal, pascal_case, unique, words
from .operations import FORM, MULTIPART, RawOperation, deref, is_json, iter_operations, pick_media, python_names
from .schema_directions import split_directions
from .schema_fixes import fix_component_schemas, rewrite_model_types

SCHEMA_PREFIX = "#/components/schemas/"
# Names datamodel-code-generator imports into models.py; a schema with such a name would shadow them.
_RESERVED = frozenset(
    "Annotated Any AnyUrl AwareDatetime Base64Str BaseModel ConfigDict Decimal Enum EmailStr Field IntEnum Literal "
    "NaiveDatetime Optional RootModel SecretStr StrEnum StrictBool StrictBytes StrictFloat StrictInt StrictStr "
    "UUID Union".split()
)
_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum"})


class GenerationError(Exception):
    """The spec is valid but the generator cannot produce working code for it (message says where)."""


@dataclass(frozen=True, slots=True)
class Models:
    """The generated models module: source (without header) and the class names that really exist."""

    source: str
    classes: frozenset[str]
    enums: frozenset[str]


def prepare(spec: Spec) -> Spec:
    """Return a copy of `spec` with PascalCase schema names, and the inline objects of bodies, responses, parameters
    and multipart parts lifted to components."""
    out = copy.deepcopy(spec)
    schemas = out.setdefault("components", {}).setdefault("schemas", {})
    if not isinstance(schemas, dict):
        schemas = out["components"]["schemas"] = {}
    renames = _sanitised_names(list(schemas))
    if any(old != new for old, new in renames.items()):
        out["components"]["schemas"] = {renames[k]: v for k, v in schemas.items()}
        _rewrite_refs(out, renames)
    _Lifter(out).run()
    split_directions(out)
    fix_component_schemas(out)
    if not out["components"]["schemas"]:
        del out["components"]["schemas"]
    return out


def schema_name(ref: str) -> str | None:
    """Return the component schema name a `#/components/schemas/<name>` ref targets (None for other refs)."""
    if not ref.startswith(SCHEMA_PREFIX):
        return None
    token = ref[len(SCHEMA_PREFIX) :]
    if "/" in token:
        return None
    return unquote(token).replace("~1", "/").replace("~0", "~")


def _sanitised_names(names: list[str]) -> dict[str, str]:
    taken = {n for n in names if is_pascal(n) and n not in _RESERVED}
    renames: dict[str, str] = {}
    for name in names:
        if is_pascal(name) and name not in _RESERVED:
            renames[name] = name
            continue
        base = pascal_case(name)
        renames[name] = unique(base + "Model" if base in _RESERVED else base, taken, sep="")
    return renames


def _rewrite_refs(node: Any, renames: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_PREFIX):
            head, sep, rest = ref[len(SCHEMA_PREFIX) :].partition("/")
            old = unquote(head).replace("~1", "/").replace("~0", "~")
            if old in renames:
                node["$ref"] = SCHEMA_PREFIX + escape_pointer(renames[old]) + sep + rest
        for value in node.values():
            _rewrite_refs(value, renames)
    elif isinstance(node, list):
        for value in node:
            _rewrite_refs(value, renames)


def is_object(schema: Any) -> bool:
    """True for an object schema: `type` object (or a type list naming it), or no type and (additional) properties."""
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return "object" in kinds or (kind is None and ("properties" in schema or "additionalProperties" in schema))


def is_array(schema: Any) -> bool:
    """True for `type: array` and for a type list naming array (3.1's nullable arrays)."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    return kind == "array" or (isinstance(kind, list) and "array" in kind)


def _checked_object(schema: Any) -> bool:
    """True for an inline object schema a class can enforce: it names properties (or required ones), merges
    members, or limits the properties it does not name. A free-form object (`type: object` alone) stays a
    `dict[str, Any]`: a class without fields would drop every key."""
    if not isinstance(schema, dict) or "$ref" in schema or not is_object(schema):
        return False
    named = any(schema.get(k) for k in ("properties", "required", "allOf", "patternProperties"))
    return named or schema.get("additionalProperties", True) not in (True, {})


def needs_model(schema: Any) -> bool:
    """Return True when an inline schema needs a generated class (objects, merges, discriminated unions)."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return False
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "object" in kinds or any(k in schema for k in ("properties", "additionalProperties", "allOf")):
        return True
    members = [m for k in ("oneOf", "anyOf") for m in schema.get(k) or []]
    return bool(members) and ("discriminator" in schema or any(needs_model(m) for m in members))


class _Lifter:
    """Moves inline object schemas of bodies, responses, parameters and multipart parts into components.schemas
    under deterministic names."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.schemas: dict[str, Any] = spec["components"]["schemas"]
        self.taken = set(self.schemas)

    def run(self) -> None:
        components = self.spec["components"]
        for kind, suffix in (("requestBodies", "Request"), ("responses", "Response")):
            for name, node in (components.get(kind) or {}).items():
                if isinstance(node, dict) and "$ref" not in node:
                    base = pascal_case(name)
                    self._lift_content(node, base if base.endswith(suffix) else base + suffix, body=kind[0] == "r")
        names = python_names(self.spec)
        for raw in iter_operations(self.spec):
            base = pascal_case(names[raw.path, raw.method])
            body = raw.op.get("requestBody")
            if isinstance(body, dict) and "$ref" not in body:
                self._lift_content(body, base + "Request", body=True)
            responses = raw.op.get("responses") or {}
            inline = [s for s, r in responses.items() if isinstance(r, dict) and "$ref" not in r and self._liftable(r)]
            for status in inline:
                suffix = (
                    "Response"
                    if len(inline) == 1
                    else "Response" + "".join(w[:1].upper() + w[1:] for w in words(status))
                )
                self._lift_content(responses[status], base + suffix, body=False)
        # After the bodies' and responses': the names those had before stay theirs. A parameter or a part shared by
        # several operations (path-level, `components`, a `$ref`'d multipart schema) is named after the first one.
        for raw in iter_operations(self.spec):
            base = pascal_case(names[raw.path, raw.method])
            self._lift_parameters(raw, base)
            self._lift_parts(raw, base)

    def _lift_parameters(self, raw: RawOperation, base: str) -> None:
        """Object parameters with an inline schema become `<Op><Param>Parameter` (the operation's own parameters
        win over the path-level ones of the same name and location, as in `parse_params`)."""
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for source in (raw.path_item.get("parameters") or [], raw.op.get("parameters") or []):
            for node in source:
                param = deref(self.spec, node)
                if isinstance(param, dict) and isinstance(param.get("name"), str):
                    merged[param["name"], str(param.get("in"))] = param
        for (name, _), param in merged.items():
            if _checked_object(param.get("schema")):
                param["schema"] = self._lift(param["schema"], base + pascal_case(name, fallback="Param") + "Parameter")

    def _lift_parts(self, raw: RawOperation, base: str) -> None:
        """Object parts (and items of array parts) of a multipart body with an inline schema become
        `<Op><Part>Part` (`...PartItem`), in the body's schema or the component it refers to."""
        body = deref(self.spec, raw.op.get("requestBody"))
        content: Any = body.get("content") if isinstance(body, dict) else None
        media = pick_media(content)
        if media is None or media.split(";", 1)[0].strip().lower() != MULTIPART or not isinstance(content[media], dict):
            return
        for holder in self._property_holders(content[media].get("schema")):
            for name, sub in holder.items():
                if _checked_object(sub) or (is_array(sub) and _checked_object(sub.get("items"))):
                    holder[name] = self._lift(sub, base + pascal_case(str(name), fallback="Field") + "Part")

    def _property_holders(self, schema: Any, depth: int = 0) -> list[dict[str, Any]]:
        """The `properties` maps of an object schema and of its `allOf` members (refs followed)."""
        schema = deref(self.spec, schema)
        if not isinstance(schema, dict) or depth > 16:
            return []
        holders = [h for member in schema.get("allOf") or [] for h in self._property_holders(member, depth + 1)]
        if isinstance(schema.get("properties"), dict):
            holders.append(schema["properties"])
        return holders

    def _liftable(self, holder: dict[str, Any]) -> bool:
        content: Any = holder.get("content")
        media = pick_media(content)
        if media is None or not is_json(media):
            return False
        return self._needs(content[media].get("schema") if isinstance(content[media], dict) else None)

    def _needs(self, schema: Any) -> bool:
        while isinstance(schema, dict) and schema.get("type") == "array" and "items" in schema:
            schema = schema["items"]
        return needs_model(schema)

    def _lift_content(self, holder: dict[str, Any], name: str, *, body: bool) -> None:
        content: Any = holder.get("content")
        media = pick_media(content)
        if media is None or not isinstance(content[media], dict):
            return
        base_media = media.split(";", 1)[0].strip().lower()
        lifted: dict[str, Any] = {}
        if is_json(media) or (body and base_media == FORM):
            schema = content[media].get("schema")
            if self._needs(schema):
                lifted[_key(schema)] = content[media]["schema"] = self._lift(schema, name)
        if not body:
            return
        # The other media types of a request body are read into models too (form and multipart fields, JSON):
        # one equal to the preferred one's schema shares its class, others get `<Name><Media>`.
        for other, node in content.items():
            base = str(other).split(";", 1)[0].strip().lower()
            if other == media or not isinstance(node, dict) or not (is_json(base) or base in (FORM, MULTIPART)):
                continue
            schema = node.get("schema")
            if not isinstance(schema, dict) or not self._needs(schema):
                continue
            key = _key(schema)
            if key not in lifted:
                lifted[key] = self._lift(schema, name + pascal_case(base.rsplit("/", 1)[-1], fallback="Body"))
            node["schema"] = lifted[key]

    def _lift(self, schema: dict[str, Any], name: str) -> dict[str, Any]:
        if needs_model(schema):
            final = unique(name, self.taken, sep="")
            self.schemas[final] = schema
            return {"$ref": SCHEMA_PREFIX + escape_pointer(final)}
        lifted = dict(schema)
        lifted["items"] = self._lift(deref(self.spec, schema["items"]), name + "Item")
        return lifted


def _key(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True, default=str)


def run_datamodel_codegen(spec: Spec) -> Models:
    """Return the pydantic models datamodel-code-generator makes of the prepared spec's component schemas."""
    from datamodel_code_generator import Error, generate
    from datamodel_code_generator.enums import (
        DataModelType,
        InputFileType,
        OpenAPIScope,
        StrictTypes,
        TargetPydanticVersion,
    )
    from datamodel_code_generator.format import PythonVersion

    if not (spec.get("components") or {}).get("schemas"):
        return Models("", frozenset(), frozenset())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = generate(
                copy.deepcopy(spec),
                input_file_type=InputFileType.OpenAPI,
                output_model_type=DataModelType.PydanticV2BaseModel,
                target_python_version=PythonVersion.PY_311,
                # MISSING for optional fields: an absent field stays absent in responses, and an explicit
                # null is rejected unless the schema allows null (a `T | None = None` field would accept it).
                target_pydantic_version=TargetPydanticVersion.V2_14,
                use_missing_sentinel=True,
                strict_nullable=True,
                # AnyUrl would drop maxLength and rewrite the client's URL (adds a trailing slash): keep it a string.
                type_mappings=["string+uri=string", "string+uri-reference=string"],
                use_annotated=True,
                field_constraints=True,
                use_standard_collections=True,
                use_union_operator=True,
                openapi_scopes=[OpenAPIScope.Schemas],
                disable_timestamp=True,
                strict_types=[StrictTypes.str, StrictTypes.bytes, StrictTypes.int, StrictTypes.float, StrictTypes.bool],
                allow_population_by_field_name=True,
                use_schema_description=True,
                use_field_description=True,
                use_double_quotes=True,
                set_default_enum_member=True,
                formatters=[],
            )
        except Error as exc:
            if "Models not found" in str(exc):
                return Models("", frozenset(), frozenset())
            raise GenerationError(f"datamodel-code-generator failed: {exc}") from exc
    if not isinstance(out, str):
        raise GenerationError("datamodel-code-generator produced a package of modules; expected one models module")
    openapi31 = str(spec.get("openapi", "")).startswith("3.1.")
    return _inspect(rewrite_model_types(_strip_header(out), openapi31=openapi31))


def _strip_header(source: str) -> str:
    lines = source.splitlines()
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines) + "\n"


def _inspect(source: str) -> Models:
    tree = ast.parse(source)
    classes: set[str] = set()
    enums: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            classes.add(node.name)
            bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
            if bases & _ENUM_BASES:
                enums.add(node.name)
    return Models(source, frozenset(classes), frozenset(enums))
