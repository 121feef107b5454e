"""One user's journey through the generated Python client (clients/python) against the real server."""

from __future__ import annotations

import io
import os
import uuid
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from contract_api_client import AuthenticatedClient, Client
from contract_api_client.api.auth import issue_token
from contract_api_client.api.files import download_file
from contract_api_client.api.items import (
    create_item,
    delete_item,
    get_item,
    list_items,
    update_item,
    upload_item_image,
)
from contract_api_client.api.users import create_user, read_current_user
from contract_api_client.models import (
    ImageUpload,
    Item,
    ItemCreate,
    ItemPatch,
    Problem,
    TokenRequest,
    TokenResponse,
    User,
    UserCreate,
)
from contract_api_client.types import File

from tests.caches import run_mypy
from tests.databases import REPO_ROOT
from tests.sdk.conftest import PYTHON_CLIENT
from tests.stored_files import PNG


def _sign_up_and_log_in(base_url: str) -> tuple[User, AuthenticatedClient]:
    """A new account, and a client carrying its access token from the password grant."""
    email = f"py-{uuid.uuid4()}@example.com"
    password = f"journey {uuid.uuid4()}"
    with Client(base_url=base_url, raise_on_unexpected_status=True) as anonymous:
        user = create_user.sync(client=anonymous, body=UserCreate(email=email, password=password, full_name="Py"))
        assert isinstance(user, User), user
        assert user.email == email
        assert "items:write" in user.scopes
        # The password grant is a form body (application/x-www-form-urlencoded), as the contract declares.
        token = issue_token.sync(
            client=anonymous, body=TokenRequest(grant_type="password", username=email, password=password)
        )
    assert isinstance(token, TokenResponse), token
    assert token.token_type == "bearer"
    return user, AuthenticatedClient(base_url=base_url, token=token.access_token, raise_on_unexpected_status=True)


def test_item_journey_returns_typed_models_and_problems(base_url: str) -> None:
    user, client = _sign_up_and_log_in(base_url)
    with client:
        me = read_current_user.sync(client=client)
        assert isinstance(me, User) and me.id == user.id

        # 422: the problem document is parsed into the generated Problem, its `errors` into FieldError models.
        invalid = create_item.sync(client=client, body=ItemCreate(name="Broken", price=-1))
        assert isinstance(invalid, Problem)
        assert invalid.status == 422
        assert invalid.errors and any("price" in error.loc for error in invalid.errors)

        created = create_item.sync_detailed(
            client=client, body=ItemCreate(name="Foo", price=35.4, description=None, tags=["rock"])
        )
        assert created.status_code == HTTPStatus.CREATED
        item = created.parsed
        assert isinstance(item, Item), item
        assert (item.name, item.description, item.owner_id, item.images) == ("Foo", None, user.id, [])
        created_etag = created.headers["ETag"]

        listed = list_items.sync(client=client, mine=True, limit=10)
        assert isinstance(listed, list)
        assert [each.id for each in listed] == [item.id]
        assert all(isinstance(each, Item) for each in listed)

        patched = update_item.sync_detailed(
            item.id, client=client, body=ItemPatch(price=42.0, tax=None), if_match=created_etag
        )
        assert isinstance(patched.parsed, Item), patched.parsed
        assert (patched.parsed.price, patched.parsed.tax) == (42.0, None)
        patched_etag = patched.headers["ETag"]
        assert patched_etag != created_etag

        # 412: the create's ETag is stale now.
        stale = update_item.sync(item.id, client=client, body=ItemPatch(price=1.0), if_match=created_etag)
        assert isinstance(stale, Problem)
        assert (stale.status, stale.instance) == (412, f"/items/{item.id}")

        image = File(payload=io.BytesIO(PNG), file_name="dot.png", mime_type="image/png")
        uploaded = upload_item_image.sync_detailed(item.id, client=client, body=ImageUpload(file=image, name="A dot"))
        assert uploaded.status_code == HTTPStatus.CREATED
        assert isinstance(uploaded.parsed, Item), uploaded.parsed
        [attached] = uploaded.parsed.images
        assert attached.name == "A dot"

        # The generator types a `contentMediaType` body as `str` (see the README): the bytes are `content`.
        file_id = uuid.UUID(urlsplit(attached.url).path.split("/")[2])
        download = download_file.sync_detailed(file_id, client=client)
        assert download.status_code == HTTPStatus.OK
        assert download.headers["Content-Type"] == "image/png"
        assert download.content == PNG

        deleted = delete_item.sync_detailed(item.id, client=client, if_match=uploaded.headers["ETag"])
        assert deleted.status_code == HTTPStatus.NO_CONTENT

        gone = get_item.sync(item.id, client=client)
        assert isinstance(gone, Problem)
        assert (gone.status, gone.type_) == (404, "/problems/not-found")


def test_unauthenticated_write_is_a_typed_401_problem(base_url: str) -> None:
    with AuthenticatedClient(base_url=base_url, token="not-a-token") as client:
        response = create_item.sync_detailed(client=client, body=ItemCreate(name="Foo", price=1.0))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert isinstance(response.parsed, Problem)
    assert response.parsed.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_journey_and_generated_client_pass_mypy_strict(tmp_path: Path) -> None:
    # The repo's mypy settings (strict), on tests/sdk and the whole generated package; modules they import from the
    # rest of the repo are followed silently (`make typecheck` covers impl/, tests are not its business).
    # A cache of its own, saved between runs (tests/caches.py): with --follow-imports=silent every module's options
    # differ from `make typecheck`'s, so sharing the repo's .mypy_cache made each invalidate the other's.
    sources = [str(Path(__file__).parent), str(PYTHON_CLIENT / "contract_api_client")]
    done = run_mypy(
        "sdk",
        tmp_path / "mypy-cache",
        "--follow-imports=silent",
        *sources,
        cwd=REPO_ROOT,
        env={**os.environ, "MYPYPATH": str(PYTHON_CLIENT)},
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
