"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from . import models
from .runtime import Download, NotImplementedOperation, RequestContext, UploadedFile


class AuthService(Protocol):
    """OAuth2 password flow, refresh tokens, cookie sessions."""

    async def issue_token(self, ctx: RequestContext, *, body: models.TokenRequest) -> models.TokenResponse:
        """OAuth2 token endpoint (password and refresh_token grants)"""
        ...

    async def login(self, ctx: RequestContext, *, body: models.LoginForm) -> None:
        """Browser login that sets a session cookie"""
        ...

    async def logout(self, ctx: RequestContext) -> None:
        """End the cookie session"""
        ...

    async def revoke_token(self, ctx: RequestContext, *, body: models.RevokeRequest) -> None:
        """Revoke a refresh token (RFC 7009)"""
        ...


class UnimplementedAuthService:
    """Every operation of AuthService answering 501: subclass it to implement a part on purpose."""

    async def issue_token(self, ctx: RequestContext, *, body: models.TokenRequest) -> models.TokenResponse:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def login(self, ctx: RequestContext, *, body: models.LoginForm) -> None:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def logout(self, ctx: RequestContext) -> None:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def revoke_token(self, ctx: RequestContext, *, body: models.RevokeRequest) -> None:
        raise NotImplementedOperation(ctx.operation.operation_id)


class DemoService(Protocol):
    """Small demonstrations of framework features."""

    async def get_model(self, ctx: RequestContext, *, model_name: models.ModelName) -> models.ModelInfo:
        """Describe a model (enum path parameter)"""
        ...

    async def get_unicorn(self, ctx: RequestContext, *, name: str) -> models.Unicorn:
        """Get a unicorn (418 for "yolo", raised as a custom exception)"""
        ...

    async def read_last_query(self, ctx: RequestContext, *, q: str | None, last_query: str | None) -> models.LastQuery:
        """A query-or-cookie sub-dependency"""
        ...

    async def send_notification(self, ctx: RequestContext, *, email: str, q: str | None) -> models.Message:
        """Queue a notification e-mail (background task)"""
        ...


class UnimplementedDemoService:
    """Every operation of DemoService answering 501: subclass it to implement a part on purpose."""

    async def get_model(self, ctx: RequestContext, *, model_name: models.ModelName) -> models.ModelInfo:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def get_unicorn(self, ctx: RequestContext, *, name: str) -> models.Unicorn:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def read_last_query(self, ctx: RequestContext, *, q: str | None, last_query: str | None) -> models.LastQuery:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def send_notification(self, ctx: RequestContext, *, email: str, q: str | None) -> models.Message:
        raise NotImplementedOperation(ctx.operation.operation_id)


class FilesService(Protocol):
    """File uploads and downloads."""

    async def download_file(
        self, ctx: RequestContext, *, file_id: uuid.UUID, if_none_match: str | None, range: str | None
    ) -> Download:
        """Download a file"""
        ...

    async def get_file(self, ctx: RequestContext, *, file_id: uuid.UUID) -> models.FileInfo:
        """Get a file's metadata"""
        ...

    async def upload_file(self, ctx: RequestContext, *, file: UploadedFile) -> models.FileInfo:
        """Upload a file"""
        ...


class UnimplementedFilesService:
    """Every operation of FilesService answering 501: subclass it to implement a part on purpose."""

    async def download_file(
        self, ctx: RequestContext, *, file_id: uuid.UUID, if_none_match: str | None, range: str | None
    ) -> Download:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def get_file(self, ctx: RequestContext, *, file_id: uuid.UUID) -> models.FileInfo:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def upload_file(self, ctx: RequestContext, *, file: UploadedFile) -> models.FileInfo:
        raise NotImplementedOperation(ctx.operation.operation_id)


class ItemsService(Protocol):
    """The item catalogue."""

    async def create_item(
        self, ctx: RequestContext, *, idempotency_key: str | None, body: models.ItemCreate
    ) -> models.Item:
        """Create an item"""
        ...

    async def delete_item(self, ctx: RequestContext, *, item_id: int, if_match: str | None) -> None:
        """Delete an item"""
        ...

    async def get_item(self, ctx: RequestContext, *, item_id: int) -> models.Item:
        """Get one item"""
        ...

    async def list_items(
        self, ctx: RequestContext, *, skip: int, limit: int, q: str | None, mine: bool
    ) -> list[models.Item]:
        """List items"""
        ...

    async def replace_item(
        self, ctx: RequestContext, *, item_id: int, if_match: str | None, body: models.ItemCreate
    ) -> models.Item:
        """Replace an item"""
        ...

    async def update_item(
        self, ctx: RequestContext, *, item_id: int, if_match: str | None, body: models.ItemPatch
    ) -> models.Item:
        """Update some fields of an item"""
        ...

    async def upload_item_image(
        self, ctx: RequestContext, *, item_id: int, file: UploadedFile, name: str | None
    ) -> models.Item:
        """Attach an image to an item"""
        ...


