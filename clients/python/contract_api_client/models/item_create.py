from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.image import Image


T = TypeVar("T", bound="ItemCreate")


@_attrs_define
class ItemCreate:
    """A new item, or the full replacement of one.

    Attributes:
        name (str):
        price (float):
        description (None | str | Unset):
        tax (float | None | Unset):
        tags (list[str] | Unset):
        images (list[Image] | Unset):
    """

    name: str
    price: float
    description: None | str | Unset = UNSET
    tax: float | None | Unset = UNSET
    tags: list[str] | Unset = UNSET
    images: list[Image] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        price = self.price

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        tax: float | None | Unset
        if isinstance(self.tax, Unset):
            tax = UNSET
        else:
            tax = self.tax

        tags: list[str] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags

        images: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.images, Unset):
            images = []
            for images_item_data in self.images:
                images_item = images_item_data.to_dict()
                images.append(images_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "price": price,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if tax is not UNSET:
            field_dict["tax"] = tax
        if tags is not UNSET:
            field_dict["tags"] = tags
        if images is not UNSET:
            field_dict["images"] = images

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.image import Image  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        price = d.pop("price")

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_tax(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        tax = _parse_tax(d.pop("tax", UNSET))

        tags = cast(list[str], d.pop("tags", UNSET))

        _images = d.pop("images", UNSET)
        images: list[Image] | Unset = UNSET
        if _images is not UNSET:
            images = []
            for images_item_data in _images:
                images_item = Image.from_dict(images_item_data)

                images.append(images_item)

        item_create = cls(
            name=name,
            price=price,
            description=description,
            tax=tax,
            tags=tags,
            images=images,
        )

        return item_create
