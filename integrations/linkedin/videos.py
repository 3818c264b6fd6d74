"""Uploading a video to LinkedIn's Videos API, and what LinkedIn takes as a video.

The flow (docs/networks.md, LinkedIn, *Video*, lists the sources):

1. ``POST /rest/videos?action=initializeUpload`` with ``owner`` (the author) and
   ``fileSizeBytes``: the answer names the ``video`` URN, an ``uploadToken`` and
   ``uploadInstructions``, one ``{uploadUrl, firstByte, lastByte}`` per part (4 MB parts);
2. each part's bytes are ``PUT`` to its ``uploadUrl``; LinkedIn answers each with an ``ETag``;
3. ``POST /rest/videos?action=finalizeUpload`` with ``video``, ``uploadToken`` and
   ``uploadedPartIds`` (the ETags, in the order of the parts);
4. ``GET /rest/videos/{urn}`` until ``status`` is ``AVAILABLE`` (``PROCESSING_FAILED`` refuses
   the video), for at most ``processing_timeout_seconds``; the post then names the URN in
   ``content.media.id``.

The bytes are read from the media store in pieces (``MediaAttachment.chunks``), never whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, SecretStr, ValidationError

from integrations.linkedin import errors
from postflow.media import MediaAttachment, MediaKind, MediaObject
from postflow.providers import ErrorKind, ProviderError, ValidationProblem

VIDEOS_PATH = "/rest/videos"
VIDEO_PATH = "/rest/videos/{urn}"
#: The one video format the Videos API takes.
VIDEO_CONTENT_TYPES = frozenset({"video/mp4"})
#: Pieces read from the store while filling a part.
READ_BYTES = 1024 * 1024

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class LinkedInVideoSettings:
    """LinkedIn's video limits and PostFlow's patience; defaults are LinkedIn's documented
    figures, kept as settings because they are only documented in prose."""

    min_bytes: int = 75 * 1024
    max_bytes: int = 500 * 1024 * 1024
    min_seconds: float = 3.0
    max_seconds: float = 30 * 60.0
    #: Width / height, from 1:2.4 to 2.4:1 (third-party guides; LinkedIn's page names none).
    min_aspect: float = 1 / 2.4
    max_aspect: float = 2.4
    processing_timeout_seconds: float = 600.0
    poll_seconds: float = 5.0


class Answer(Protocol):
    @property
    def status(self) -> int: ...

    @property
    def body(self) -> str: ...

    @property
    def headers(self) -> dict[str, str]: ...


class Requester(Protocol):
    """The provider's one HTTP helper, as this module uses it."""

    async def __call__(self, method: str, url: str, *, token: SecretStr | None = None,
                       versioned: bool = False, json_body: Mapping[str, Any] | None = None,
                       data: bytes | None = None, content_type: str | None = None,
                       params: Mapping[str, str] | None = None) -> Answer: ...


class _Instruction(BaseModel):
    uploadUrl: str
    firstByte: int
    lastByte: int


class _Initialized(BaseModel):
    video: str
    uploadToken: str = ""
    uploadInstructions: list[_Instruction]


class _InitializeAnswer(BaseModel):
    value: _Initialized


class _Video(BaseModel):
    status: str = ""
    processingFailureReason: str | None = None


def video_problems(media: MediaObject, settings: LinkedInVideoSettings,
                   number: int = 1) -> list[ValidationProblem]:
    """What LinkedIn would refuse in a stored video: its type, size, duration and shape (facts
    the store does not know are not checked)."""
    if media.content_type not in VIDEO_CONTENT_TYPES:
        return [ValidationProblem("unsupported_media_type", f"LinkedIn takes MP4 video; medium "
                                  f"{number} is {media.content_type}.")]
    problems: list[ValidationProblem] = []
    if not settings.min_bytes <= media.size <= settings.max_bytes:
        problems.append(ValidationProblem(
            "video_too_large" if media.size > settings.max_bytes else "video_too_small",
            f"The video is {_size(media.size)}; LinkedIn takes videos of "
            f"{_size(settings.min_bytes)} to {_size(settings.max_bytes)}."))
    seconds = media.duration_seconds
    if seconds is not None and not settings.min_seconds <= seconds <= settings.max_seconds:
        problems.append(ValidationProblem(
            "video_too_long" if seconds > settings.max_seconds else "video_too_short",
            f"The video lasts {_duration(seconds)}; LinkedIn takes videos of "
            f"{_duration(settings.min_seconds)} to {_duration(settings.max_seconds)}."))
    if media.width and media.height and not (
            settings.min_aspect <= media.width / media.height <= settings.max_aspect):
        problems.append(ValidationProblem(
            "video_aspect_ratio", f"The video is {media.width}x{media.height}; LinkedIn takes "
            f"shapes from 1:{1 / settings.min_aspect:g} (tall) to {settings.max_aspect:g}:1 "
            "(wide)."))
    return problems


def is_video(attachment: MediaAttachment) -> bool:
    return attachment.media.kind is MediaKind.VIDEO


