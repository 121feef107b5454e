from typing import Literal

FileInfoContentType = Literal["application/octet-stream", "image/gif", "image/jpeg", "image/png", "image/webp"]

FILE_INFO_CONTENT_TYPE_VALUES: set[FileInfoContentType] = {
    "application/octet-stream",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/webp",
}


def check_file_info_content_type(value: str) -> FileInfoContentType:
    if value in FILE_INFO_CONTENT_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {FILE_INFO_CONTENT_TYPE_VALUES!r}")
