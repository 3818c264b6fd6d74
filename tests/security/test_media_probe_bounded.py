"""Reading a medium's facts reads a bounded prefix (images) or box headers and ``moov`` (movies),
in linear time: a JPEG made of fill bytes no longer costs seconds of CPU."""

from __future__ import annotations

import io
import struct
import time
from pathlib import Path

from postflow.runtime import Runtime
from postflow.usecases.media import add_media_from_upload
from postflow.usecases.organizations import create_organization
from tests.fakes.media_files import box, jpeg_of, movie

MIB = 1024 * 1024


def fill_byte_jpeg(size: int) -> bytes:
    """A JPEG start, then nothing but 0xFF fill bytes: no frame header to find."""
    return b"\xff\xd8" + b"\xff" * (size - 2)


class CountingReader(io.RawIOBase):
    """A seekable file that counts the bytes read from it."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        buffer[:len(data)] = data
        self.read_bytes += len(data)
        return len(data)


async def test_a_large_fill_byte_jpeg_is_stored_without_burning_cpu(rt: Runtime) -> None:
    org = await create_organization(rt, "Acme", actor="test")
    data = fill_byte_jpeg(32 * MIB)
    started = time.process_time()

    stored = await add_media_from_upload(rt, data, "image/jpeg", org_id=org.id)

    assert (stored.width, stored.height) == (None, None)
    assert time.process_time() - started < 1.0  # ~6 s of CPU before the fix


def test_an_image_probe_reads_a_bounded_prefix() -> None:
    from integrations.media.probe import IMAGE_PREFIX_BYTES, probe_stream

    reader = CountingReader(fill_byte_jpeg(16 * MIB))

    assert probe_stream(reader, "image/jpeg").width is None
    assert reader.read_bytes <= IMAGE_PREFIX_BYTES


def test_a_jpeg_with_fill_bytes_before_its_frame_is_still_read() -> None:
    from integrations.media.probe import probe_stream

    plain = jpeg_of(640, 480)
    padded = plain[:2] + b"\xff" * 5000 + plain[2:]

    assert probe_stream(io.BytesIO(padded), "image/jpeg").width == 640


def test_a_movie_probe_reads_box_headers_and_moov_only(tmp_path: Path) -> None:
    from integrations.media.probe import probe_stream

    # moov last, after 64 MiB of media data: the probe seeks past the mdat.
    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isomiso2mp41")
    moov = movie(1280, 720, seconds=10.0, media_bytes=0)[len(ftyp):]
    moov = moov[:moov.index(b"mdat") - 4]
    data = ftyp + struct.pack(">I4s", 8 + 64 * MIB, b"mdat") + bytes(64 * MIB) + moov
    reader = CountingReader(data)

    facts = probe_stream(reader, "video/mp4")

    assert (facts.width, facts.height, facts.duration_seconds) == (1280, 720, 10.0)
    assert reader.read_bytes <= 64 * 1024 + len(moov)
