from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="UserUpdate")


@_attrs_define
class UserUpdate:
    """
    Attributes:
        email (str | Unset):
        full_name (None | str | Unset):
        password (str | Unset):
        current_password (str | Unset): Required to change `email` or `password`.
    """

    email: str | Unset = UNSET
    full_name: None | str | Unset = UNSET
    password: str | Unset = UNSET
    current_password: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        email = self.email

        full_name: None | str | Unset
        if isinstance(self.full_name, Unset):
            full_name = UNSET
        else:
            full_name = self.full_name

        password = self.password

        current_password = self.current_password

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if email is not UNSET:
            field_dict["email"] = email
        if full_name is not UNSET:
            field_dict["full_name"] = full_name
        if password is not UNSET:
            field_dict["password"] = password
        if current_password is not UNSET:
            field_dict["current_password"] = current_password

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        email = d.pop("email", UNSET)

        def _parse_full_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        full_name = _parse_full_name(d.pop("full_name", UNSET))

        password = d.pop("password", UNSET)

        current_password = d.pop("current_password", UNSET)

        user_update = cls(
            email=email,
            full_name=full_name,
            password=password,
            current_password=current_password,
        )

        return user_update
