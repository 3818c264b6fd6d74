"""Media are fetched last: a post refused for its text, its targets, the plan's quota or its
number of media never makes PostFlow request a media URL."""

from __future__ import annotations

import pytest

from postflow.connections import Connection
from postflow.errors import BadInput, LimitReached, PostFlowError
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.media import add_media_from_upload
from postflow.usecases.submit_post import PostRequest, usage_period
from tests.fakes.media_files import png_of
from tests.security.media_server import (  # noqa: F401 (fixtures)
    MediaServer,
    fake_x_fixture,
    media_server_fixture,
    org_fixture,
    settings_fixture,
    submit,
    x_account_fixture,
)

METRIC = "scheduled_posts_per_month"


async def refused_without_fetching(rt: Runtime, org: Organization, server: MediaServer,
                                   request: PostRequest,
                                   error: type[PostFlowError] = BadInput) -> PostFlowError:
    with pytest.raises(error) as caught:
        await submit(rt, org, request)
    assert server.requests == []
    assert await rt.store.list_posts(org.id) == []
    return caught.value


async def test_invalid_text_fetches_nothing(rt: Runtime, org: Organization,
                                            x_account: Connection,
                                            media_server: MediaServer) -> None:
    err = await refused_without_fetching(rt, org, media_server, PostRequest(
        text="a" * 400, targets=[x_account.id], media_urls=[media_server.url("/small.png")]))

    assert "x" in err.details["problems"]


async def test_unknown_targets_fetch_nothing(rt: Runtime, org: Organization,
                                             x_account: Connection,
                                             media_server: MediaServer) -> None:
    err = await refused_without_fetching(rt, org, media_server, PostRequest(
        text="Hi", targets=["conn_nope"], media_urls=[media_server.url("/small.png")]))

    assert err.details == {"target": "conn_nope"}


async def test_no_quota_left_fetches_nothing_and_consumes_nothing(
        rt: Runtime, org: Organization, x_account: Connection,
        media_server: MediaServer) -> None:
    period = usage_period(rt.clock.now())
    for _ in range(30):  # the free plan's scheduled posts a month
        await rt.store.consume_usage(org.id, METRIC, period, None)

    await refused_without_fetching(rt, org, media_server, PostRequest(
        text="Hi", targets=[x_account.id], media_urls=[media_server.url("/small.png")]),
        LimitReached)

    assert await rt.store.get_usage(org.id, METRIC, period) == 30


async def test_more_media_than_any_target_takes_is_refused_before_fetching(
        rt: Runtime, org: Organization, x_account: Connection,
        media_server: MediaServer) -> None:
    # Three URLs and two uploads: five media, and X takes at most four.
    uploads = [(await add_media_from_upload(rt, png_of(10 + n, 10), "image/png",
                                            org_id=org.id)).id
               for n in range(2)]

    err = await refused_without_fetching(rt, org, media_server, PostRequest(
        text="Hi", targets=[x_account.id], media_ids=uploads,
        media_urls=[media_server.url(f"/small.png?n={n}") for n in range(3)]))

    assert err.details["reason"] == "too_many_media"
    assert err.details["limit"] == 4


async def test_a_flood_of_media_urls_is_refused_before_fetching(
        rt: Runtime, org: Organization, x_account: Connection,
        media_server: MediaServer) -> None:
    err = await refused_without_fetching(rt, org, media_server, PostRequest(
        text="Hi", targets=[x_account.id],
        media_urls=[media_server.url(f"/small.png?n={n}") for n in range(1000)]))

    assert "4" in err.message
