"""One spelling per mailbox: e-mail addresses in NFKC form, look-alikes mixing scripts refused."""

from __future__ import annotations

import unicodedata

from confusable_homoglyphs.categories import unique_aliases
from email_validator import EmailNotValidError, validate_email

from impl.problems import InvalidRequest

# Characters of every script (digits, punctuation, combining marks) never count as a script of their own.
_SCRIPT_NEUTRAL = frozenset({"COMMON", "INHERITED"})
# UTS #39 "highly restrictive": one script, or one of these combinations that real names and domains use.
_COMBINABLE_SCRIPTS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


def _mixes_scripts(text: str) -> bool:
    scripts: set[str] = unique_aliases(text) - _SCRIPT_NEUTRAL
    return len(scripts) > 1 and not any(scripts <= allowed for allowed in _COMBINABLE_SCRIPTS)


def _refuse(field: str, reason: str) -> InvalidRequest:
    errors = [{"loc": ["body", field], "msg": f"e-mail address {reason}", "type": "email_policy"}]
    return InvalidRequest(f"the e-mail address is not accepted: {reason}", errors=errors)


def canonical_email(raw: str, *, field: str = "email") -> str:
    """The address as stored (NFKC, stripped, domain lower-case in Unicode form); 422 naming `field` for look-alikes.

    Full-width and other compatibility spellings fold onto the plain address; a local part or a domain label that
    mixes scripts (`alice` spelt with a Cyrillic `a`) is refused rather than folded: no rule says which was meant.
    """
    folded = unicodedata.normalize("NFKC", raw).strip()
    try:
        # Syntax was checked before, but NFKC may have changed it (`⑴` becomes `(1)`); this also normalises the
        # domain exactly as the request model does (IDNA A-labels to Unicode, lower case).
        email = validate_email(folded, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise _refuse(field, f"is not valid once normalised ({exc})") from None
    local, _, domain = email.rpartition("@")
    if _mixes_scripts(local):
        raise _refuse(field, "mixes writing systems in the part before the @")
    if any(_mixes_scripts(label) for label in domain.split(".")):
        raise _refuse(field, "mixes writing systems in a domain label")
    return email


def email_key(email: str) -> str:
    """The case-insensitive identity of an address (uniqueness and login both use it): NFKC, stripped, case-folded.

    A login name gets the domain normalisation sign-up applied, so `alice@xn--bcher-kva.de` finds `alice@bücher.de`;
    anything that is no address (an unknown login name) is only folded.
    """
    folded = unicodedata.normalize("NFKC", email).strip()
    try:
        folded = validate_email(folded, check_deliverability=False).normalized
    except EmailNotValidError:
        pass
    return folded.casefold()
