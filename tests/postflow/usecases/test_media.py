"""Adding media: size and type checks, and when URLs are fetched."""

from __future__ import annotations

import pytest

from postflow.errors import BadInput
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.media import add_media_from_upload, store_post_media
from postflow.usecases.organizations import create_organization

PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 100


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="test")


async def test_an_upload_is_stored_under_the_type_its_bytes_have(rt: Runtime,
                                                                  org: Organization) -> None:
    stored = await add_media_from_upload(rt, PNG, "image/jpeg", org_id=org.id)

    assert stored.content_type == "image/png"


async def test_a_page_served_as_an_image_is_refused(rt: Runtime, org: Organization) -> None:
    with pytest.raises(BadInput, match="does not look like"):
        await add_media_from_upload(rt, b"<html>login</html>", "image/png", org_id=org.id)


async def test_a_type_outside_the_list_is_refused(rt: Runtime, org: Organization) -> None:
    with pytest.raises(BadInput, match="application/pdf"):
        await add_media_from_upload(rt, b"%PDF-1.7", "application/pdf", org_id=org.id)


async def test_an_upload_over_the_limit_is_refused(rt: Runtime, org: Organization) -> None:
    small = rt.settings.model_copy(update={"media_max_bytes": 50})

    with pytest.raises(BadInput, match="limit is 50 bytes"):
        await add_media_from_upload(Runtime(**{**rt.__dict__, "settings": small}), PNG,
                                    "image/png", org_id=org.id)


async def test_urls_for_networks_that_do_not_upload_are_kept_unfetched(
        rt: Runtime, org: Organization) -> None:
    refs = await store_post_media(rt, ["https://cdn.invalid/a.png"], {"sandbox"},
                                  org_id=org.id)

    assert [(r.url, r.media_id) for r in refs] == [("https://cdn.invalid/a.png", None)]
