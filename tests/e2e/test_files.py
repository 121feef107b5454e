"""Files and item images through the HTTP API: streamed uploads, sniffed types, limits, downloads with ranges."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from fastapi import FastAPI

from impl.settings import Settings
from impl.tables import files_table
from tests.databases import make_settings
from tests.stored_files import PNG, count_rows, stored
from tests.users import PASSWORD

PROBLEM = "application/problem+json"
UPLOAD_LIMIT = 256 * 1024
TEXT = b"0123456789abcdefghij"


@pytest.fixture
def storage_dir(tmp_path: Path) -> Path:
    return tmp_path / "storage"


@pytest.fixture
def settings(database_url: str, storage_dir: Path) -> Settings:
    """This module's app stores files in a directory of the test's own, so its contents can be checked."""
    return make_settings(database_url, storage_dir=str(storage_dir), max_upload_bytes=UPLOAD_LIMIT)


async def _upload(
    client: httpx.AsyncClient, content: bytes = TEXT, *, filename: str = "notes.txt", content_type: str = "text/plain"
) -> dict[str, object]:
    response = await client.post("/files", files={"file": (filename, content, content_type)})
    assert response.status_code == 201, response.text
    info: dict[str, object] = response.json()
    assert response.headers["location"] == f"/files/{info['id']}"
    return info


async def _create_item(client: httpx.AsyncClient) -> dict[str, object]:
    response = await client.post("/items", json={"name": "Foo", "price": 1.5})
    assert response.status_code == 201, response.text
    item: dict[str, object] = response.json()
    return item


async def test_upload_records_metadata_and_stores_bytes_under_the_id_only(
    alice: httpx.AsyncClient, storage_dir: Path
) -> None:
    me = (await alice.get("/users/me")).json()
    info = await _upload(alice, filename="../../etc/passwd", content_type="text/html")
    assert info["filename"] == "passwd"  # path components never survive, not even as metadata
    assert info["content_type"] == "application/octet-stream"  # the client's text/html is not believed
    assert (info["size"], info["sha256"], info["owner_id"]) == (len(TEXT), hashlib.sha256(TEXT).hexdigest(), me["id"])
    assert [path.name for path in stored(storage_dir)] == [info["id"]]
    assert (await alice.get(f"/files/{info['id']}")).json() == info


async def test_png_labelled_text_plain_is_stored_and_served_as_image_png(alice: httpx.AsyncClient) -> None:
    info = await _upload(alice, PNG, filename="pixel.txt", content_type="text/plain")
    assert info["content_type"] == "image/png"
    download = await alice.get(f"/files/{info['id']}/content")
    assert download.status_code == 200
    assert (download.content, download.headers["content-type"]) == (PNG, "image/png")


async def test_download_streams_with_length_etag_and_attachment(alice: httpx.AsyncClient) -> None:
    info = await _upload(alice)
    # httpx asks for gzip: a download must still arrive as stored, with its length.
    download = await alice.get(f"/files/{info['id']}/content")
    assert download.status_code == 200
    assert download.content == TEXT
    assert "content-encoding" not in download.headers
    assert download.headers["content-length"] == str(len(TEXT))
    assert download.headers["etag"] == f'"{info["sha256"]}"'
    assert download.headers["accept-ranges"] == "bytes"
    assert download.headers["content-disposition"] == "attachment; filename=\"notes.txt\"; filename*=UTF-8''notes.txt"


async def test_content_disposition_is_safe_for_a_nasty_file_name(alice: httpx.AsyncClient) -> None:
    nasty = 'naïve "quoted"; filename=evil.exe 100%.txt'
    info = await _upload(alice, filename=nasty)
    disposition = (await alice.get(f"/files/{info['id']}/content")).headers["content-disposition"]
    fallback, exact = disposition.removeprefix("attachment; ").split("; filename*=UTF-8''")
    # One quoted ASCII fallback with nothing that could end the quote or the header, and the exact name.
    assert fallback.startswith('filename="') and fallback.endswith('"') and '"' not in fallback[10:-1]
    assert fallback.isascii() and "%" not in fallback and "\r" not in disposition and "\n" not in disposition
    assert unquote(exact) == info["filename"]
    assert ";" not in exact and '"' not in exact and " " not in exact


async def test_ranges_give_206_and_unsatisfiable_ones_416(alice: httpx.AsyncClient) -> None:
    info = await _upload(alice)
    url = f"/files/{info['id']}/content"
    size = len(TEXT)
    for header, start, end in [("bytes=2-5", 2, 6), ("bytes=15-", 15, size), ("bytes=-3", size - 3, size)]:
        part = await alice.get(url, headers={"Range": header})
        assert part.status_code == 206, header
        assert part.content == TEXT[start:end]
        assert part.headers["content-range"] == f"bytes {start}-{end - 1}/{size}"
        assert part.headers["content-length"] == str(end - start)
    too_far = await alice.get(url, headers={"Range": f"bytes={size}-"})
    assert too_far.status_code == 416
    assert too_far.headers["content-type"] == PROBLEM
    assert too_far.headers["content-range"] == f"bytes */{size}"
    # Several ranges, another unit, or nonsense: ignored, the whole file is sent (documented in the contract).
    for ignored in ["bytes=0-1,4-5", "items=0-1", "bytes=5-2", "bytes=x"]:
        whole = await alice.get(url, headers={"Range": ignored})
        assert (whole.status_code, whole.content) == (200, TEXT), ignored


async def test_if_none_match_with_the_current_etag_gives_304(alice: httpx.AsyncClient) -> None:
    info = await _upload(alice)
    url = f"/files/{info['id']}/content"
    etag = (await alice.get(url)).headers["etag"]
    for header in [etag, f"W/{etag}", f'"other", {etag}', "*"]:
        cached = await alice.get(url, headers={"If-None-Match": header})
        assert (cached.status_code, cached.content, cached.headers["etag"]) == (304, b"", etag), header
    fresh = await alice.get(url, headers={"If-None-Match": '"other"'})
    assert (fresh.status_code, fresh.content) == (200, TEXT)


async def test_plain_files_are_private_to_the_owner_and_administrators(
    alice: httpx.AsyncClient, bob: httpx.AsyncClient, admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    info = await _upload(alice)
    for path in [f"/files/{info['id']}", f"/files/{info['id']}/content"]:
        assert (await bob.get(path)).status_code == 404
        assert (await client.get(path)).status_code == 404
        assert (await admin.get(path)).status_code == 200
    unknown = await alice.get("/files/3b241101-e2bb-4255-8caf-4136c566a962")
    assert (unknown.status_code, unknown.headers["content-type"]) == (404, PROBLEM)


async def test_upload_over_the_limit_gives_413_and_keeps_nothing(
    app: FastAPI, alice: httpx.AsyncClient, storage_dir: Path
) -> None:
    response = await alice.post("/files", files={"file": ("big.bin", b"\0" * (UPLOAD_LIMIT + 1), "text/plain")})
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert stored(storage_dir) == []
    assert await count_rows(app, files_table) == 0


async def test_text_labelled_image_png_is_refused_with_415(
    app: FastAPI, alice: httpx.AsyncClient, storage_dir: Path
) -> None:
    item = await _create_item(alice)
    response = await alice.post(f"/items/{item['id']}/images", files={"file": ("x.png", TEXT, "image/png")})
    assert response.status_code == 415
    assert response.headers["content-type"] == PROBLEM
    assert (await alice.get(f"/items/{item['id']}")).json()["images"] == []
    assert stored(storage_dir) == [] and await count_rows(app, files_table) == 0


async def test_item_image_is_added_public_and_deleted_with_the_item(
    app: FastAPI, alice: httpx.AsyncClient, client: httpx.AsyncClient, storage_dir: Path
) -> None:
    item = await _create_item(alice)
    response = await alice.post(
        f"/items/{item['id']}/images", files={"file": ("pixel.bin", PNG, "application/octet-stream")}
    )
    assert response.status_code == 201, response.text
    updated = response.json()
    assert response.headers["etag"] == f'"{item["id"]}.2"'
    (image,) = updated["images"]
    assert image["name"] == "pixel.bin"
    assert image["url"].startswith("http://testserver/files/") and image["url"].endswith("/content")
    path = image["url"].removeprefix("http://testserver")
    # Public like the item: an anonymous client may fetch it.
    public = await client.get(path)
    assert (public.status_code, public.content, public.headers["content-type"]) == (200, PNG, "image/png")
    assert len(stored(storage_dir)) == 1

    assert (await alice.delete(f"/items/{item['id']}")).status_code == 204
    assert stored(storage_dir) == []
    assert await count_rows(app, files_table) == 0
    assert (await client.get(path)).status_code == 404


async def test_caption_and_owner_rules_for_item_images(
    alice: httpx.AsyncClient, bob: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    item = await _create_item(alice)
    images = f"/items/{item['id']}/images"
    refused = await bob.post(images, files={"file": ("p.png", PNG, "image/png")})
    assert refused.status_code == 403
    by_admin = await admin.post(images, files={"file": ("p.png", PNG, "image/png")}, data={"name": "The Foo live"})
    assert by_admin.status_code == 201
    assert by_admin.json()["images"][0]["name"] == "The Foo live"
    missing = await alice.post("/items/999999/images", files={"file": ("p.png", PNG, "image/png")})
    assert missing.status_code == 404


async def test_an_item_holds_at_most_ten_images(alice: httpx.AsyncClient) -> None:
    item = await _create_item(alice)
    images = f"/items/{item['id']}/images"
    for _ in range(10):
        assert (await alice.post(images, files={"file": ("p.png", PNG, "image/png")})).status_code == 201
    full = await alice.post(images, files={"file": ("p.png", PNG, "image/png")})
    assert (full.status_code, full.headers["content-type"]) == (409, PROBLEM)
    # Still a valid item for a PUT of what GET returns.
    current = (await alice.get(f"/items/{item['id']}")).json()
    body = {key: current[key] for key in ("name", "description", "price", "tax", "tags", "images")}
    assert (await alice.put(f"/items/{item['id']}", json=body)).status_code == 200


async def test_uploads_need_items_write(client: httpx.AsyncClient) -> None:
    response = await client.post("/files", files={"file": ("a.txt", TEXT, "text/plain")})
    assert response.status_code == 401


async def test_deleting_an_account_deletes_its_uploads_and_its_items_images_bytes_and_nobody_elses(
    app: FastAPI, alice: httpx.AsyncClient, bob: httpx.AsyncClient, admin: httpx.AsyncClient, storage_dir: Path
) -> None:
    upload = await _upload(alice)
    item = await _create_item(alice)
    image = await alice.post(f"/items/{item['id']}/images", files={"file": ("a.png", PNG, "image/png")})
    # An administrator's image on alice's item goes with the item too; bob's upload stays.
    added = await admin.post(f"/items/{item['id']}/images", files={"file": ("b.png", PNG, "image/png")})
    kept = await _upload(bob)
    assert image.status_code == added.status_code == 201, (image.text, added.text)
    assert len(stored(storage_dir)) == 4 and await count_rows(app, files_table) == 4

    alice_id = (await alice.get("/users/me")).json()["id"]
    deleted = await alice.request("DELETE", f"/users/{alice_id}", json={"current_password": PASSWORD})
    assert deleted.status_code == 204, deleted.text

    assert [path.name for path in stored(storage_dir)] == [kept["id"]]
    assert await count_rows(app, files_table) == 1
    assert (await bob.get(f"/files/{upload['id']}")).status_code == 404


async def test_images_an_administrator_added_to_others_items_outlive_the_administrators_account(
    admin: httpx.AsyncClient, bob: httpx.AsyncClient, client: httpx.AsyncClient, storage_dir: Path
) -> None:
    item = await _create_item(bob)
    added = await admin.post(f"/items/{item['id']}/images", files={"file": ("b.png", PNG, "image/png")})
    assert added.status_code == 201, added.text
    (image,) = added.json()["images"]

    admin_id = (await admin.get("/users/me")).json()["id"]
    deleted = await admin.request("DELETE", f"/users/{admin_id}", json={"current_password": PASSWORD})
    assert deleted.status_code == 204, deleted.text

    assert len(stored(storage_dir)) == 1
    public = await client.get(image["url"].removeprefix("http://testserver"))
    assert (public.status_code, public.content) == (200, PNG)
    # Now bob's: deleting his item deletes it.
    assert (await bob.delete(f"/items/{item['id']}")).status_code == 204
    assert stored(storage_dir) == []


async def test_an_image_upload_with_a_host_no_url_can_be_made_of_keeps_nothing(
    app: FastAPI, alice: httpx.AsyncClient, storage_dir: Path
) -> None:
    # The image's URL is built from Host when PUBLIC_BASE_URL is unset; this one cannot make a URL.
    item = await _create_item(alice)
    response = await alice.post(
        f"/items/{item['id']}/images", files={"file": ("a.png", PNG, "image/png")}, headers={"Host": "a b/c"}
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM and "Host" in response.json()["detail"]
    assert stored(storage_dir) == [] and await count_rows(app, files_table) == 0


async def test_a_field_sent_twice_is_refused_and_nothing_is_kept(
    app: FastAPI, alice: httpx.AsyncClient, storage_dir: Path
) -> None:
    # Repeated parts are an array; `file` and `name` are single values (found by `make fuzz`: the last name was kept).
    item = await _create_item(alice)
    png = ("a.png", PNG, "image/png")
    twice = await alice.post(
        f"/items/{item['id']}/images", files=[("file", png), ("name", (None, "a")), ("name", (None, "b"))]
    )
    assert twice.status_code == 422, twice.text
    assert [e["loc"] for e in twice.json()["errors"]] == [["body", "name"]]
    two_files = await alice.post("/files", files=[("file", png), ("file", png)])
    assert two_files.status_code == 422, two_files.text
    assert [e["loc"] for e in two_files.json()["errors"]] == [["body", "file"]]
    assert stored(storage_dir) == [] and await count_rows(app, files_table) == 0
    assert (await alice.get(f"/items/{item['id']}")).json()["images"] == []
