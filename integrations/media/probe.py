"""What a medium's bytes say about it: pixel size for images and GIFs, and duration too for
MP4 and QuickTime videos. Read once, when the medium is stored, and kept beside it.

No decoder is needed: PNG, GIF, JPEG and WebP keep their size in their first bytes, and an MP4
or MOV file keeps its duration in ``moov/mvhd`` and each track's size in ``moov/trak/tkhd``
(ISO/IEC 14496-12, the QuickTime File Format). Bytes that cannot be read give ``None`` facts,
never an error: a network's own check stays the last word.

What is read is bounded whatever the file holds: an image's first :data:`IMAGE_PREFIX_BYTES`;
for a movie, the header of each top-level box (the file is walked by seeking) and the ``moov``
box, up to :data:`MOOV_MAX_BYTES`. Every walk is linear in what was read, and pixels are never
decoded. The work is blocking: callers run it in a thread.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

#: Bytes of an image read for its size: headers come first, a frame header within a few KiB.
IMAGE_PREFIX_BYTES = 1024 * 1024
#: The largest ``moov`` box read (a long video's index is a few MiB); larger: facts unknown.
MOOV_MAX_BYTES = 32 * 1024 * 1024
#: Top-level boxes of a movie, and JPEG segments before the frame, walked before giving up.
MAX_BOXES = 4096
MAX_JPEG_SEGMENTS = 4096
#: One or more JPEG fill bytes (0xFF), skipped in one step however many there are.
_FILL = re.compile(rb"\xff+")


@dataclass(frozen=True)
class MediaFacts:
    """What is known of a medium beyond its type and size; ``None`` is "not known"."""

    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None


def probe_file(path: Path, content_type: str) -> MediaFacts:
    """The facts the file at ``path`` holds (blocking; bounded reads, see the module)."""
    try:
        with path.open("rb") as handle:
            return probe_stream(handle, content_type)
    except OSError:
        return MediaFacts()


def probe_media(data: bytes, content_type: str) -> MediaFacts:
    """The facts ``data`` (of ``content_type``) holds, or empty facts when they cannot be read."""
    return probe_stream(io.BytesIO(data), content_type)


def probe_stream(handle: BinaryIO, content_type: str) -> MediaFacts:
    """The facts of the seekable file ``handle`` (of ``content_type``), read from a bounded
    part of it; empty facts when they cannot be read."""
    try:
        if content_type in ("video/mp4", "video/quicktime"):
            moov = _moov_box(handle)
            return _movie_facts(moov) if moov else MediaFacts()
        size = image_size(_read_up_to(handle, IMAGE_PREFIX_BYTES))
        return MediaFacts(*size) if size else MediaFacts()
    except (struct.error, ValueError, IndexError, OSError):
        return MediaFacts()


def _read_up_to(handle: BinaryIO, count: int) -> bytes:
    """At most ``count`` bytes from where ``handle`` stands (fewer only at the end)."""
    pieces: list[bytes] = []
    wanted = count
    while wanted > 0:
        piece = handle.read(wanted)
        if not piece:
            break
        pieces.append(piece)
        wanted -= len(piece)
    return b"".join(pieces)


def _moov_box(handle: BinaryIO) -> bytes | None:
    """The whole top-level ``moov`` box, found by reading only the boxes' headers."""
    offset = 0
    for _ in range(MAX_BOXES):
        handle.seek(offset)
        header = _read_up_to(handle, 16)
        if len(header) < 8:
            return None
        size, kind = struct.unpack(">I4s", header[:8])
        if size == 1:  # a 64-bit size follows the type
            if len(header) < 16:
                return None
            size = struct.unpack(">Q", header[8:16])[0]
        elif size == 0:  # the box runs to the end of the file
            size = handle.seek(0, io.SEEK_END) - offset
        if size < 8:
            return None
        if kind == b"moov":
            if size > MOOV_MAX_BYTES:
                return None
            handle.seek(offset)
            return _read_up_to(handle, size)
        offset += size
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, JPEG or WebP image; None when they cannot be read."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data.startswith((b"GIF87a", b"GIF89a")) and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """From the first start-of-frame marker (SOF0-SOF15 but DHT, JPG and DAC). Each segment
    starts with one or more 0xFF (fill bytes), skipped at once: linear in ``data``."""
    index = 2
    for _ in range(MAX_JPEG_SEGMENTS):
        fill = _FILL.match(data, index)
        if fill is None:
            return None
        index = fill.end()  # the marker byte
        if index + 8 > len(data):
            return None
        marker = data[index]
        length = struct.unpack(">H", data[index + 1:index + 3])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 4:index + 8])
            return width, height
        index += 1 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """``(type, payload start, box end)`` of each box between ``start`` and ``end``."""
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        header = 8
        if size == 1:  # a 64-bit size follows the type
            if offset + 16 > end:
                return
            size = struct.unpack(">Q", data[offset + 8:offset + 16])[0]
            header = 16
        elif size == 0:  # the box runs to the end
            size = end - offset
        if size < header or offset + size > end:
            return
        yield kind, offset + header, offset + size
        offset += size


def _movie_facts(data: bytes) -> MediaFacts:
    duration: float | None = None
    video_size: tuple[int, int] | None = None
    any_size: tuple[int, int] | None = None
    for kind, start, end in _boxes(data, 0, len(data)):
        if kind != b"moov":
            continue
        for child, child_start, child_end in _boxes(data, start, end):
            if child == b"mvhd":
                duration = _mvhd_duration(data, child_start)
            elif child == b"trak":
                size, handler = _track(data, child_start, child_end)
                if size and handler == b"vide" and video_size is None:
                    video_size = size
                elif size and any_size is None:
                    any_size = size
        break
    size = video_size or any_size
    return MediaFacts(width=size[0] if size else None, height=size[1] if size else None,
                      duration_seconds=duration)


def _mvhd_duration(data: bytes, start: int) -> float | None:
    version = data[start]
    if version == 1:
        timescale, length = struct.unpack(">IQ", data[start + 20:start + 32])
    else:
        timescale, length = struct.unpack(">II", data[start + 12:start + 20])
    if timescale == 0 or length in (0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF):
        return None  # no timescale, or "duration unknown"
    return float(length) / float(timescale)


def _track(data: bytes, start: int, end: int) -> tuple[tuple[int, int] | None, bytes | None]:
    """The track's displayed size (from ``tkhd``) and its handler type (``mdia/hdlr``)."""
    size: tuple[int, int] | None = None
    handler: bytes | None = None
    for kind, child_start, child_end in _boxes(data, start, end):
        if kind == b"tkhd":
            size = _tkhd_size(data, child_start)
        elif kind == b"mdia":
            for leaf, leaf_start, _ in _boxes(data, child_start, child_end):
                if leaf == b"hdlr":
                    handler = data[leaf_start + 8:leaf_start + 12]
    return size, handler


def _tkhd_size(data: bytes, start: int) -> tuple[int, int] | None:
    # version 1 has 64-bit creation, modification and duration: 12 more bytes.
    matrix_at = start + (52 if data[start] == 1 else 40)
    a, b, _, c, d = struct.unpack(">iiiii", data[matrix_at:matrix_at + 20])
    width, height = struct.unpack(">II", data[matrix_at + 36:matrix_at + 44])
    width, height = width >> 16, height >> 16  # 16.16 fixed point
    if not width or not height:
        return None  # an audio track, or no size
    if a == 0 and d == 0 and b != 0 and c != 0:  # turned 90 or 270 degrees when shown
        width, height = height, width
    return width, height
