from typing import Literal

LastQuerySource = Literal["cookie", "none", "query"]

LAST_QUERY_SOURCE_VALUES: set[LastQuerySource] = {
    "cookie",
    "none",
    "query",
}


def check_last_query_source(value: str) -> LastQuerySource:
    if value in LAST_QUERY_SOURCE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LAST_QUERY_SOURCE_VALUES!r}")
