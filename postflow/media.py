"""Media: the port for storing a post's images and videos, and what the core knows about them.

Media are stored once, addressed by the SHA-256 of their bytes: the id *is* the digest, so the same
file added twice (two posts, a retried hook) is one object. A backend (``integrations/media/``)
keeps the bytes and hands out short-lived URLs for networks that fetch media by URL; the core only
sees :class:`MediaObject` records and the :class:`MediaStore` and :class:`MediaFetcher` ports.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from postflow.errors import BadInput, NotFound

#: How a stored medium is named: the lowercase hex SHA-256 of its bytes.
MEDIA_ID_PATTERN = re.compile(r"^[0-9a-f]{64}$")
#: Read size for streaming a medium out of a store.
READ_CHUNK_BYTES = 1024 * 1024


class MediaKind(StrEnum):
    IMAGE = "image"
    GIF = "gif"
    VIDEO = "video"


#: The content types PostFlow accepts, and what each is. Anything else is refused at the door.
MEDIA_KINDS: dict[str, MediaKind] = {
    "image/jpeg": MediaKind.IMAGE,
    "image/png": MediaKind.IMAGE,
    "image/webp": MediaKind.IMAGE,
    "image/gif": MediaKind.GIF,
    "video/mp4": MediaKind.VIDEO,
    "video/quicktime": MediaKind.VIDEO,
}


@dataclass(frozen=True)
class MediaObject:
    """One stored medium. ``id`` equals ``sha256``: the store is content-addressed."""

    id: str
    content_type: str
    size: int
    sha256: str
    #: What the bytes say, read when the medium was stored (``integrations/media/probe.py``);
    #: None when unknown (unreadable, or stored before PostFlow read them).
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None

    @property
    def kind(self) -> MediaKind:
        return MEDIA_KINDS[self.content_type]


class MediaStore(Protocol):
    """Where media bytes live (a local folder, an S3 bucket)."""

    async def put(self, data: bytes, content_type: str) -> MediaObject:
        """Store ``data`` once: bytes already stored are not written again."""
        ...

    async def put_file(self, path: Path, content_type: str, *,
                       sha256: str | None = None) -> MediaObject:
        """Store the file at ``path`` once, never reading it whole into memory; ``sha256`` is
        its digest when the caller computed it while writing it. The file stays the caller's
        to delete (a backend may link it into place rather than copy it)."""
        ...

    async def get(self, media_id: str) -> MediaObject:
        """What is stored under ``media_id``; NotFound if nothing."""
        ...

    async def read(self, media_id: str) -> bytes:
        """All the bytes of a medium; NotFound if nothing."""
        ...

    def read_chunks(self, media_id: str, chunk_size: int = READ_CHUNK_BYTES
                    ) -> AsyncIterator[bytes]:
        """The bytes of a medium in pieces of at most ``chunk_size`` (large videos)."""
        ...

    async def url(self, media_id: str, expires_in: timedelta) -> str:
        """A URL anyone can GET the medium from until ``expires_in`` has passed."""
        ...

    async def delete(self, media_id: str) -> None:
        """Forget the medium's bytes; nothing happens when none are stored. Only for media no
        organization holds any more (``postflow/usecases/media_retention.py``)."""
        ...


@dataclass(frozen=True)
class MediaLimits:
    """What a network takes in one post: how many media, and the largest medium of each kind
    in bytes (a kind missing from ``max_bytes`` is one the network does not take)."""

    max_count: int
    max_bytes: Mapping[MediaKind, int] = field(default_factory=dict)


@runtime_checkable
class DeclaresMediaLimits(Protocol):
    """A provider that says what media its network takes; the media of a post are counted and
    fetched under these limits before anything is read (``postflow/usecases/media.py``)."""

    @property
    def media_limits(self) -> MediaLimits: ...


@dataclass(frozen=True)
class SizeLimit:
    """The most bytes a medium may have, and who says so (a network's name, or a setting)."""

    max_bytes: int
    set_by: str


@dataclass(frozen=True)
class FetchSizeLimits:
    """The largest medium of each kind one fetch may bring in; a kind missing is refused."""

    by_kind: Mapping[MediaKind, SizeLimit]

    def for_type(self, content_type: str) -> SizeLimit | None:
        """The limit for media of ``content_type``, the largest of all when its kind is not
        known yet (``application/octet-stream``); None when no such medium is taken."""
        kind = MEDIA_KINDS.get(content_type)
        if kind is not None:
            return self.by_kind.get(kind)
        return max(self.by_kind.values(), key=lambda limit: limit.max_bytes, default=None)


@dataclass(frozen=True)
class FetchedMedia:
    """A medium read from a URL (or a chat upload) into a temporary file, which is deleted when
    the fetch's ``async with`` block ends."""

    path: Path
    #: The accepted type its bytes have (checked against what the server declared).
    content_type: str
    size: int
    sha256: str
    #: Its first bytes, enough to tell its type again (:func:`sniff_content_type`).
    head: bytes


class MediaFetcher(Protocol):
    """Reads a medium from a URL on the internet into a temporary file, refusing what is unsafe
    or over ``limits`` (BadInput) before the whole body is read."""

    def fetch(self, url: str,
              limits: FetchSizeLimits) -> AbstractAsyncContextManager[FetchedMedia]:
        ...


@runtime_checkable
class MediaUploader(Protocol):
    """A provider that uploads media's bytes to its network (X). Posts to it get their media
    fetched and stored when they are submitted, so a broken URL is refused to the sender then."""

    uploads_media: bool


@dataclass(frozen=True)
class MediaAttachment:
    """A stored medium as a provider receives it: what it is, a short-lived URL for networks that
    fetch by URL, and its bytes on demand. No store access beyond reading this one object."""

    media: MediaObject
    #: A URL anyone can GET it from for a while; None when the content is only validated.
    url: str | None
    store: MediaStore = field(repr=False, compare=False)

    async def read(self) -> bytes:
        return await self.store.read(self.media.id)

    def chunks(self, chunk_size: int) -> AsyncIterator[bytes]:
        return self.store.read_chunks(self.media.id, chunk_size)


def media_id_of(data: bytes) -> str:
    """The id ``data`` is stored under."""
    return hashlib.sha256(data).hexdigest()


def media_id_of_file(path: Path) -> str:
    """The id the file at ``path`` is stored under, read piece by piece (blocking)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(READ_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def check_media_id(media_id: str) -> str:
    """``media_id`` if it has the shape of one; NotFound otherwise (never a path to follow)."""
    if not MEDIA_ID_PATTERN.match(media_id):
        raise NotFound("No medium has this id.")
    return media_id


def shown_url(url: str) -> str:
    """``url`` as it may appear in a message: no query or fragment (they may hold a token)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return url[:100]
    return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"[:200]


def base_content_type(header: str | None) -> str:
    """``image/PNG; charset=x`` -> ``image/png``."""
    return (header or "").split(";", 1)[0].strip().lower()


def sniff_content_type(data: bytes) -> str | None:
    """The accepted content type the bytes' signature says they are, or None."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):  # QuickTime files without ftyp
        return "video/quicktime"
    return None


def checked_content_type(data: bytes, declared: str, *, allowed: frozenset[str] | None = None,
                         source: str = "The file") -> str:
    """The content type to store ``data`` under: it must be an accepted type, and the bytes must
    be of that kind (an HTML error page served as ``image/png`` is refused). BadInput otherwise."""
    accepted = allowed if allowed is not None else frozenset(MEDIA_KINDS)
    declared = base_content_type(declared)
    listed = ", ".join(sorted(accepted))
    if declared not in accepted and declared != "application/octet-stream":
        raise BadInput(f"{source} is {declared or 'of no stated type'}; PostFlow accepts {listed}.",
                       details={"content_type": declared, "allowed": sorted(accepted)})
    sniffed = sniff_content_type(data)
    if sniffed is None or sniffed not in accepted:
        raise BadInput(f"{source} does not look like any of {listed}.",
                       details={"content_type": declared})
    if declared != "application/octet-stream" and MEDIA_KINDS.get(declared) is not MEDIA_KINDS[
            sniffed]:
        raise BadInput(f"{source} says it is {declared} but its bytes are {sniffed}.",
                       details={"content_type": declared, "detected": sniffed})
    return sniffed
