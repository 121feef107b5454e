"""Which contract operations the app implements (the rest answer 501 and are not fuzzed yet)."""

from __future__ import annotations

from generated import OPERATIONS
from impl.auth import SqlAuthService
from impl.demo import InProcessDemoService
from impl.items import SqlItemsService
from impl.system import AppSystemService
from impl.users import SqlUsersService

SERVICE_CLASSES: dict[str, type] = {
    "system": AppSystemService,
    "items": SqlItemsService,
    "demo": InProcessDemoService,
    "users": SqlUsersService,
    "auth": SqlAuthService,
}


def _snake(operation_id: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation_id).lstrip("_")


def implemented_operation_ids() -> set[str]:
    """operationIds whose tag has a service class defining the operation's method."""
    return {
        op.operation_id
        for op in OPERATIONS
        if op.tag in SERVICE_CLASSES and hasattr(SERVICE_CLASSES[op.tag], _snake(op.operation_id))
    }
