from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.public_settings_environment import PublicSettingsEnvironment, check_public_settings_environment

T = TypeVar("T", bound="PublicSettings")


@_attrs_define
class PublicSettings:
    """
    Attributes:
        app_name (str):
        version (str):
        environment (PublicSettingsEnvironment):
        max_page_size (int):
        max_upload_bytes (int):
    """

    app_name: str
    version: str
    environment: PublicSettingsEnvironment
    max_page_size: int
    max_upload_bytes: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        app_name = self.app_name

        version = self.version

        environment: str = self.environment

        max_page_size = self.max_page_size

        max_upload_bytes = self.max_upload_bytes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "app_name": app_name,
                "version": version,
                "environment": environment,
                "max_page_size": max_page_size,
                "max_upload_bytes": max_upload_bytes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        app_name = d.pop("app_name")

        version = d.pop("version")

        environment = check_public_settings_environment(d.pop("environment"))

        max_page_size = d.pop("max_page_size")

        max_upload_bytes = d.pop("max_upload_bytes")

        public_settings = cls(
            app_name=app_name,
            version=version,
            environment=environment,
            max_page_size=max_page_size,
            max_upload_bytes=max_upload_bytes,
        )

        public_settings.additional_properties = d
        return public_settings

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
