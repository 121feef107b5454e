from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    file_id: UUID,
    *,
    if_none_match: str | Unset = UNSET,
    range_: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_none_match, Unset):
        headers["If-None-Match"] = if_none_match

    if not isinstance(range_, Unset):
        headers["Range"] = range_

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/files/{file_id}/content".format(
            file_id=quote(str(file_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | Problem | str | None:
    if response.status_code == 200:
        response_200 = cast(str, response.content)
        return response_200

    if response.status_code == 206:
        response_206 = cast(str, response.content)
        return response_206

    if response.status_code == 304:
        response_304 = cast(Any, None)
        return response_304

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 416:
        response_416 = Problem.from_dict(response.json())

        return response_416

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 500:
        response_500 = Problem.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Any | Problem | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    file_id: UUID,
    *,
    client: AuthenticatedClient,
    if_none_match: str | Unset = UNSET,
    range_: str | Unset = UNSET,
) -> Response[Any | Problem | str]:
    """Download a file

     The file's bytes, streamed with `Content-Length`, as an `attachment` (RFC 6266: an ASCII `filename`
    and
    the exact UTF-8 `filename*`) of the stored content type. The `ETag` is the file's SHA-256: `If-None-
    Match`
    naming it gives 304. One byte range (`Range: bytes=0-99`, `bytes=100-`, `bytes=-100`) gives 206 with
    `Content-Range`; a range starting at or past the end gives 416 with `Content-Range: bytes */<size>`.
    Several ranges, or a `Range` that is not a valid byte range, are ignored and the whole file is sent
    (200), as RFC 9110 §14.2 allows.

    Access: an item's image is public like the item (anyone, also without credentials); any other file
    only
    to its owner and administrators — others get the same 404 as an unknown id.

    Args:
        file_id (UUID):
        if_none_match (str | Unset):
        range_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem | str]
    """

    kwargs = _get_kwargs(
        file_id=file_id,
        if_none_match=if_none_match,
        range_=range_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    file_id: UUID,
    *,
    client: AuthenticatedClient,
    if_none_match: str | Unset = UNSET,
    range_: str | Unset = UNSET,
) -> Any | Problem | str | None:
    """Download a file

     The file's bytes, streamed with `Content-Length`, as an `attachment` (RFC 6266: an ASCII `filename`
    and
    the exact UTF-8 `filename*`) of the stored content type. The `ETag` is the file's SHA-256: `If-None-
    Match`
    naming it gives 304. One byte range (`Range: bytes=0-99`, `bytes=100-`, `bytes=-100`) gives 206 with
    `Content-Range`; a range starting at or past the end gives 416 with `Content-Range: bytes */<size>`.
    Several ranges, or a `Range` that is not a valid byte range, are ignored and the whole file is sent
    (200), as RFC 9110 §14.2 allows.

    Access: an item's image is public like the item (anyone, also without credentials); any other file
    only
    to its owner and administrators — others get the same 404 as an unknown id.

    Args:
        file_id (UUID):
        if_none_match (str | Unset):
        range_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem | str
    """

    return sync_detailed(
        file_id=file_id,
        client=client,
        if_none_match=if_none_match,
        range_=range_,
    ).parsed


async def asyncio_detailed(
    file_id: UUID,
    *,
    client: AuthenticatedClient,
    if_none_match: str | Unset = UNSET,
    range_: str | Unset = UNSET,
) -> Response[Any | Problem | str]:
    """Download a file

     The file's bytes, streamed with `Content-Length`, as an `attachment` (RFC 6266: an ASCII `filename`
    and
    the exact UTF-8 `filename*`) of the stored content type. The `ETag` is the file's SHA-256: `If-None-
    Match`
    naming it gives 304. One byte range (`Range: bytes=0-99`, `bytes=100-`, `bytes=-100`) gives 206 with
    `Content-Range`; a range starting at or past the end gives 416 with `Content-Range: bytes */<size>`.
    Several ranges, or a `Range` that is not a valid byte range, are ignored and the whole file is sent
    (200), as RFC 9110 §14.2 allows.

    Access: an item's image is public like the item (anyone, also without credentials); any other file
    only
    to its owner and administrators — others get the same 404 as an unknown id.

    Args:
        file_id (UUID):
        if_none_match (str | Unset):
        range_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem | str]
    """

    kwargs = _get_kwargs(
        file_id=file_id,
        if_none_match=if_none_match,
        range_=range_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    file_id: UUID,
    *,
    client: AuthenticatedClient,
    if_none_match: str | Unset = UNSET,
    range_: str | Unset = UNSET,
) -> Any | Problem | str | None:
    """Download a file

     The file's bytes, streamed with `Content-Length`, as an `attachment` (RFC 6266: an ASCII `filename`
    and
    the exact UTF-8 `filename*`) of the stored content type. The `ETag` is the file's SHA-256: `If-None-
    Match`
    naming it gives 304. One byte range (`Range: bytes=0-99`, `bytes=100-`, `bytes=-100`) gives 206 with
    `Content-Range`; a range starting at or past the end gives 416 with `Content-Range: bytes */<size>`.
    Several ranges, or a `Range` that is not a valid byte range, are ignored and the whole file is sent
    (200), as RFC 9110 §14.2 allows.

    Access: an item's image is public like the item (anyone, also without credentials); any other file
    only
    to its owner and administrators — others get the same 404 as an unknown id.

    Args:
        file_id (UUID):
        if_none_match (str | Unset):
        range_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem | str
    """

    return (
        await asyncio_detailed(
            file_id=file_id,
            client=client,
            if_none_match=if_none_match,
            range_=range_,
        )
    ).parsed
