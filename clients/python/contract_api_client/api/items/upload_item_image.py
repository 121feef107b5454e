from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.image_upload import ImageUpload
from ...models.item import Item
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    item_id: int,
    *,
    body: ImageUpload,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/items/{item_id}/images".format(
            item_id=quote(str(item_id), safe=""),
        ),
    }

    _kwargs["files"] = body.to_multipart()

    headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Item | Problem | None:
    if response.status_code == 201:
        response_201 = Item.from_dict(response.json())

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

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Item | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    item_id: int,
    *,
    client: AuthenticatedClient,
    body: ImageUpload,
) -> Response[Item | Problem]:
    """Attach an image to an item

     Streams the image to storage and adds `{url, name}` to the item's `images`; `url` is the image's
    `GET /files/{file_id}/content`, public like the item. The type is decided from the file's first
    bytes
    (PNG, JPEG, GIF or WebP), never from the part's `Content-Type` or name: anything else is 415. Only
    the
    item's owner or an administrator may add one (403), at most 10 per item (409). Deleting the item
    deletes
    its images.

    Args:
        item_id (int):
        body (ImageUpload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Item | Problem]
    """

    kwargs = _get_kwargs(
        item_id=item_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    item_id: int,
    *,
    client: AuthenticatedClient,
    body: ImageUpload,
) -> Item | Problem | None:
    """Attach an image to an item

     Streams the image to storage and adds `{url, name}` to the item's `images`; `url` is the image's
    `GET /files/{file_id}/content`, public like the item. The type is decided from the file's first
    bytes
    (PNG, JPEG, GIF or WebP), never from the part's `Content-Type` or name: anything else is 415. Only
    the
    item's owner or an administrator may add one (403), at most 10 per item (409). Deleting the item
    deletes
    its images.

    Args:
        item_id (int):
        body (ImageUpload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Item | Problem
    """

    return sync_detailed(
        item_id=item_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    item_id: int,
    *,
    client: AuthenticatedClient,
    body: ImageUpload,
) -> Response[Item | Problem]:
    """Attach an image to an item

     Streams the image to storage and adds `{url, name}` to the item's `images`; `url` is the image's
    `GET /files/{file_id}/content`, public like the item. The type is decided from the file's first
    bytes
    (PNG, JPEG, GIF or WebP), never from the part's `Content-Type` or name: anything else is 415. Only
    the
    item's owner or an administrator may add one (403), at most 10 per item (409). Deleting the item
    deletes
    its images.

    Args:
        item_id (int):
        body (ImageUpload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Item | Problem]
    """

    kwargs = _get_kwargs(
        item_id=item_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    item_id: int,
    *,
    client: AuthenticatedClient,
    body: ImageUpload,
) -> Item | Problem | None:
    """Attach an image to an item

     Streams the image to storage and adds `{url, name}` to the item's `images`; `url` is the image's
    `GET /files/{file_id}/content`, public like the item. The type is decided from the file's first
    bytes
    (PNG, JPEG, GIF or WebP), never from the part's `Content-Type` or name: anything else is 415. Only
    the
    item's owner or an administrator may add one (403), at most 10 per item (409). Deleting the item
    deletes
    its images.

    Args:
        item_id (int):
        body (ImageUpload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Item | Problem
    """

    return (
        await asyncio_detailed(
            item_id=item_id,
            client=client,
            body=body,
        )
    ).parsed