class LinkedInVideoUploader:
    """Uploads one video for one author; ``sleep`` is injectable for tests, ``trusted`` says
    whether an upload URL may receive the access token."""

    def __init__(self, request: Requester, api_url: str, settings: LinkedInVideoSettings,
                 sleep: Callable[[float], Awaitable[None]],
                 trusted: Callable[[str], bool]) -> None:
        self._request = request
        self._api = api_url
        self._settings = settings
        self._sleep = sleep
        self._trusted = trusted

    async def upload(self, token: SecretStr, owner: str, attachment: MediaAttachment) -> str:
        """The video URN, once LinkedIn has the bytes and says the video is AVAILABLE."""
        problems = video_problems(attachment.media, self._settings)
        if problems:
            raise ProviderError(ErrorKind.BAD_INPUT, problems[0].message,
                                platform_code=problems[0].code)
        size = attachment.media.size
        init = await self._request(
            "POST", self._api + VIDEOS_PATH, token=token, versioned=True,
            params={"action": "initializeUpload"},
            json_body={"initializeUploadRequest": {
                "owner": owner, "fileSizeBytes": size, "uploadCaptions": False,
                "uploadThumbnail": False}})
        _check(init)
        started = _parsed(_InitializeAnswer, init, "LinkedIn's video upload answer").value
        parts = _checked_parts(started.uploadInstructions, size)
        pieces = attachment.chunks(READ_BYTES)
        try:
            etags = await self._put_parts(token, parts, pieces)
        finally:
            close = getattr(pieces, "aclose", None)
            if close is not None:
                await close()  # the store's file or stream, even after a failed part
        done = await self._request(
            "POST", self._api + VIDEOS_PATH, token=token, versioned=True,
            params={"action": "finalizeUpload"},
            json_body={"finalizeUploadRequest": {
                "video": started.video, "uploadToken": started.uploadToken,
                "uploadedPartIds": etags}})
        _check(done)
        await self._wait_until_available(token, started.video)
        return started.video

    async def _put_parts(self, token: SecretStr, parts: list[_Instruction],
                         pieces: AsyncIterator[bytes]) -> list[str]:
        etags: list[str] = []
        buffer = bytearray()
        for number, part in enumerate(parts, start=1):
            wanted = part.lastByte - part.firstByte + 1
            while len(buffer) < wanted:
                piece = await anext(pieces, None)
                if piece is None:
                    raise ProviderError(ErrorKind.RETRY_AFTER, "The stored video is shorter "
                                        "than LinkedIn's upload plan.",
                                        retry_after=errors.SERVER_ERROR_WAIT_SECONDS,
                                        platform_code="video_short_read")
                buffer += piece
            body, buffer = bytes(buffer[:wanted]), buffer[wanted:]
            answer = await self._request(
                "PUT", part.uploadUrl, data=body, content_type="application/octet-stream",
                token=token if self._trusted(part.uploadUrl) else None)
            _check(answer)
            etag = answer.headers.get("etag", "").strip().strip('"')
            if not etag:
                raise ProviderError(ErrorKind.RETRY_AFTER, f"LinkedIn took part {number} of "
                                    "the video without confirming it (no ETag).",
                                    retry_after=errors.SERVER_ERROR_WAIT_SECONDS,
                                    platform_code="no_etag")
            etags.append(etag)
        return etags

    async def _wait_until_available(self, token: SecretStr, urn: str) -> None:
        waited = 0.0
        url = self._api + VIDEO_PATH.format(urn=quote(urn, safe=""))
        while True:
            answer = await self._request("GET", url, token=token, versioned=True)
            _check(answer)
            video = _parsed(_Video, answer, "LinkedIn's answer about the video")
            if video.status == "AVAILABLE":
                return
            if video.status == "PROCESSING_FAILED":
                why = video.processingFailureReason or "no reason given"
                raise ProviderError(ErrorKind.BAD_INPUT, f"LinkedIn could not process the "
                                    f"video ({why}).", platform_code="video_processing_failed",
                                    raw=answer.body[:errors.RAW_LIMIT])
            delay = self._settings.poll_seconds
            if waited + delay > self._settings.processing_timeout_seconds:
                # Nothing is posted yet, so trying again later is safe (a new upload).
                raise ProviderError(ErrorKind.RETRY_AFTER, f"LinkedIn was still processing "
                                    f"the video after {waited:g} s; PostFlow will try again.",
                                    retry_after=errors.SERVER_ERROR_WAIT_SECONDS,
                                    platform_code="video_processing_timeout")
            await self._sleep(delay)
            waited += delay


def _checked_parts(parts: list[_Instruction], size: int) -> list[_Instruction]:
    """The parts in byte order; they must cover the file exactly, or nothing is sent."""
    ordered = sorted(parts, key=lambda p: p.firstByte)
    expected = 0
    for part in ordered:
        if part.firstByte != expected or part.lastByte < part.firstByte:
            break
        expected = part.lastByte + 1
    if not ordered or expected != size:
        raise ProviderError(ErrorKind.RETRY_AFTER, "LinkedIn's upload plan does not cover the "
                            "video's bytes.", retry_after=errors.SERVER_ERROR_WAIT_SECONDS,
                            platform_code="bad_upload_plan")
    return ordered


def _check(answer: Answer) -> None:
    if answer.status >= 300:
        raise errors.api_error(answer.status, answer.body, answer.headers,
                               created_something=False)


def _parsed(model: type[ModelT], answer: Answer, what: str) -> ModelT:
    try:
        return model.model_validate_json(answer.body)
    except ValidationError:
        raise ProviderError(ErrorKind.RETRY_AFTER, f"{what} was not what PostFlow expected.",
                            retry_after=errors.SERVER_ERROR_WAIT_SECONDS,
                            raw=answer.body[:errors.RAW_LIMIT]) from None


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    return f"{seconds / 60:g} min"
