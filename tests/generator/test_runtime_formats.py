"""`format: email` in the generated models: RFC 5321 syntax, special-use domain names included (issue 11, class 12)."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from scripts.runtime.formats import Email
from scripts.schema_fixes import rewrite_model_types

_EMAIL = TypeAdapter(Email)


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        ("alice@example.com", "alice@example.com"),
        ("Alice@Example.COM", "Alice@example.com"),  # the domain normalised as pydantic's EmailStr does
        ("alice@mail.test", "alice@mail.test"),
        ("bob@printer.Local", "bob@printer.local"),
        ("carol@localhost", "carol@localhost"),
        ("dave@host.invalid", "dave@host.invalid"),
        ("erin@4.3.2.1.in-addr.arpa", "erin@4.3.2.1.in-addr.arpa"),
        ('"frank n"@example.com', '"frank n"@example.com'),
        ("grace@[192.0.2.1]", "grace@[192.0.2.1]"),
    ],
)
def test_email_accepts_rfc5321_mailboxes_special_use_domains_included(sent: str, read: str) -> None:
    assert _EMAIL.validate_python(sent) == read


@pytest.mark.parametrize(
    "sent", ["Alice <alice@example.com>", "alice", "alice@@example.com", "alice@host.local.", "alice@", 5, b"a@b.c"]
)
def test_email_refuses_what_is_no_mailbox(sent: object) -> None:
    with pytest.raises(ValidationError):
        _EMAIL.validate_python(sent)


def test_models_use_the_runtime_email_type_not_pydantic_email_str() -> None:
    source = "from pydantic import BaseModel, EmailStr\n\n\nclass A(BaseModel):\n    email: EmailStr\n"
    out = rewrite_model_types(source, openapi31=True)
    assert "email: _formats.Email" in out and "from .runtime import formats as _formats" in out
