"""Uploading a post's media to X before the post is created, and X's media rules.

Images go up in one request (``POST /2/media/upload``, multipart, ``media_category=tweet_image``).
GIFs and videos go up in chunks: ``POST /2/media/upload/initialize`` (JSON), one
``POST /2/media/upload/{id}/append`` per chunk (multipart ``media`` + ``segment_index``), then
``POST /2/media/upload/{id}/finalize``; when the answer carries ``processing_info``, X is still
processing and ``GET /2/media/upload?command=STATUS&media_id=...`` is polled, waiting
``check_after_secs`` between polls, until ``succeeded`` or ``failed``. The post then names the ids
in ``media.media_ids``. Sources and what is a setting: docs/networks.md, X, *Media*.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from pydantic import BaseModel, ValidationError

from integrations.http_answers import Answer
from integrations.x import errors
from postflow.media import MediaAttachment, MediaKind, MediaLimits, MediaObject
from postflow.providers import ErrorKind, ProviderError, ValidationProblem

SIMPLE_UPLOAD_PATH = "/2/media/upload"
INITIALIZE_PATH = "/2/media/upload/initialize"
APPEND_PATH = "/2/media/upload/{id}/append"
FINALIZE_PATH = "/2/media/upload/{id}/finalize"
STATUS_PATH = "/2/media/upload"
#: Media per post X takes: up to 4 images, or a single GIF or video.
MAX_IMAGES = 4
#: The content types X takes for posts, among those PostFlow stores.
X_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4",
                           "video/quicktime"})
#: X numbers segments 0..999.
MAX_SEGMENTS = 1000


@dataclass(frozen=True)
class XMediaSettings:
    """X's media limits and upload knobs; each is a setting (docs/configuration.md, X)."""

    image_max_bytes: int = 5 * 1024 * 1024
    gif_max_bytes: int = 15 * 1024 * 1024
    video_max_bytes: int = 512 * 1024 * 1024
    chunk_bytes: int = 4 * 1024 * 1024
    video_category: str = "tweet_video"
    processing_timeout_seconds: float = 600.0
    #: A post's video: 0.5-140 s (longer for some accounts: a setting), at least 32x32 and at
    #: most 1920x1200 (or 1200x1920), width / height from 1:3 to 3:1.
    video_min_seconds: float = 0.5
    video_max_seconds: float = 140.0
    video_min_side: int = 32
    video_max_long_side: int = 1920
    video_max_short_side: int = 1200
    video_min_aspect: float = 1 / 3
    video_max_aspect: float = 3.0

    def max_bytes(self, kind: MediaKind) -> int:
        return {MediaKind.IMAGE: self.image_max_bytes, MediaKind.GIF: self.gif_max_bytes,
                MediaKind.VIDEO: self.video_max_bytes}[kind]

    def limits(self) -> MediaLimits:
        """What a post to X takes, as the provider declares it (``media_limits``)."""
        return MediaLimits(max_count=MAX_IMAGES,
                           max_bytes={kind: self.max_bytes(kind) for kind in MediaKind})


class Requester(Protocol):
    """The provider's one HTTP helper, as this module uses it."""

    async def __call__(self, method: str, path: str, *, token: str,
                      json_body: Mapping[str, Any] | None = None,
                      params: Mapping[str, str] | None = None,
                      multipart: aiohttp.FormData | None = None) -> Answer: ...


class _ProcessingError(BaseModel):
    code: int | None = None
    name: str = ""
    message: str = ""


class _ProcessingInfo(BaseModel):
    state: str
    check_after_secs: float | None = None
    error: _ProcessingError | None = None


class _Media(BaseModel):
    id: str
    processing_info: _ProcessingInfo | None = None


class _MediaAnswer(BaseModel):
    data: _Media


def media_problems(media: tuple[MediaAttachment, ...],
                   settings: XMediaSettings) -> list[ValidationProblem]:
    """What X would refuse in ``media``: the mix, the count, each one's type and size, and a
    video's duration, dimensions and aspect ratio when they are known."""
    problems: list[ValidationProblem] = []
    moving = [m for m in media if m.media.kind is not MediaKind.IMAGE]
    if moving and len(media) > 1:
        problems.append(ValidationProblem(
            "media_mix", "X takes one GIF or one video per post, with no other media."))
    elif len(media) > MAX_IMAGES:
        problems.append(ValidationProblem(
            "too_many_media", f"X takes at most {MAX_IMAGES} images per post."))
    for number, attachment in enumerate(media, start=1):
        item = attachment.media
        if item.content_type not in X_MEDIA_TYPES:
            problems.append(ValidationProblem(
                "media_type", f"X does not take {item.content_type} (medium {number})."))
            continue
        limit = settings.max_bytes(item.kind)
        if item.size > limit:
            problems.append(ValidationProblem(
                "media_too_large", f"Medium {number} is {_mb(item.size)}; X takes "
                f"{item.kind.value}s up to {_mb(limit)}."))
        if item.kind is MediaKind.VIDEO:
            problems.extend(_video_problems(item, settings))
    return problems


