"""What LinkedIn's Images API takes, checked on the bytes before they are uploaded.

Documented: JPG, PNG and GIF (up to 250 frames), fewer than 36,152,320 pixels (width x height).
LinkedIn names no byte limit; PostFlow reads at most :data:`MAX_IMAGE_BYTES` of an image.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAX_PIXELS = 36_152_320
MAX_IMAGE_BYTES = 20 * 1024 * 1024
#: A post takes one image (``content.media``) or a multi-image of up to 20.
MAX_IMAGES = 20
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif")
IMAGE_CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})
VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".webm", ".avi")


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int | None
    height: int | None


def image_info(data: bytes) -> ImageInfo | None:
    """The type and size the bytes say they are; None for anything LinkedIn does not take."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return ImageInfo("image/png", width, height)
    if data.startswith((b"GIF87a", b"GIF89a")) and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return ImageInfo("image/gif", width, height)
    if data.startswith(b"\xff\xd8\xff"):
        return ImageInfo("image/jpeg", *_jpeg_size(data))
    return None


def _jpeg_size(data: bytes) -> tuple[int | None, int | None]:
    """Width and height from the first start-of-frame marker, if one is found."""
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None, None
        marker = data[index + 1]
        length = struct.unpack(">H", data[index + 2:index + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5:index + 9])
            return width, height
        index += 2 + length
    return None, None
