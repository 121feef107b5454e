from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.item import Item
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    skip: int | Unset = 0,
    limit: int | Unset = 20,
    q: str | Unset = UNSET,
    mine: bool | Unset = False,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["skip"] = skip

    params["limit"] = limit

    params["q"] = q

    params["mine"] = mine

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/items",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | list[Item] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = Item.from_dict(response_200_item_data)

            response_200.append(response_200_item)

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | list[Item]]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    skip: int | Unset = 0,
    limit: int | Unset = 20,
    q: str | Unset = UNSET,
    mine: bool | Unset = False,
) -> Response[Problem | list[Item]]:
    """List items

     Items ordered by id (stable across pages), optionally filtered by a case-insensitive name search.

    Args:
        skip (int | Unset):  Default: 0.
        limit (int | Unset):  Default: 20.
        q (str | Unset):
        mine (bool | Unset):  Default: False.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | list[Item]]
    """

    kwargs = _get_kwargs(
        skip=skip,
        limit=limit,
        q=q,
        mine=mine,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    skip: int | Unset = 0,
    limit: int | Unset = 20,
    q: str | Unset = UNSET,
    mine: bool | Unset = False,
) -> Problem | list[Item] | None:
    """List items

     Items ordered by id (stable across pages), optionally filtered by a case-insensitive name search.

    Args:
        skip (int | Unset):  Default: 0.
        limit (int | Unset):  Default: 20.
        q (str | Unset):
        mine (bool | Unset):  Default: False.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | list[Item]
    """

    return sync_detailed(
        client=client,
        skip=skip,
        limit=limit,
        q=q,
        mine=mine,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    skip: int | Unset = 0,
    limit: int | Unset = 20,
    q: str | Unset = UNSET,
    mine: bool | Unset = False,
) -> Response[Problem | list[Item]]:
    """List items

     Items ordered by id (stable across pages), optionally filtered by a case-insensitive name search.

    Args:
        skip (int | Unset):  Default: 0.
        limit (int | Unset):  Default: 20.
        q (str | Unset):
        mine (bool | Unset):  Default: False.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | list[Item]]
    """

    kwargs = _get_kwargs(
        skip=skip,
        limit=limit,
        q=q,
        mine=mine,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    skip: int | Unset = 0,
    limit: int | Unset = 20,
    q: str | Unset = UNSET,
    mine: bool | Unset = False,
) -> Problem | list[Item] | None:
    """List items

     Items ordered by id (stable across pages), optionally filtered by a case-insensitive name search.

    Args:
        skip (int | Unset):  Default: 0.
        limit (int | Unset):  Default: 20.
        q (str | Unset):
        mine (bool | Unset):  Default: False.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | list[Item]
    """

    return (
        await asyncio_detailed(
            client=client,
            skip=skip,
            limit=limit,
            q=q,
            mine=mine,
        )
    ).parsed
