"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from .. import models
from .. import runtime as _rt
from ..protocols import AuthService
from ..runtime import Authenticator, OperationInfo, Principal

OP_LOGIN = OperationInfo(
    operation_id="login",
    method="POST",
    path="/login",
    tag="auth",
    security=(),
    success_status=204,
)

OP_LOGOUT = OperationInfo(
    operation_id="logout",
    method="POST",
    path="/logout",
    tag="auth",
    security=({}, {"OAuth2PasswordBearer": ()}, {"CookieSession": ()}),
    success_status=204,
)

OP_ISSUE_TOKEN = OperationInfo(
    operation_id="issueToken",
    method="POST",
    path="/token",
    tag="auth",
    security=(),
    success_status=200,
)
_ADAPTER_ISSUE_TOKEN: TypeAdapter[models.TokenResponse] = TypeAdapter(models.TokenResponse)

OP_REVOKE_TOKEN = OperationInfo(
    operation_id="revokeToken",
    method="POST",
    path="/token/revoke",
    tag="auth",
    security=(),
    success_status=200,
)

OPERATIONS: tuple[OperationInfo, ...] = (
    OP_LOGIN,
    OP_LOGOUT,
    OP_ISSUE_TOKEN,
    OP_REVOKE_TOKEN,
)


def build_router(
    provide: Callable[..., AuthService] | None = None, *, authenticator: Authenticator | None = None
) -> APIRouter:
    """Return the router of the operations tagged "auth", served by the service `provide` gives."""
    router = APIRouter()
    service_dependency = _rt.service_dependency(provide)

    @router.post(
        "/login",
        operation_id="login",
        status_code=204,
        response_model=None,
        responses={
            401: {"description": "Missing or invalid credentials."},
            413: {"description": "The body is larger than the configured limit."},
            415: {"description": "The body's Content-Type is not the one this operation accepts."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            429: {"description": "Too many attempts; retry after the given number of seconds."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Browser login that sets a session cookie",
    )
    async def login(
        request: Request,
        *,
        username: Annotated[
            str,
            Form(alias="username", description="The e-mail address.", max_length=254, pattern="^[^\\x00-\\x1F\\x7F]*$"),
        ],
        password: Annotated[str, Form(alias="password", max_length=128)],
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_LOGIN))],
        service: Annotated[AuthService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_LOGIN, principal=principal)
        impl = getattr(service, "login", None)
        if impl is None:
            return _rt.not_implemented(request, OP_LOGIN)
        body = await _rt.build_form_model(
            request,
            models.LoginForm,
            {
                "username": username,
                "password": password,
            },
        )
        try:
            result = await impl(ctx, body=body)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_LOGIN)
        return _rt.respond(
            ctx,
            result,
            status_code=204,
            adapter=None,
            statuses=(204, 401, 413, 415, 422, 429, 500),
        )

    @router.post(
        "/logout",
        operation_id="logout",
        status_code=204,
        response_model=None,
        responses={
            401: {"description": "Missing or invalid credentials."},
            403: {
                "description": (
                    "Authenticated, but not allowed (insufficient scope, not the owner, or a missing CSRF token)."
                )
            },
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="End the cookie session",
    )
    async def logout(
        request: Request,
        *,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_LOGOUT))],
        service: Annotated[AuthService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_LOGOUT, principal=principal)
        impl = getattr(service, "logout", None)
        if impl is None:
            return _rt.not_implemented(request, OP_LOGOUT)
        try:
            result = await impl(ctx)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_LOGOUT)
        return _rt.respond(
            ctx,
            result,
            status_code=204,
            adapter=None,
            statuses=(204, 401, 403, 500),
        )

    @router.post(
        "/token",
        operation_id="issueToken",
        status_code=200,
        response_model=models.TokenResponse,
        responses={
            400: {
                "description": (
                    "RFC 6749 \u00a75.2 error (invalid_request, invalid_grant, unsupported_grant_type, invalid_scope)."
                )
            },
            401: {"description": "RFC 6749 \u00a75.2 `invalid_client`."},
            413: {"description": "The body is larger than the configured limit."},
            415: {"description": "The body's Content-Type is not the one this operation accepts."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            429: {"description": "Too many attempts; retry after the given number of seconds."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="OAuth2 token endpoint (password and refresh_token grants)",
        description=(
            "RFC 6749 token endpoint. `grant_type=password` exchanges credentials for an "
            "access token and a\nrefresh token; `grant_type=refresh_token` rotates the "
            "refresh token (each one is single-use; reusing\none revokes its whole family)."
        ),
    )
    async def issue_token(
        request: Request,
        *,
        grant_type: Annotated[
            str,
            Form(
                alias="grant_type",
                description=("`password` or `refresh_token`; anything else is answered with `unsupported_grant_type`."),
                max_length=100,
            ),
        ],
        username: Annotated[
            str | None,
            Form(alias="username", description="The e-mail address.", max_length=254, pattern="^[^\\x00-\\x1F\\x7F]*$"),
        ] = None,
        password: Annotated[str | None, Form(alias="password", max_length=128)] = None,
        scope: Annotated[str | None, Form(alias="scope", description="Space-separated scopes.", max_length=200)] = None,
        refresh_token: Annotated[str | None, Form(alias="refresh_token", max_length=512)] = None,
        client_id: Annotated[str | None, Form(alias="client_id", max_length=100)] = None,
        client_secret: Annotated[str | None, Form(alias="client_secret", max_length=200)] = None,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_ISSUE_TOKEN))],
        service: Annotated[AuthService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_ISSUE_TOKEN, principal=principal)
        impl = getattr(service, "issue_token", None)
        if impl is None:
            return _rt.not_implemented(request, OP_ISSUE_TOKEN)
        body = await _rt.build_form_model(
            request,
            models.TokenRequest,
            {
                "grant_type": grant_type,
                "username": username,
                "password": password,
                "scope": scope,
                "refresh_token": refresh_token,
                "client_id": client_id,
                "client_secret": client_secret,
            },
        )
        try:
            result = await impl(ctx, body=body)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_ISSUE_TOKEN)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=_ADAPTER_ISSUE_TOKEN,
            statuses=(200, 400, 401, 413, 415, 422, 429, 500),
        )

    @router.post(
        "/token/revoke",
        operation_id="revokeToken",
        status_code=200,
        response_model=None,
        responses={
            400: {
                "description": (
                    "RFC 6749 \u00a75.2 error (invalid_request, invalid_grant, unsupported_grant_type, invalid_scope)."
                )
            },
            413: {"description": "The body is larger than the configured limit."},
            415: {"description": "The body's Content-Type is not the one this operation accepts."},
            422: {"description": "A parameter or the body breaks the contract; `errors` names each field."},
            500: {"description": "An unexpected error; the body never contains a traceback."},
        },
        summary="Revoke a refresh token (RFC 7009)",
        description="Answers 200 whether or not the token was known, as RFC 7009 requires.",
    )
    async def revoke_token(
        request: Request,
        *,
        token: Annotated[str, Form(alias="token", max_length=4096)],
        token_type_hint: Annotated[
            Literal["refresh_token", "access_token"] | None, Form(alias="token_type_hint")
        ] = None,
        principal: Annotated[Principal | None, Depends(_rt.principal_dependency(authenticator, OP_REVOKE_TOKEN))],
        service: Annotated[AuthService | None, Depends(service_dependency)],
    ) -> Response:
        ctx = _rt.RequestContext(operation=OP_REVOKE_TOKEN, principal=principal)
        impl = getattr(service, "revoke_token", None)
        if impl is None:
            return _rt.not_implemented(request, OP_REVOKE_TOKEN)
        body = await _rt.build_form_model(
            request,
            models.RevokeRequest,
            {
                "token": token,
                "token_type_hint": token_type_hint,
            },
        )
        try:
            result = await impl(ctx, body=body)
        except NotImplementedError:
            return _rt.not_implemented(request, OP_REVOKE_TOKEN)
        return _rt.respond(
            ctx,
            result,
            status_code=200,
            adapter=None,
            statuses=(200, 400, 413, 415, 422, 500),
        )

    return router


__all__ = ["OPERATIONS", "OP_ISSUE_TOKEN", "OP_LOGIN", "OP_LOGOUT", "OP_REVOKE_TOKEN", "build_router"]
