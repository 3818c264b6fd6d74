"""X's video rules checked from the stored video's facts before a post is scheduled."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

import pytest

from integrations.x.media import XMediaSettings, media_problems
from postflow.media import MediaAttachment, MediaObject, MediaStore


def stored(content_type: str = "video/mp4", **facts: object) -> tuple[MediaAttachment, ...]:
    media = MediaObject(id="a" * 64, content_type=content_type, size=20 * 1024 * 1024,
                        sha256="a" * 64, width=1280, height=720, duration_seconds=30.0)
    return (MediaAttachment(media=replace(media, **facts), url=None,
                            store=cast(MediaStore, None)),)


@pytest.mark.parametrize(("facts", "code", "words"), [
    ({"duration_seconds": 141.0}, "video_too_long", "lasts 141.0 s; X takes videos of 0.5 to "
     "140 s"),
    ({"duration_seconds": 0.2}, "video_too_short", "lasts 0.2 s"),
    ({"width": 400, "height": 1600}, "video_aspect_ratio", "400x1600"),
    ({"width": 3840, "height": 2160}, "video_dimensions", "up to 1920x1200"),
    ({"width": 20, "height": 20}, "video_dimensions", "32x32"),
    ({"size": 600 * 1024 * 1024}, "media_too_large", "600.0 MB"),
])
def test_a_video_outside_xs_rules_is_refused_with_the_reason(
        facts: dict[str, object], code: str, words: str) -> None:
    [problem] = media_problems(stored(**facts), XMediaSettings())

    assert problem.code == code and words in problem.message


@pytest.mark.parametrize("facts", [
    {}, {"width": 1200, "height": 1920}, {"width": None, "height": None,
                                          "duration_seconds": None},
])
def test_a_video_within_the_rules_or_of_unknown_facts_passes(facts: dict[str, object]) -> None:
    assert media_problems(stored(**facts), XMediaSettings()) == []


def test_the_longest_video_is_a_setting() -> None:
    longer = XMediaSettings(video_max_seconds=600.0)

    assert media_problems(stored(duration_seconds=300.0), longer) == []


def test_a_gif_over_xs_size_limit_is_refused() -> None:
    [problem] = media_problems(stored("image/gif", size=16 * 1024 * 1024), XMediaSettings())

    assert problem.code == "media_too_large" and "gifs up to 15.0 MB" in problem.message
