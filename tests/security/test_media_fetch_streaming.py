"""Media URLs are streamed to a temporary file under the network's own limit: a body over it is
refused while it is read (or before, by its Content-Length), a gzip bomb is counted decoded, an
allowed large file never sits in memory, and nothing is left behind."""

from __future__ import annotations

import os
import tracemalloc

import pytest

from postflow.config import Settings
from postflow.connections import Connection
from postflow.errors import BadInput
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.submit_post import PostRequest
from tests.security.media_server import (  # noqa: F401 (fixtures)
    IMAGE_LIMIT,
    MIB,
    MediaServer,
    fake_x_fixture,
    files_under,
    media_server_fixture,
    org_fixture,
    settings_fixture,
    submit,
    x_account_fixture,
)

#: What the sockets between the test server and PostFlow may hold beyond what PostFlow read.
SOCKET_BUFFERS = 8 * MIB


async def refused(rt: Runtime, org: Organization, x_account: Connection, url: str) -> BadInput:
    with pytest.raises(BadInput) as caught:
        await submit(rt, org, PostRequest(text="Look", targets=[x_account.id], media_urls=[url]))
    return caught.value


def assert_nothing_left(settings: Settings, rt: Runtime, org_posts: list[object]) -> None:
    assert files_under(settings.data_dir / "tmp") == []
    assert files_under(settings.data_dir / "media") == []
    assert org_posts == []


async def test_a_body_without_length_is_cut_off_at_the_networks_limit(
        rt: Runtime, settings: Settings, org: Organization, x_account: Connection,
        media_server: MediaServer) -> None:
    err = await refused(rt, org, x_account, media_server.url("/endless.png"))

    assert err.details["reason"] == "too_large"
    assert err.details["limit_bytes"] == IMAGE_LIMIT
    assert "X" in err.message
    assert media_server.sent["/endless.png"] <= IMAGE_LIMIT + SOCKET_BUFFERS
    assert_nothing_left(settings, rt, await rt.store.list_posts(org.id))


async def test_a_content_length_over_the_limit_is_refused_before_the_body(
        rt: Runtime, settings: Settings, org: Organization, x_account: Connection,
        media_server: MediaServer) -> None:
    err = await refused(rt, org, x_account, media_server.url("/declared-huge.png"))

    assert err.details["reason"] == "too_large"
    assert err.details["limit_bytes"] == IMAGE_LIMIT
    assert_nothing_left(settings, rt, await rt.store.list_posts(org.id))


async def test_identity_encoding_is_asked_for(
        rt: Runtime, org: Organization, x_account: Connection,
        media_server: MediaServer) -> None:
    await submit(rt, org, PostRequest(text="Look", targets=[x_account.id],
                                      media_urls=[media_server.url("/small.png")]))

    assert media_server.accept_encodings == ["identity"]


async def test_a_gzip_bomb_is_refused_on_its_decoded_size_without_growing_memory(
        rt: Runtime, settings: Settings, org: Organization, x_account: Connection,
        media_server: MediaServer) -> None:
    tracemalloc.start()
    try:
        err = await refused(rt, org, x_account, media_server.url("/bomb.png"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert err.details["reason"] == "too_large"
    assert err.details["limit_bytes"] == IMAGE_LIMIT
    assert peak < 8 * MIB, f"peak {peak / MIB:.1f} MiB"
    assert_nothing_left(settings, rt, await rt.store.list_posts(org.id))


async def test_a_large_allowed_file_is_stored_without_being_held_in_memory(
        rt: Runtime, settings: Settings, org: Organization, x_account: Connection,
        media_server: MediaServer) -> None:
    tracemalloc.start()
    try:
        post = await submit(rt, org, PostRequest(text="Watch", targets=[x_account.id],
                                                 media_urls=[media_server.url("/large.mp4")]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    [ref] = post.media
    assert (ref.content_type, ref.size) == ("video/mp4", 24 * MIB)
    assert rt.media_store is not None
    stored = await rt.media_store.get(ref.media_id or "")
    assert (stored.width, stored.height, stored.duration_seconds) == (1280, 720, 10.0)
    assert peak < 8 * MIB, f"peak {peak / MIB:.1f} MiB for a {ref.size / MIB:.0f} MiB file"
    assert files_under(settings.data_dir / "tmp") == []


def test_files_left_by_a_killed_process_are_removed_when_the_next_one_starts(
        settings: Settings) -> None:
    from integrations.media import open_media_fetcher
    from integrations.media.staging import STALE_AFTER_SECONDS, staging_dir

    folder = staging_dir(settings)
    folder.mkdir(parents=True)
    old, fresh = folder / "media-old", folder / "media-fresh"
    old.write_bytes(b"x" * 1000)
    fresh.write_bytes(b"y")  # a fetch under way in another process
    long_ago = old.stat().st_mtime - STALE_AFTER_SECONDS - 60
    os.utime(old, (long_ago, long_ago))

    open_media_fetcher(settings)

    assert files_under(folder) == [fresh]


async def test_a_slack_upload_is_streamed_to_a_file_and_stored_from_it(
        rt: Runtime, settings: Settings, media_server: MediaServer, org: Organization) -> None:
    from bot.slack.slack_files import SlackFileDownloader, SlackFileLimits
    from postflow.chatops.compose import UploadedFile
    from postflow.usecases.media import add_media_from_file, media_size_limits

    # The media server stands in for Slack's file host (the configured API host is allowed).
    limits = SlackFileLimits.from_settings(
        settings.model_copy(update={"slack_api_url": media_server.url("/api/")}))
    upload = UploadedFile(id="F1", name="clip.mp4", content_type="video/mp4", size=24 * MIB,
                          url=media_server.url("/large.mp4"))
    tracemalloc.start()
    try:
        async with SlackFileDownloader(limits).download(upload, "xoxb-test",
                                                        media_size_limits(rt, ())) as fetched:
            stored = await add_media_from_file(rt, fetched, org_id=org.id,
                                               source="The file clip.mp4")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (stored.content_type, stored.size, stored.duration_seconds) == (
        "video/mp4", 24 * MIB, 10.0)
    assert peak < 8 * MIB, f"peak {peak / MIB:.1f} MiB"
    assert files_under(settings.data_dir / "tmp") == []
