"""Generated from openapi/openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from .. import runtime as _rt
from ..protocols import Services
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
    _users.OP_UPDATE_USER,
)


def _endpoints(services: Services, authenticator: Authenticator | None) -> list[_rt.Endpoint[Any, Any]]:
    return [
        *_auth.bind(services.auth, authenticator),
        *_demo.bind(services.demo, authenticator),
        *_files.bind(services.files, authenticator),
        *_items.bind(services.items, authenticator),
        *_system.bind(services.system, authenticator),
        *_users.bind(services.users, authenticator),
    ]


def build_routers(services: Services | None = None, *, authenticator: Authenticator | None = None) -> list[APIRouter]:
    """Every route of the contract, each calling its service in `services` (all 501 without them)."""
    bound = services if services is not None else Services.unimplemented()
    return [_rt.build_router(_endpoints(bound, authenticator))]


def implemented_operations(services: Services) -> frozenset[OperationInfo]:
    """The operations whose method `services` implements (not inherited from an `Unimplemented...` base)."""
    return frozenset(e.operation for e in _endpoints(services, None) if e.implemented)


__all__ = ["OPERATIONS", "build_routers", "implemented_operations"]
