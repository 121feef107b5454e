"""Canonical e-mail addresses: compatibility spellings fold, look-alikes mixing scripts are refused (no HTTP)."""

from __future__ import annotations

import sys

import pytest

from impl.problems import InvalidRequest
from impl.security.emails import canonical_email, email_key
from impl.tables import EMAIL_KEY_LENGTH


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice@example.com", "alice@example.com"),
        ("  alice@example.com ", "alice@example.com"),
        ("\uff41\uff4c\uff49\uff43\uff45@example.com", "alice@example.com"),  # full-width letters
        ("\ufb01le@example.com", "file@example.com"),  # the "fi" ligature
        ("alice@\uff45xample.com", "alice@example.com"),
        ("alice@xn--bcher-kva.de", "alice@b\u00fccher.de"),  # IDNA A-label: stored in Unicode form, as pydantic does
        ("Alice@Example.COM", "Alice@example.com"),  # the local part keeps its case; email_key folds it
        ("\u0430\u043b\u0438\u0441\u0430@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444", None),  # all Cyrillic
        ("\u5c71\u7530\u305f\u308d\u3046@example.jp", None),  # Han + Hiragana: one writing system (Japanese)
        ("jos\u00e9.o'neil+tag@example.com", None),
    ],
)
def test_canonical_email_folds_compatibility_spellings(raw: str, expected: str | None) -> None:
    assert canonical_email(raw) == (raw.strip() if expected is None else expected)


@pytest.mark.parametrize(
    "raw",
    [
        "\u0430lice@example.com",  # Cyrillic a in a Latin local part
        "p\u0430ypal@example.com",
        "alice@ex\u0430mple.com",  # Cyrillic a in a Latin domain label
        "alice@example.c\u03bfm",  # Greek omicron in the top-level domain
        "\u0430\u043b\u0438\u0441\u0430@ex\u0430mple.com",
    ],
)
def test_mixed_script_address_is_refused_naming_the_field(raw: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        canonical_email(raw, field="new_email")
    errors = raised.value.extensions["errors"]
    assert isinstance(errors, list)
    assert [error["loc"] for error in errors] == [["body", "new_email"]]


def test_scripts_are_judged_per_part_not_across_the_address() -> None:
    # A Cyrillic mailbox at a Latin domain is a real address, not a look-alike of one.
    assert canonical_email("\u0430\u043b\u0438\u0441\u0430@example.com") == "\u0430\u043b\u0438\u0441\u0430@example.com"


@pytest.mark.parametrize(
    "spelling",
    ["ALICE@example.com", " Alice@Example.COM ", "\uff41\uff4c\uff49\uff43\uff45@example.com", "alice@EXAMPLE.com"],
)
def test_email_key_is_the_same_for_every_spelling(spelling: str) -> None:
    assert email_key(spelling) == email_key("alice@example.com") == "alice@example.com"


def test_email_key_matches_an_idn_domain_in_either_form() -> None:
    assert email_key("alice@xn--bcher-kva.de") == email_key(canonical_email("alice@B\u00fccher.de"))


@pytest.mark.parametrize("username", ["not an address", "", "alice@", "\ud800@example.com", "x" * 300])
def test_email_key_folds_any_login_name_without_failing(username: str) -> None:
    assert email_key(username) == email_key(username.upper())


def test_the_key_column_holds_the_key_of_any_valid_address() -> None:
    # email-validator bounds an address at 254 bytes of UTF-8, and str.casefold() folds each code point on its own:
    # no code point folds to more than 1.5 code points per byte of it, so no key passes EMAIL_KEY_LENGTH.
    worst = max(
        len(chr(point).casefold()) / len(chr(point).encode())
        for point in range(sys.maxunicode + 1)
        if not 0xD800 <= point <= 0xDFFF  # surrogates: no UTF-8 form, and no JSON text reaches here with one
    )
    assert worst == 1.5
    assert EMAIL_KEY_LENGTH == 254 * worst
    # An address that gets there: 252 bytes, 132 characters, a key of 372.
    address = canonical_email("a@" + ".".join(["\u0390" * 15] * 8) + ".gr")
    assert len(address.encode()) == 252 and len(email_key(address)) == 372