def _video_problems(video: MediaObject, settings: XMediaSettings) -> list[ValidationProblem]:
    """Duration, size and shape, when the store knows them."""
    problems: list[ValidationProblem] = []
    seconds = video.duration_seconds
    if seconds is not None and not settings.video_min_seconds <= seconds <= \
            settings.video_max_seconds:
        problems.append(ValidationProblem(
            "video_too_long" if seconds > settings.video_max_seconds else "video_too_short",
            f"The video lasts {seconds:.1f} s; X takes videos of {settings.video_min_seconds:g} "
            f"to {settings.video_max_seconds:g} s."))
    if not video.width or not video.height:
        return problems
    long_side, short_side = max(video.width, video.height), min(video.width, video.height)
    if not settings.video_min_aspect <= video.width / video.height <= settings.video_max_aspect:
        problems.append(ValidationProblem(
            "video_aspect_ratio", f"The video is {video.width}x{video.height}; X takes shapes "
            f"from 1:{1 / settings.video_min_aspect:g} (tall) to {settings.video_max_aspect:g}:1 "
            "(wide)."))
    elif long_side > settings.video_max_long_side or short_side > settings.video_max_short_side \
            or short_side < settings.video_min_side:
        problems.append(ValidationProblem(
            "video_dimensions", f"The video is {video.width}x{video.height}; X takes "
            f"{settings.video_min_side}x{settings.video_min_side} up to "
            f"{settings.video_max_long_side}x{settings.video_max_short_side} (or "
            f"{settings.video_max_short_side}x{settings.video_max_long_side})."))
    return problems


class XMediaUploader:
    """Uploads one post's media for one account; ``sleep`` is injectable for tests."""

    def __init__(self, request: Requester, settings: XMediaSettings,
                 sleep: Callable[[float], Awaitable[None]], now: Callable[[], Any]) -> None:
        self._request = request
        self._settings = settings
        self._sleep = sleep
        self._now = now

    async def upload_all(self, token: str, media: tuple[MediaAttachment, ...]) -> list[str]:
        problems = media_problems(media, self._settings)
        if problems:
            raise ProviderError(ErrorKind.BAD_INPUT, problems[0].message,
                                platform_code=problems[0].code)
        return [await self.upload(token, attachment, number)
                for number, attachment in enumerate(media, start=1)]

    async def upload(self, token: str, attachment: MediaAttachment, number: int = 1) -> str:
        """X's media id for ``attachment``, ready to be posted."""
        item = attachment.media
        if item.kind is MediaKind.IMAGE:
            form = aiohttp.FormData()
            form.add_field("media_category", "tweet_image")
            form.add_field("media_type", item.content_type)
            form.add_field("media", await attachment.read(), filename="media",
                           content_type=item.content_type)
            uploaded = self._parsed(await self._request(
                "POST", SIMPLE_UPLOAD_PATH, token=token, multipart=form), number)
        else:
            uploaded = await self._chunked(token, attachment, number)
        if uploaded.processing_info is not None:
            await self._wait_for_processing(token, uploaded, number)
        return uploaded.id

    async def _chunked(self, token: str, attachment: MediaAttachment, number: int) -> _Media:
        item = attachment.media
        category = "tweet_gif" if item.kind is MediaKind.GIF else self._settings.video_category
        # Bigger chunks when the file would need more segments than X numbers.
        chunk = max(self._settings.chunk_bytes, -(-item.size // MAX_SEGMENTS))
        started = self._parsed(await self._request(
            "POST", INITIALIZE_PATH, token=token,
            json_body={"media_type": item.content_type, "total_bytes": item.size,
                       "media_category": category}), number)
        segment = 0
        async for piece in attachment.chunks(chunk):
            form = aiohttp.FormData()
            form.add_field("segment_index", str(segment))
            form.add_field("media", piece, filename="media",
                           content_type="application/octet-stream")
            self._check(await self._request("POST", APPEND_PATH.format(id=started.id),
                                            token=token, multipart=form), number)
            segment += 1
        return self._parsed(await self._request("POST", FINALIZE_PATH.format(id=started.id),
                                                token=token), number)

    async def _wait_for_processing(self, token: str, uploaded: _Media, number: int) -> None:
        waited = 0.0
        info = uploaded.processing_info
        while info is not None and info.state != "succeeded":
            if info.state == "failed":
                why = info.error.message if info.error and info.error.message else "no reason"
                raise ProviderError(ErrorKind.BAD_INPUT, f"X could not process medium {number}: "
                                    f"{why}.", platform_code="media_processing_failed",
                                    raw=info.model_dump_json()[:errors.RAW_LIMIT])
            delay = max(1.0, info.check_after_secs or 1.0)
            if waited + delay > self._settings.processing_timeout_seconds:
                raise ProviderError(ErrorKind.RETRY_AFTER, f"X was still processing medium "
                                    f"{number} after {waited:g} s; PostFlow will try again.",
                                    retry_after=errors.SERVER_ERROR_WAIT_SECONDS,
                                    platform_code="media_processing_timeout")
            await self._sleep(delay)
            waited += delay
            info = self._parsed(await self._request(
                "GET", STATUS_PATH, token=token,
                params={"command": "STATUS", "media_id": uploaded.id}), number).processing_info

    def _check(self, answer: Answer, number: int) -> None:
        if answer.status < 300:
            return
        err = errors.api_error(answer.status, answer.body, answer.headers, self._now(),
                               created_something=False)
        if err.kind is ErrorKind.BAD_INPUT:
            detail = errors.problem_text(answer.body)
            err = ProviderError(ErrorKind.BAD_INPUT, f"X refused medium {number}"
                                + (f": {detail}" if detail else f" (HTTP {answer.status})."),
                                platform_code=err.platform_code, raw=err.raw)
        raise err

    def _parsed(self, answer: Answer, number: int) -> _Media:
        self._check(answer, number)
        try:
            return _MediaAnswer.model_validate_json(answer.body).data
        except ValidationError:
            raise ProviderError(ErrorKind.RETRY_AFTER, f"X's answer about medium {number} was "
                                "not what PostFlow expected.",
                                retry_after=errors.SERVER_ERROR_WAIT_SECONDS,
                                raw=answer.body[:errors.RAW_LIMIT]) from None


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def media_ids_body(ids: list[str]) -> dict[str, Any]:
    return {"media": {"media_ids": ids}} if ids else {}

