"""Tiny media files built byte by byte: just enough structure for ``integrations/media/probe.py``
(and the networks' checks) to read their size and duration. Not playable."""

from __future__ import annotations

import struct


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _mvhd(seconds: float, timescale: int, version: int) -> bytes:
    length = round(seconds * timescale)
    if version == 1:
        times = struct.pack(">QQIQ", 0, 0, timescale, length)
    else:
        times = struct.pack(">IIII", 0, 0, timescale, length)
    # rate, volume, reserved, matrix, pre_defined, next_track_ID
    rest = struct.pack(">IH10x", 0x00010000, 0x0100) + _matrix(False) + bytes(24) + \
        struct.pack(">I", 3)
    return box(b"mvhd", bytes([version, 0, 0, 0]) + times + rest)


def _matrix(rotated: bool) -> bytes:
    one, w = 0x00010000, 0x40000000
    if rotated:  # 90 degrees: a=0, b=1, c=-1, d=0
        return struct.pack(">9i", 0, one, 0, -one, 0, 0, 0, 0, w)
    return struct.pack(">9i", one, 0, 0, 0, one, 0, 0, 0, w)


def _trak(handler: bytes, width: int, height: int, version: int, rotated: bool) -> bytes:
    if version == 1:
        head = struct.pack(">QQIIQ", 0, 0, 1, 0, 0)
    else:
        head = struct.pack(">IIIII", 0, 0, 1, 0, 0)
    tkhd = box(b"tkhd", bytes([version, 0, 0, 7]) + head + bytes(8)
               + struct.pack(">hhhH", 0, 0, 0, 0) + _matrix(rotated)
               + struct.pack(">II", width << 16, height << 16))
    hdlr = box(b"hdlr", bytes(8) + handler + bytes(12) + b"handler\x00")
    return box(b"trak", tkhd + box(b"mdia", hdlr))


def movie(width: int = 1280, height: int = 720, seconds: float = 10.0, *,
          timescale: int = 1000, version: int = 0, rotated: bool = False,
          moov_last: bool = False, media_bytes: int = 1024, brand: bytes = b"isom") -> bytes:
    """An MP4 (or, with ``brand=b"qt  "``, a MOV): ftyp, an mdat of ``media_bytes`` and a moov
    with mvhd, a sound track (no size) and a video track."""
    ftyp = box(b"ftyp", brand + struct.pack(">I", 0x200) + b"isomiso2mp41")
    moov = box(b"moov", _mvhd(seconds, timescale, version)
               + _trak(b"soun", 0, 0, version, False)
               + _trak(b"vide", width, height, version, rotated))
    mdat = box(b"mdat", bytes(i % 251 for i in range(media_bytes)))
    return ftyp + (mdat + moov if moov_last else moov + mdat)


def png_of(width: int, height: int) -> bytes:
    ihdr = struct.pack(">II", width, height) + bytes([8, 6, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + bytes(4) + bytes(32)


def gif_of(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00" + b";"


def jpeg_of(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"
