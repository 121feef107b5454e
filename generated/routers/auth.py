"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter

from .. import models
from .. import runtime as _rt
from ..protocols import AuthService, UnimplementedAuthService
from ..runtime import Authenticator, OperationInfo, RequestContext

OP_LOGIN = OperationInfo(
    operation_id="login",
    method="POST",
    path="/login",
    tag="auth",
    security=(),
    success_status=204,
    statuses=(204, 401, 403, 413, 415, 422, 429, 500, 503),
)


class LoginForm(BaseModel):
    username: Annotated[str, Field(max_length=254, pattern="^[^\\x00-\\x1F\\x7F]*$")]
    password: Annotated[str, Field(max_length=128)]


OP_LOGOUT = OperationInfo(
    operation_id="logout",
    method="POST",
    path="/logout",
    tag="auth",
    security=({}, {"OAuth2PasswordBearer": ()}, {"CookieSession": ()}),
    success_status=204,
    statuses=(204, 401, 403, 500, 503),
)

OP_ISSUE_TOKEN = OperationInfo(
    operation_id="issueToken",
    method="POST",
    path="/token",
    tag="auth",
    security=(),
    success_status=200,
    statuses=(200, 400, 401, 413, 415, 422, 429, 500, 503),
)


class IssueTokenForm(BaseModel):
    grant_type: Annotated[str, Field(max_length=100)]
    username: Annotated[str | None, Field(max_length=254, pattern="^[^\\x00-\\x1F\\x7F]*$")] = None
    password: Annotated[str | None, Field(max_length=128)] = None
    scope: Annotated[str | None, Field(max_length=200)] = None
    refresh_token: Annotated[str | None, Field(max_length=512)] = None
    client_id: Annotated[str | None, Field(max_length=100)] = None
    client_secret: Annotated[str | None, Field(max_length=200)] = None


OP_REVOKE_TOKEN = OperationInfo(
    operation_id="revokeToken",
    method="POST",
    path="/token/revoke",
    tag="auth",
    security=(),
    success_status=200,
    statuses=(200, 400, 413, 415, 422, 500, 503),
)


class RevokeTokenForm(BaseModel):
    token: Annotated[str, Field(max_length=4096)]
    token_type_hint: Annotated[str | None, Field(max_length=100)] = None


OPERATIONS: tuple[OperationInfo, ...] = (
    OP_LOGIN,
    OP_LOGOUT,
    OP_ISSUE_TOKEN,
    OP_REVOKE_TOKEN,
)

_LOGIN_FIELDS = _rt.FormFields(
    LoginForm,
    (
        _rt.Part("username", "username"),
        _rt.Part("password", "password"),
    ),
    accepted=_rt.FORM_MEDIA_TYPE,
)
_LOGIN_BODY = _rt.FormModel(_LOGIN_FIELDS, TypeAdapter(models.LoginForm))
_LOGIN_RESPONDER = _rt.Responder(
    OP_LOGIN,
    None,
)

_LOGOUT_RESPONDER = _rt.Responder(
    OP_LOGOUT,
    None,
)

_ISSUE_TOKEN_FIELDS = _rt.FormFields(
    IssueTokenForm,
    (
        _rt.Part("grant_type", "grant_type"),
        _rt.Part("username", "username"),
        _rt.Part("password", "password"),
        _rt.Part("scope", "scope"),
        _rt.Part("refresh_token", "refresh_token"),
        _rt.Part("client_id", "client_id"),
        _rt.Part("client_secret", "client_secret"),
    ),
    accepted=_rt.FORM_MEDIA_TYPE,
)
_ISSUE_TOKEN_BODY = _rt.FormModel(_ISSUE_TOKEN_FIELDS, TypeAdapter(models.TokenRequest))
_ISSUE_TOKEN_RESPONDER = _rt.Responder(
    OP_ISSUE_TOKEN,
    TypeAdapter(models.TokenResponse),
)

_REVOKE_TOKEN_FIELDS = _rt.FormFields(
    RevokeTokenForm,
    (
        _rt.Part("token", "token"),
        _rt.Part("token_type_hint", "token_type_hint"),
    ),
    accepted=_rt.FORM_MEDIA_TYPE,
)
_REVOKE_TOKEN_BODY = _rt.FormModel(_REVOKE_TOKEN_FIELDS, TypeAdapter(models.RevokeRequest))
_REVOKE_TOKEN_RESPONDER = _rt.Responder(
    OP_REVOKE_TOKEN,
    None,
)


def bind(service: AuthService, authenticator: Authenticator | None = None) -> tuple[_rt.Endpoint[Any, Any], ...]:
    """The operations tagged "auth", each calling its method of `service` directly."""

    async def login(ctx: RequestContext, p: None, body: models.LoginForm) -> object:
        await service.login(ctx, body=body)
        return None

    async def logout(ctx: RequestContext, p: None, body: None) -> object:
        await service.logout(ctx)
        return None

    async def issue_token(ctx: RequestContext, p: None, body: models.TokenRequest) -> object:
        return await service.issue_token(ctx, body=body)

    async def revoke_token(ctx: RequestContext, p: None, body: models.RevokeRequest) -> object:
        await service.revoke_token(ctx, body=body)
        return None

    return (
        _rt.Endpoint(
            OP_LOGIN,
            login,
            parameters=_rt.NoParameters(),
            body=_LOGIN_BODY,
            responder=_LOGIN_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).login is not UnimplementedAuthService.login,
        ),
        _rt.Endpoint(
            OP_LOGOUT,
            logout,
            parameters=_rt.NoParameters(),
            body=_rt.NoBody(),
            responder=_LOGOUT_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).logout is not UnimplementedAuthService.logout,
        ),
        _rt.Endpoint(
            OP_ISSUE_TOKEN,
            issue_token,
            parameters=_rt.NoParameters(),
            body=_ISSUE_TOKEN_BODY,
            responder=_ISSUE_TOKEN_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).issue_token is not UnimplementedAuthService.issue_token,
        ),
        _rt.Endpoint(
            OP_REVOKE_TOKEN,
            revoke_token,
            parameters=_rt.NoParameters(),
            body=_REVOKE_TOKEN_BODY,
            responder=_REVOKE_TOKEN_RESPONDER,
            authenticator=authenticator,
            implemented=type(service).revoke_token is not UnimplementedAuthService.revoke_token,
        ),
    )


__all__ = ["OPERATIONS", "OP_ISSUE_TOKEN", "OP_LOGIN", "OP_LOGOUT", "OP_REVOKE_TOKEN", "bind"]
