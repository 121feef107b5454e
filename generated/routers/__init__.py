"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import cast

from fastapi import APIRouter

from .. import protocols
from ..runtime import Authenticator, OperationInfo
from . import auth as _auth
from . import demo as _demo
from . import files as _files
from . import items as _items
from . import system as _system
from . import users as _users

OPERATIONS: tuple[OperationInfo, ...] = (
    _system.OP_READ_ROOT,
    _files.OP_UPLOAD_FILE,
    _files.OP_GET_FILE,
    _files.OP_DOWNLOAD_FILE,
    _system.OP_GET_HEALTH,
    _items.OP_LIST_ITEMS,
    _items.OP_CREATE_ITEM,
    _items.OP_DELETE_ITEM,
    _items.OP_GET_ITEM,
    _items.OP_UPDATE_ITEM,
    _items.OP_REPLACE_ITEM,
    _items.OP_UPLOAD_ITEM_IMAGE,
    _demo.OP_READ_LAST_QUERY,
    _auth.OP_LOGIN,
    _auth.OP_LOGOUT,
    _system.OP_GET_METRICS,
    _demo.OP_GET_MODEL,
    _system.OP_GET_READINESS,
    _demo.OP_SEND_NOTIFICATION,
    _system.OP_GET_PUBLIC_SETTINGS,
    _auth.OP_ISSUE_TOKEN,
    _auth.OP_REVOKE_TOKEN,
    _demo.OP_GET_UNICORN,
    _users.OP_LIST_USERS,
    _users.OP_CREATE_USER,
    _users.OP_READ_CURRENT_USER,
    _users.OP_UPDATE_CURRENT_USER,
    _users.OP_DELETE_USER,
    _users.OP_GET_USER,
)


def build_routers(
    providers: Mapping[str, Callable[..., object]] | None = None, *, authenticator: Authenticator | None = None
) -> list[APIRouter]:
    """Return every generated APIRouter; each tag's service comes from `providers[<router module name>]`."""
    found = providers or {}
    return [
        _auth.build_router(
            cast("Callable[..., protocols.AuthService] | None", found.get("auth")),
            authenticator=authenticator,
        ),
        _demo.build_router(
            cast("Callable[..., protocols.DemoService] | None", found.get("demo")),
            authenticator=authenticator,
        ),
        _files.build_router(
            cast("Callable[..., protocols.FilesService] | None", found.get("files")),
            authenticator=authenticator,
        ),
        _items.build_router(
            cast("Callable[..., protocols.ItemsService] | None", found.get("items")),
            authenticator=authenticator,
        ),
        _system.build_router(
            cast("Callable[..., protocols.SystemService] | None", found.get("system")),
            authenticator=authenticator,
        ),
        _users.build_router(
            cast("Callable[..., protocols.UsersService] | None", found.get("users")),
            authenticator=authenticator,
        ),
    ]


__all__ = ["OPERATIONS", "build_routers"]
