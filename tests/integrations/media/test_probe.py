"""Reading width, height and duration from a medium's bytes, and keeping them with it."""

from __future__ import annotations

import pytest

from integrations.media.local import LocalMediaStore
from integrations.media.probe import MediaFacts, probe_media
from postflow.media import sniff_content_type
from tests.fakes.media_files import gif_of, jpeg_of, movie, png_of
from tests.integrations.media.conftest import mp4, png


@pytest.mark.parametrize(("data", "content_type", "size"), [
    (png_of(640, 480), "image/png", (640, 480)),
    (gif_of(320, 240), "image/gif", (320, 240)),
    (jpeg_of(1920, 1080), "image/jpeg", (1920, 1080)),
])
def test_an_images_size_is_read_from_its_header(data: bytes, content_type: str,
                                                size: tuple[int, int]) -> None:
    assert probe_media(data, content_type) == MediaFacts(*size)


def test_an_mp4s_duration_and_video_track_size_are_read() -> None:
    facts = probe_media(movie(1280, 720, seconds=12.5), "video/mp4")

    assert facts == MediaFacts(width=1280, height=720, duration_seconds=12.5)


def test_version_1_boxes_and_a_moov_after_the_media_are_read_too() -> None:
    data = movie(1080, 1920, seconds=3600.0, timescale=90_000, version=1, moov_last=True)

    assert probe_media(data, "video/mp4") == MediaFacts(1080, 1920, 3600.0)


def test_a_video_turned_90_degrees_has_its_shown_size() -> None:
    assert probe_media(movie(1920, 1080, rotated=True), "video/mp4").width == 1080


def test_a_quicktime_movie_is_read_like_an_mp4() -> None:
    data = movie(640, 360, seconds=2.0, brand=b"qt  ")

    assert sniff_content_type(data) == "video/quicktime"
    assert probe_media(data, "video/quicktime") == MediaFacts(640, 360, 2.0)


@pytest.mark.parametrize(("data", "content_type"), [
    (mp4(), "video/mp4"), (png(), "image/png"), (b"", "image/jpeg"),
    (movie()[:60], "video/mp4"), (b"RIFF\x00\x00\x00\x00WEBPVP8X", "image/webp"),
])
def test_unreadable_bytes_give_unknown_facts_not_an_error(data: bytes,
                                                          content_type: str) -> None:
    assert probe_media(data, content_type) == MediaFacts()


async def test_the_local_store_keeps_the_facts_beside_the_medium(
        local_store: LocalMediaStore) -> None:
    stored = await local_store.put(movie(720, 1280, seconds=30.0), "video/mp4")

    again = await local_store.get(stored.id)

    assert (again.width, again.height, again.duration_seconds) == (720, 1280, 30.0)
    assert again == stored


async def test_media_stored_before_probing_have_unknown_facts(
        local_store: LocalMediaStore) -> None:
    stored = await local_store.put(png_of(10, 10), "image/png")
    meta = local_store.path_of(stored.id).with_name(stored.id + ".json")
    meta.write_text('{"content_type": "image/png", "size": 1}', encoding="utf-8")

    again = await local_store.get(stored.id)

    assert (again.width, again.height, again.duration_seconds) == (None, None, None)