class UnimplementedItemsService:
    """Every operation of ItemsService answering 501: subclass it to implement a part on purpose."""

    async def create_item(
        self, ctx: RequestContext, *, idempotency_key: str | None, body: models.ItemCreate
    ) -> models.Item:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def delete_item(self, ctx: RequestContext, *, item_id: int, if_match: str | None) -> None:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def get_item(self, ctx: RequestContext, *, item_id: int) -> models.Item:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def list_items(
        self, ctx: RequestContext, *, skip: int, limit: int, q: str | None, mine: bool
    ) -> list[models.Item]:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def replace_item(
        self, ctx: RequestContext, *, item_id: int, if_match: str | None, body: models.ItemCreate
    ) -> models.Item:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def update_item(
        self, ctx: RequestContext, *, item_id: int, if_match: str | None, body: models.ItemPatch
    ) -> models.Item:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def upload_item_image(
        self, ctx: RequestContext, *, item_id: int, file: UploadedFile, name: str | None
    ) -> models.Item:
        raise NotImplementedOperation(ctx.operation.operation_id)


class SystemService(Protocol):
    """Liveness, readiness, public settings and metrics."""

    async def get_health(self, ctx: RequestContext) -> models.Health:
        """Liveness probe"""
        ...

    async def get_metrics(self, ctx: RequestContext) -> Download:
        """Prometheus metrics"""
        ...

    async def get_public_settings(self, ctx: RequestContext) -> models.PublicSettings:
        """Public settings"""
        ...

    async def get_readiness(self, ctx: RequestContext) -> models.Health:
        """Readiness probe"""
        ...

    async def read_root(self, ctx: RequestContext) -> models.Message:
        """Say hello"""
        ...


class UnimplementedSystemService:
    """Every operation of SystemService answering 501: subclass it to implement a part on purpose."""

    async def get_health(self, ctx: RequestContext) -> models.Health:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def get_metrics(self, ctx: RequestContext) -> Download:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def get_public_settings(self, ctx: RequestContext) -> models.PublicSettings:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def get_readiness(self, ctx: RequestContext) -> models.Health:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def read_root(self, ctx: RequestContext) -> models.Message:
        raise NotImplementedOperation(ctx.operation.operation_id)


class UsersService(Protocol):
    """User accounts."""

    async def create_user(self, ctx: RequestContext, *, body: models.UserCreate) -> models.User:
        """Sign up"""
        ...

    async def delete_user(self, ctx: RequestContext, *, user_id: int, body: models.AccountDeletion | None) -> None:
        """Delete a user (self or administrator)"""
        ...

    async def get_user(self, ctx: RequestContext, *, user_id: int) -> models.User:
        """Get a user (self or administrator)"""
        ...

    async def list_users(self, ctx: RequestContext, *, skip: int, limit: int) -> list[models.User]:
        """List users (administrators only)"""
        ...

    async def read_current_user(self, ctx: RequestContext) -> models.User:
        """The authenticated user"""
        ...

    async def update_current_user(self, ctx: RequestContext, *, body: models.UserUpdate) -> models.User:
        """Change the authenticated user's name, email or password"""
        ...

    async def update_user(self, ctx: RequestContext, *, user_id: int, body: models.UserAdminUpdate) -> models.User:
        """Change an account's status or scopes (administrators only)"""
        ...


class UnimplementedUsersService:
    """Every operation of UsersService answering 501: subclass it to implement a part on purpose."""

    async def create_user(self, ctx: RequestContext, *, body: models.UserCreate) -> models.User:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def delete_user(self, ctx: RequestContext, *, user_id: int, body: models.AccountDeletion | None) -> None:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def get_user(self, ctx: RequestContext, *, user_id: int) -> models.User:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def list_users(self, ctx: RequestContext, *, skip: int, limit: int) -> list[models.User]:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def read_current_user(self, ctx: RequestContext) -> models.User:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def update_current_user(self, ctx: RequestContext, *, body: models.UserUpdate) -> models.User:
        raise NotImplementedOperation(ctx.operation.operation_id)

    async def update_user(self, ctx: RequestContext, *, user_id: int, body: models.UserAdminUpdate) -> models.User:
        raise NotImplementedOperation(ctx.operation.operation_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    """The implementation of the contract, one service per tag: the one typed binding of code to contract."""

    auth: AuthService

    demo: DemoService

    files: FilesService

    items: ItemsService

    system: SystemService

    users: UsersService

    @classmethod
    def unimplemented(cls) -> Services:
        """Services answering 501 for every operation (a runnable stub of the contract)."""
        return cls(
            auth=UnimplementedAuthService(),
            demo=UnimplementedDemoService(),
            files=UnimplementedFilesService(),
            items=UnimplementedItemsService(),
            system=UnimplementedSystemService(),
            users=UnimplementedUsersService(),
        )


__all__ = [
    "AuthService",
    "DemoService",
    "FilesService",
    "ItemsService",
    "Services",
    "SystemService",
    "UnimplementedAuthService",
    "UnimplementedDemoService",
    "UnimplementedFilesService",
    "UnimplementedItemsService",
    "UnimplementedSystemService",
    "UnimplementedUsersService",
    "UsersService",
]
