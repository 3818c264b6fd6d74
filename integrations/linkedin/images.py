"""What LinkedIn's Images API takes, checked on the bytes before they are uploaded.

Documented: JPG, PNG and GIF (up to 250 frames), fewer than 36,152,320 pixels (width x height).
LinkedIn names no byte limit; PostFlow reads at most :data:`MAX_IMAGE_BYTES` of an image.
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.media.probe import image_size
from postflow.media import sniff_content_type

MAX_PIXELS = 36_152_320
MAX_IMAGE_BYTES = 20 * 1024 * 1024
#: A post takes one image (``content.media``) or a multi-image of up to 20.
MAX_IMAGES = 20
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif")
IMAGE_CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})
VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".webm", ".avi")
#: Video links PostFlow stores and uploads (LinkedIn takes MP4 only).
MP4_EXTENSIONS = (".mp4", ".m4v")


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int | None
    height: int | None


def image_info(data: bytes) -> ImageInfo | None:
    """The type and size the bytes say they are; None for anything LinkedIn does not take."""
    content_type = sniff_content_type(data)
    if content_type not in IMAGE_CONTENT_TYPES:
        return None
    size = image_size(data)
    return ImageInfo(content_type, *(size or (None, None)))
