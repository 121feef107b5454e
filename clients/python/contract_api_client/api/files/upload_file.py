from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.file_info import FileInfo
from ...models.file_upload import FileUpload
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    *,
    body: FileUpload,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/files",
    }

    _kwargs["files"] = body.to_multipart()

    headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> FileInfo | Problem | None:
    if response.status_code == 201:
        response_201 = FileInfo.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[FileInfo | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: FileUpload,
) -> Response[FileInfo | Problem]:
    """Upload a file

     The file is streamed to storage in chunks (its SHA-256 and size computed on the way); larger than
    the
    configured limit (`MAX_UPLOAD_BYTES`) gives 413 and nothing is kept. The stored content type is
    decided
    from the file's first bytes: `image/png`, `image/jpeg`, `image/gif` or `image/webp`, else
    `application/octet-stream` — never the part's `Content-Type`. The file name is metadata only (path
    components removed); the bytes are stored under the generated id. The file is private to its owner
    and administrators.

    Args:
        body (FileUpload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FileInfo | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: FileUpload,
) -> FileInfo | Problem | None:
    """Upload a file

     The file is streamed to storage in chunks (its SHA-256 and size computed on the way); larger than
    the
    configured limit (`MAX_UPLOAD_BYTES`) gives 413 and nothing is kept. The stored content type is
    decided
    from the file's first bytes: `image/png`, `image/jpeg`, `image/gif` or `image/webp`, else
    `application/octet-stream` — never the part's `Content-Type`. The file name is metadata only (path
    components removed); the bytes are stored under the generated id. The file is private to its owner
    and administrators.

    Args:
        body (FileUpload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FileInfo | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: FileUpload,
) -> Response[FileInfo | Problem]:
    """Upload a file

     The file is streamed to storage in chunks (its SHA-256 and size computed on the way); larger than
    the
    configured limit (`MAX_UPLOAD_BYTES`) gives 413 and nothing is kept. The stored content type is
    decided
    from the file's first bytes: `image/png`, `image/jpeg`, `image/gif` or `image/webp`, else
    `application/octet-stream` — never the part's `Content-Type`. The file name is metadata only (path
    components removed); the bytes are stored under the generated id. The file is private to its owner
    and administrators.

    Args:
        body (FileUpload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FileInfo | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: FileUpload,
) -> FileInfo | Problem | None:
    """Upload a file

     The file is streamed to storage in chunks (its SHA-256 and size computed on the way); larger than
    the
    configured limit (`MAX_UPLOAD_BYTES`) gives 413 and nothing is kept. The stored content type is
    decided
    from the file's first bytes: `image/png`, `image/jpeg`, `image/gif` or `image/webp`, else
    `application/octet-stream` — never the part's `Content-Type`. The file name is metadata only (path
    components removed); the bytes are stored under the generated id. The file is private to its owner
    and administrators.

    Args:
        body (FileUpload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FileInfo | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
