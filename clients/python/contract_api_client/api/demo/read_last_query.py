from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.last_query import LastQuery
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    q: str | Unset = UNSET,
    last_query: str | Unset = UNSET,
) -> dict[str, Any]:

    cookies = {}
    if last_query is not UNSET:
        cookies["last_query"] = last_query

    params: dict[str, Any] = {}

    params["q"] = q

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/last-query",
        "params": params,
        "cookies": cookies,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> LastQuery | Problem | None:
    if response.status_code == 200:
        response_200 = LastQuery.from_dict(response.json())

        return response_200

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[LastQuery | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    q: str | Unset = UNSET,
    last_query: str | Unset = UNSET,
) -> Response[LastQuery | Problem]:
    """A query-or-cookie sub-dependency

     Returns `q` from the query, else the `last_query` cookie; a query value is remembered in the cookie,
    as
    `GET /items?q=` also does.

    Args:
        q (str | Unset):
        last_query (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LastQuery | Problem]
    """

    kwargs = _get_kwargs(
        q=q,
        last_query=last_query,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    q: str | Unset = UNSET,
    last_query: str | Unset = UNSET,
) -> LastQuery | Problem | None:
    """A query-or-cookie sub-dependency

     Returns `q` from the query, else the `last_query` cookie; a query value is remembered in the cookie,
    as
    `GET /items?q=` also does.

    Args:
        q (str | Unset):
        last_query (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LastQuery | Problem
    """

    return sync_detailed(
        client=client,
        q=q,
        last_query=last_query,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    q: str | Unset = UNSET,
    last_query: str | Unset = UNSET,
) -> Response[LastQuery | Problem]:
    """A query-or-cookie sub-dependency

     Returns `q` from the query, else the `last_query` cookie; a query value is remembered in the cookie,
    as
    `GET /items?q=` also does.

    Args:
        q (str | Unset):
        last_query (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LastQuery | Problem]
    """

    kwargs = _get_kwargs(
        q=q,
        last_query=last_query,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    q: str | Unset = UNSET,
    last_query: str | Unset = UNSET,
) -> LastQuery | Problem | None:
    """A query-or-cookie sub-dependency

     Returns `q` from the query, else the `last_query` cookie; a query value is remembered in the cookie,
    as
    `GET /items?q=` also does.

    Args:
        q (str | Unset):
        last_query (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LastQuery | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            q=q,
            last_query=last_query,
        )
    ).parsed
