"""Posting a video to a Facebook Page, and what Facebook takes as one.

PostFlow uses the Graph API's non-resumable upload by URL: ``POST /{page-id}/videos`` on
``graph-video.facebook.com`` with ``file_url`` (the media store's short-lived URL; Facebook
fetches the file itself, within 5 minutes) and ``description`` (the post's text). The answer is
``{"id": "<video id>"}``. Limits of that method: 1 GB and 20 minutes; shapes from 9:16 to 16:9.
Sources and what is unverified: docs/networks.md, Facebook, *Video*.
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.facebook import errors
from postflow.media import MediaObject
from postflow.providers import ErrorKind, ProviderError, ValidationProblem

#: What Facebook is given as a video (it lists many more formats; PostFlow stores these two).
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
#: "Unable to fetch video file from URL": Facebook could not download ``file_url``.
FETCH_FAILED_CODE = 389


@dataclass(frozen=True)
class FacebookVideoSettings:
    """The non-resumable upload's documented limits."""

    max_bytes: int = 1024 * 1024 * 1024
    max_seconds: float = 20 * 60.0
    #: Width / height, from 9:16 (tall) to 16:9 (wide).
    min_aspect: float = 9 / 16
    max_aspect: float = 16 / 9


def video_problems(media: MediaObject, settings: FacebookVideoSettings,
                   number: int = 1) -> list[ValidationProblem]:
    """What Facebook would refuse in a stored video (facts the store does not know are not
    checked)."""
    if media.content_type not in VIDEO_TYPES:
        return [ValidationProblem("unsupported_media_type", f"PostFlow posts MP4 or QuickTime "
                                  f"video to Facebook; medium {number} is {media.content_type}.")]
    problems: list[ValidationProblem] = []
    if media.size > settings.max_bytes:
        problems.append(ValidationProblem(
            "video_too_large", f"The video is {media.size / 2 ** 20:.1f} MB; PostFlow posts "
            f"videos up to {settings.max_bytes / 2 ** 30:g} GB to Facebook."))
    seconds = media.duration_seconds
    if seconds is not None and seconds > settings.max_seconds:
        problems.append(ValidationProblem(
            "video_too_long", f"The video lasts {seconds / 60:.1f} min; PostFlow posts videos "
            f"up to {settings.max_seconds / 60:g} min to Facebook."))
    if media.width and media.height and not (
            settings.min_aspect <= media.width / media.height <= settings.max_aspect):
        problems.append(ValidationProblem(
            "video_aspect_ratio", f"The video is {media.width}x{media.height}; Facebook takes "
            "shapes from 9:16 (tall) to 16:9 (wide)."))
    return problems


def video_form(file_url: str, text: str) -> dict[str, str]:
    """The form of ``POST /{page-id}/videos`` (the access token is added by the caller)."""
    return {"file_url": file_url, "description": text}


def video_error(status: int, body: str, headers: dict[str, str]) -> ProviderError:
    """Classify a refused video post: Graph's usual codes, and a fetch of ``file_url`` that
    failed (nothing was posted; usually PostFlow's media URL is not reachable from Facebook)."""
    parsed = errors.parse_error(body)
    if parsed is not None and parsed.code == FETCH_FAILED_CODE:
        return ProviderError(ErrorKind.BAD_INPUT, "Facebook could not download the video from "
                             "PostFlow's media link; the hub (POSTFLOW_PUBLIC_URL) or the S3 "
                             "bucket must be reachable from the internet.",
                             platform_code=str(FETCH_FAILED_CODE),
                             raw=body[:errors.RAW_LIMIT] or None)
    return errors.api_error(status, body, headers, created_something=True)
