"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import (
    MISSING,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    SecretStr,
    StrictBool,
    StrictBytes,
    StrictFloat,
    StrictStr,
)

from .runtime import formats as _formats


class Message(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    message: StrictStr


class Status(StrEnum):
    ok = "ok"


class Health(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    status: Status


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class PublicSettings(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    app_name: StrictStr
    version: StrictStr
    environment: Environment
    max_page_size: _formats.Integer
    max_upload_bytes: _formats.Integer


class FieldError(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    loc: list[StrictStr | _formats.Integer]
    """
    Where the invalid value is, e.g. `["body", "price"]` or `["query", "limit"]`.
    """
    msg: StrictStr
    type: StrictStr
    """
    Machine-readable error code.
    """


class Error(StrEnum):
    invalid_request = "invalid_request"
    invalid_client = "invalid_client"
    invalid_grant = "invalid_grant"
    unauthorized_client = "unauthorized_client"
    unsupported_grant_type = "unsupported_grant_type"
    invalid_scope = "invalid_scope"


class OAuthError(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    error: Error
    error_description: StrictStr | MISSING = MISSING


class Image(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        validate_by_name=True,
    )
    url: Annotated[
        StrictStr,
        Field(
            max_length=2048,
            pattern="^https?://(?:[A-Za-z0-9\\-._~!$&()*+,;=]|%[0-9A-Fa-f]{2})+(?::[0-9]{1,5})?(?:/(?:[A-Za-z0-9\\-._~!$&()*+,;=:@]|%[0-9A-Fa-f]{2})*)*(?:\\?(?:[A-Za-z0-9\\-._~!$&()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?(?:#(?:[A-Za-z0-9\\-._~!$&()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?$",
        ),
    ]
    """
    An absolute http(s) URL in RFC 3986 form (ASCII; other characters percent-encoded).
    """
    name: Annotated[StrictStr, Field(max_length=100, min_length=1, pattern="^[^\\x00-\\x1F\\x7F]+$")]


class Tag(RootModel[StrictStr]):
    root: Annotated[StrictStr, Field(max_length=50, min_length=1, pattern="^[^\\x00-\\x1F\\x7F]+$")]


class ItemCreate(BaseModel):
    """
    A new item, or the full replacement of one.
    """

    model_config = ConfigDict(
        extra="forbid",
        validate_by_name=True,
    )
    name: Annotated[StrictStr, Field(max_length=100, min_length=1, pattern="^[^\\x00-\\x1F\\x7F]+$")]
    description: Annotated[StrictStr | MISSING | None, Field(max_length=300, pattern="^[^\\x00]*$")] = MISSING
    price: Annotated[StrictFloat, Field(gt=0.0, le=1000000000.0)]
    tax: Annotated[StrictFloat | MISSING | None, Field(ge=0.0, le=1000000000.0)] = MISSING
    tags: Annotated[list[Tag], Field(max_length=20, validate_default=True)] = []
    images: Annotated[list[Image], Field(max_length=10, validate_default=True)] = []


class ItemPatch(BaseModel):
    """
    The fields to change; absent fields keep their value.
    """

    model_config = ConfigDict(
        extra="forbid",
        validate_by_name=True,
    )
    name: Annotated[StrictStr | MISSING, Field(max_length=100, min_length=1, pattern="^[^\\x00-\\x1F\\x7F]+$")] = (
        MISSING
    )
    description: Annotated[StrictStr | MISSING | None, Field(max_length=300, pattern="^[^\\x00]*$")] = MISSING
    price: Annotated[StrictFloat | MISSING, Field(gt=0.0, le=1000000000.0)] = MISSING
    tax: Annotated[StrictFloat | MISSING | None, Field(ge=0.0, le=1000000000.0)] = MISSING
    tags: Annotated[list[Tag] | MISSING, Field(max_length=20)] = MISSING
    images: Annotated[list[Image] | MISSING, Field(max_length=10)] = MISSING


class Item(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    id: Annotated[int, Field(ge=1, le=9223372036854775807), _formats.INTEGER]
    name: StrictStr
    description: StrictStr | None
    price: StrictFloat
    tax: StrictFloat | None
    tags: list[StrictStr]
    images: list[Image]
    owner_id: _formats.Integer | None
    """
    The owning user's id; null for items created before users existed.
    """
    created_at: _formats.DateTime
    updated_at: _formats.DateTime


class ImageUpload(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    file: StrictBytes
    """
    The image: PNG, JPEG, GIF or WebP.
    """
    name: Annotated[StrictStr | MISSING, Field(max_length=100, min_length=1, pattern="^[^\\x00-\\x1F\\x7F]+$")] = (
        MISSING
    )
    """
    Caption; defaults to the file name (without control characters).
    """


class FileUpload(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    file: StrictBytes


class ContentType(StrEnum):
    """
    Decided from the file's first bytes, never from the client.
    """

    application_octet_stream = "application/octet-stream"
    image_png = "image/png"
    image_jpeg = "image/jpeg"
    image_gif = "image/gif"
    image_webp = "image/webp"


class FileInfo(BaseModel):
    """
    A stored file's metadata.
    """

    model_config = ConfigDict(
        validate_by_name=True,
    )
    id: UUID
    """
    The file's id; also its storage key.
    """
    filename: Annotated[StrictStr, Field(max_length=255)]
    """
    The client's file name without path components (metadata only; `file` when none was sent).
    """
    content_type: ContentType
    """
    Decided from the file's first bytes, never from the client.
    """
    size: Annotated[int, Field(ge=0), _formats.INTEGER]
    """
    In bytes.
    """
    sha256: Annotated[StrictStr, Field(pattern="^[0-9a-f]{64}$")]
    """
    The SHA-256 of the bytes, in hex.
    """
    owner_id: _formats.Integer | None
    """
    The uploader's user id.
    """
    created_at: _formats.DateTime


class Scope(StrEnum):
    items_read = "items:read"
    items_write = "items:write"
    users_read = "users:read"
    users_write = "users:write"
    notifications_send = "notifications:send"
    users_admin = "users:admin"


class User(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    id: Annotated[int, Field(ge=1, le=9223372036854775807), _formats.INTEGER]
    email: _formats.Email
    full_name: StrictStr | None
    is_active: StrictBool
    scopes: list[Scope]
    created_at: _formats.DateTime


class UserCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        validate_by_name=True,
    )
    email: Annotated[_formats.Email, Field(max_length=254)]
    password: Annotated[SecretStr, Field(max_length=128, min_length=8)]
    full_name: Annotated[StrictStr | MISSING | None, Field(max_length=100, pattern="^[^\\x00-\\x1F\\x7F]*$")] = MISSING


class UserUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        validate_by_name=True,
    )
    email: Annotated[_formats.Email | MISSING, Field(max_length=254)] = MISSING
    full_name: Annotated[StrictStr | MISSING | None, Field(max_length=100, pattern="^[^\\x00-\\x1F\\x7F]*$")] = MISSING
    password: Annotated[SecretStr | MISSING, Field(max_length=128, min_length=8)] = MISSING
    current_password: Annotated[SecretStr | MISSING, Field(max_length=128)] = MISSING
    """
    Required to change `email` or `password`.
    """


class AccountDeletion(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        validate_by_name=True,
    )
    current_password: Annotated[SecretStr | MISSING, Field(max_length=128)] = MISSING
    """
    Required to delete your own account.
    """


class UserAdminUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        validate_by_name=True,
    )
    is_active: StrictBool | MISSING = MISSING
    """
    `false` ends every session of the account.
    """
    scopes: Annotated[list[Scope] | MISSING, Field(max_length=10)] = MISSING


class TokenRequest(BaseModel):
    """
    RFC 6749 §4.3 / §6 token request.
    """

    model_config = ConfigDict(
        validate_by_name=True,
    )
    grant_type: Annotated[StrictStr, Field(max_length=100)]
    """
    `password` or `refresh_token`; anything else is answered with `unsupported_grant_type`.
    """
    username: Annotated[StrictStr | MISSING, Field(max_length=254, pattern="^[^\\x00-\\x1F\\x7F]*$")] = MISSING
    """
    The e-mail address.
    """
    password: Annotated[SecretStr | MISSING, Field(max_length=128)] = MISSING
    scope: Annotated[StrictStr | MISSING, Field(max_length=200)] = MISSING
    """
    Space-separated scopes.
    """
    refresh_token: Annotated[StrictStr | MISSING, Field(max_length=512)] = MISSING
    client_id: Annotated[StrictStr | MISSING, Field(max_length=100)] = MISSING
    client_secret: Annotated[SecretStr | MISSING, Field(max_length=200)] = MISSING


class TokenType(StrEnum):
    bearer = "bearer"


class TokenResponse(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    access_token: StrictStr
    token_type: TokenType
    expires_in: _formats.Integer
    """
    Access-token lifetime in seconds.
    """
    refresh_token: StrictStr | MISSING = MISSING
    scope: StrictStr


class RevokeRequest(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    token: Annotated[StrictStr, Field(max_length=4096)]
    token_type_hint: Annotated[StrictStr | MISSING, Field(max_length=100)] = MISSING
    """
    `refresh_token` or `access_token`; as RFC 7009 §2.2 allows, the hint is not needed and unknown values are ignored.
    """


class LoginForm(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    username: Annotated[StrictStr, Field(max_length=254, pattern="^[^\\x00-\\x1F\\x7F]*$")]
    """
    The e-mail address.
    """
    password: Annotated[SecretStr, Field(max_length=128)]


class ModelName(StrEnum):
    alexnet = "alexnet"
    resnet = "resnet"
    lenet = "lenet"


class ModelInfo(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    model_name: ModelName
    message: StrictStr


class Unicorn(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    name: StrictStr


class Source(StrEnum):
    query = "query"
    cookie = "cookie"
    none = "none"


class LastQuery(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
    )
    q: StrictStr | MISSING | None = MISSING
    source: Source


class Problem(BaseModel):
    """
    An RFC 9457 problem document.
    """

    model_config = ConfigDict(
        validate_by_name=True,
    )
    type: StrictStr
    """
    Identifies the kind of problem.
    """
    title: StrictStr
    """
    Short summary of the kind of problem.
    """
    status: Annotated[int, Field(ge=100, le=599), _formats.INTEGER]
    detail: StrictStr | MISSING = MISSING
    """
    What went wrong in this occurrence.
    """
    instance: StrictStr | MISSING = MISSING
    """
    The request path.
    """
    errors: list[FieldError] | MISSING = MISSING
    """
    One entry per invalid field (validation problems only).
    """


__all__ = [
    "AccountDeletion",
    "ContentType",
    "Environment",
    "Error",
    "FieldError",
    "FileInfo",
    "FileUpload",
    "Health",
    "Image",
    "ImageUpload",
    "Item",
    "ItemCreate",
    "ItemPatch",
    "LastQuery",
    "LoginForm",
    "Message",
    "ModelInfo",
    "ModelName",
    "OAuthError",
    "Problem",
    "PublicSettings",
    "RevokeRequest",
    "Scope",
    "Source",
    "Status",
    "Tag",
    "TokenRequest",
    "TokenResponse",
    "TokenType",
    "Unicorn",
    "User",
    "UserAdminUpdate",
    "UserCreate",
    "UserUpdate",
]
