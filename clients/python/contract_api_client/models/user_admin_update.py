from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.scope import Scope, check_scope
from ..types import UNSET, Unset

T = TypeVar("T", bound="UserAdminUpdate")


@_attrs_define
class UserAdminUpdate:
    """
    Attributes:
        is_active (bool | Unset): `false` ends every session of the account.
        scopes (list[Scope] | Unset):
    """

    is_active: bool | Unset = UNSET
    scopes: list[Scope] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        is_active = self.is_active

        scopes: list[str] | Unset = UNSET
        if not isinstance(self.scopes, Unset):
            scopes = []
            for scopes_item_data in self.scopes:
                scopes_item: str = scopes_item_data
                scopes.append(scopes_item)

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if is_active is not UNSET:
            field_dict["is_active"] = is_active
        if scopes is not UNSET:
            field_dict["scopes"] = scopes

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        is_active = d.pop("is_active", UNSET)

        _scopes = d.pop("scopes", UNSET)
        scopes: list[Scope] | Unset = UNSET
        if _scopes is not UNSET:
            scopes = []
            for scopes_item_data in _scopes:
                scopes_item = check_scope(scopes_item_data)

                scopes.append(scopes_item)

        user_admin_update = cls(
            is_active=is_active,
            scopes=scopes,
        )

        return user_admin_update
