"""A second check of a JSON body or a parameter against its JSON Schema, for the keywords the models cannot enforce.

The generator adds one only where the body's (or a multipart part's, or a parameter's) schema needs it (`oneOf` as
exactly one alternative, `prefixItems`, `not`, `if`/`then`/`else`, `contains`, ...): the model has accepted the
value already, `jsonschema` then validates the same document (a parameter's text read as its schema's JSON types)
against the schema itself (formats are the model's business).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from .problems import InvalidRequest

Draft = Literal["4", "2020-12"]
_SHORT = 200


class SchemaCheck:
    """Validates a decoded JSON body (or a parameter's value) against `schema`, whose `#/components/schemas/...`
    refs resolve in `components`; raises the 422 naming each violation."""

    def __init__(self, schema: Mapping[str, Any], components: Mapping[str, Any], *, draft: Draft) -> None:
        # Imported here: only packages whose bodies need such a check depend on jsonschema.
        from jsonschema import Draft4Validator, Draft202012Validator  # type: ignore[import-untyped]  # no stubs

        cls = Draft202012Validator if draft == "2020-12" else Draft4Validator
        root = {**schema, "components": {"schemas": dict(components)}}
        self._validator = cls(root)

    def errors(self, document: object) -> list[dict[str, Any]]:
        """The violations of `document`, each an error as pydantic reports one (`loc` inside the document, `msg`,
        `type` `json_schema_<keyword>`), sorted by place; empty when it is valid."""
        errors = [
            {"loc": tuple(error.absolute_path), "msg": _message(error), "type": f"json_schema_{error.validator}"}
            for error in self._validator.iter_errors(document)
        ]
        return sorted(errors, key=lambda e: [str(part) for part in e["loc"]])

    def validate(self, document: object) -> None:
        """Nothing when `document` is valid, else the 422 (`loc` starts with "body")."""
        errors = self.errors(document)
        if errors:
            raise InvalidRequest.from_errors(errors, prefix=("body",))


def _message(error: Any) -> str:
    if error.validator == "oneOf":
        matched = _matches(error)
        return f"Input should match exactly one of the oneOf alternatives, not {matched or 'none'}"
    message = str(error.message)
    return message if len(message) <= _SHORT else message[: _SHORT - 3] + "..."


def _matches(error: Any) -> int:
    """How many oneOf alternatives the instance matched (those without an error of their own)."""
    failed = {c.relative_schema_path[0] for c in error.context if c.relative_schema_path}
    return len(error.validator_value) - len(failed)


__all__ = ["SchemaCheck"]
