"""The seed's query-or-cookie sub-dependency: the last `q` a client searched with, remembered in a cookie."""

from __future__ import annotations

from urllib.parse import quote, unquote

from generated.runtime import RequestContext

LAST_QUERY_COOKIE = "last_query"
# A browsing session's worth; the value is only ever a search string the client typed itself.
LAST_QUERY_MAX_AGE_SECONDS = 24 * 3600


def remember_query(ctx: RequestContext, q: str) -> None:
    """Set the cookie to `q`, percent-encoded: any Unicode survives a header that only carries Latin-1."""
    ctx.set_cookie(
        LAST_QUERY_COOKIE,
        quote(q, safe=""),
        max_age=LAST_QUERY_MAX_AGE_SECONDS,
        secure=ctx.secure,
        httponly=True,
        samesite="lax",
    )


def recall_query(cookie: str) -> str:
    """The query a `remember_query` cookie holds."""
    return unquote(cookie, errors="replace")
