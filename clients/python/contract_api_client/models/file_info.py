from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.file_info_content_type import FileInfoContentType, check_file_info_content_type

T = TypeVar("T", bound="FileInfo")


@_attrs_define
class FileInfo:
    """A stored file's metadata.

    Attributes:
        id (UUID): The file's id; also its storage key.
        filename (str): The client's file name without path components (metadata only; `file` when none was sent).
        content_type (FileInfoContentType): Decided from the file's first bytes, never from the client.
        size (int): In bytes.
        sha256 (str): The SHA-256 of the bytes, in hex.
        owner_id (int | None): The uploader's user id.
        created_at (datetime.datetime):
    """

    id: UUID
    filename: str
    content_type: FileInfoContentType
    size: int
    sha256: str
    owner_id: int | None
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        filename = self.filename

        content_type: str = self.content_type

        size = self.size

        sha256 = self.sha256

        owner_id: int | None
        owner_id = self.owner_id

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "filename": filename,
                "content_type": content_type,
                "size": size,
                "sha256": sha256,
                "owner_id": owner_id,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        filename = d.pop("filename")

        content_type = check_file_info_content_type(d.pop("content_type"))

        size = d.pop("size")

        sha256 = d.pop("sha256")

        def _parse_owner_id(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        owner_id = _parse_owner_id(d.pop("owner_id"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        file_info = cls(
            id=id,
            filename=filename,
            content_type=content_type,
            size=size,
            sha256=sha256,
            owner_id=owner_id,
            created_at=created_at,
        )

        file_info.additional_properties = d
        return file_info

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
