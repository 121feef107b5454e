from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Image")


@_attrs_define
class Image:
    """
    Attributes:
        url (str): An absolute http(s) URL in RFC 3986 form (ASCII; other characters percent-encoded).
        name (str):
    """

    url: str
    name: str

    def to_dict(self) -> dict[str, Any]:
        url = self.url

        name = self.name

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "url": url,
                "name": name,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        url = d.pop("url")

        name = d.pop("name")

        image = cls(
            url=url,
            name=name,
        )

        return image
