"""Identifier helpers: snake_case, PascalCase and collision-free Python names."""

from __future__ import annotations

import keyword
import re

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z0-9]+|[A-Z]+|[0-9]+")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*$")


def words(text: str) -> list[str]:
    """Return the alphanumeric words of `text`, splitting camelCase and any punctuation."""
    out: list[str] = []
    for chunk in re.split(r"[^A-Za-z0-9]+", text):
        out.extend(_WORD.findall(chunk))
    return out


def snake_case(text: str, *, fallback: str = "value") -> str:
    """Return a snake_case identifier for `text` (no keyword, no leading digit)."""
    name = "_".join(w.lower() for w in words(text)) or fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        name += "_"
    return name


def pascal_case(text: str, *, fallback: str = "Model") -> str:
    """Return a PascalCase identifier for `text` (no keyword, no leading digit)."""
    name = "".join(w[:1].upper() + w[1:] for w in words(text)) or fallback
    if name[0].isdigit():
        name = f"{fallback}{name}"
    if keyword.iskeyword(name):
        name += fallback
    return name


def is_identifier(text: str) -> bool:
    """Return True when `text` is a plain ASCII identifier that is not a keyword."""
    return bool(_IDENT.match(text)) and not keyword.iskeyword(text)


def is_pascal(text: str) -> bool:
    """Return True when `text` is already a PascalCase identifier."""
    return bool(_PASCAL.match(text)) and not keyword.iskeyword(text)


def unique(name: str, taken: set[str], *, sep: str = "_") -> str:
    """Return `name`, or `name<sep>2`, `name<sep>3`, ... whichever is not in `taken`; record it as taken."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}{sep}{n}"
    taken.add(candidate)
    return candidate


def escape_pointer(token: str) -> str:
    """Return `token` escaped as one JSON pointer segment (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """Return the `#/...` JSON pointer made of `tokens`."""
    return "#" + "".join("/" + escape_pointer(str(t)) for t in tokens)
