"""Reading a medium from an HTTP answer into a temporary file, under a size limit.

The file lives in ``$POSTFLOW_DATA_DIR/tmp`` only for the length of an ``async with`` block: it is
deleted when the block ends, on success and on every failure; what a killed process left there is
removed by the next process that opens the fetcher (:func:`remove_stale_files`). While the body
arrives:

- a ``Content-Length`` over the limit is refused before a byte of the body is read;
- the bytes are counted as they are read, and refused as soon as they pass the limit. They are
  the *decoded* bytes: aiohttp undoes a ``Content-Encoding`` the server applied although PostFlow
  asked for ``identity``, in bounded pieces, so a small compressed body cannot grow past the limit;
- the first bytes tell the medium's type (:func:`postflow.media.checked_content_type`), and from
  then on the limit is the one for that kind (an image's is often far below a video's);
- the SHA-256 (the media id) is computed on the way, so the file is never read again for it.

Nothing holds more than one chunk in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, BinaryIO

import aiohttp

from postflow.config import Settings
from postflow.errors import BadInput
from postflow.media import (
    MEDIA_KINDS,
    FetchedMedia,
    FetchSizeLimits,
    SizeLimit,
    checked_content_type,
)

READ_CHUNK = 64 * 1024
#: Bytes kept from a medium's start: enough for its type's signature.
HEAD_BYTES = 64
#: Asked of every server: PostFlow wants the bytes as they are stored.
IDENTITY = {"Accept-Encoding": "identity"}
#: A staged file this old belongs to no running fetch (fetches and uploads take minutes).
STALE_AFTER_SECONDS = 24 * 3600
PREFIX = "media-"


def staging_dir(settings: Settings) -> Path:
    """Where media being read are kept until they are stored: ``$POSTFLOW_DATA_DIR/tmp``."""
    return settings.data_dir / "tmp"


@asynccontextmanager
async def staging_file(folder: Path) -> AsyncIterator[Path]:
    """A new empty file in ``folder`` (created private to PostFlow), deleted when the block ends,
    whatever happens in it."""
    path = await asyncio.to_thread(_new_file, folder)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)  # one system call: done even when the task is cancelled


def _new_file(folder: Path) -> Path:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix=PREFIX)
    os.close(fd)
    return Path(name)


def remove_stale_files(folder: Path, *, now: float | None = None) -> int:
    """Delete staged files older than :data:`STALE_AFTER_SECONDS` (left by a process that was
    killed mid-fetch); how many were deleted. Blocking: called once when a process starts."""
    cutoff = (time.time() if now is None else now) - STALE_AFTER_SECONDS
    removed = 0
    for path in folder.glob(PREFIX + "*") if folder.is_dir() else ():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # another process removed it first
    return removed


async def stream_to_file(response: aiohttp.ClientResponse, path: Path, declared: str,
                         limits: FetchSizeLimits, *, source: str,
                         details: dict[str, Any]) -> FetchedMedia:
    """The body of ``response`` written to ``path``, refused (BadInput saying ``source`` and
    carrying ``details``) when it is over ``limits`` or not the accepted type it says it is."""
    stated = response.content_length
    limit = _checked_limit(limits, declared, stated, source, details)
    digest = hashlib.sha256()
    head = b""
    stored_type: str | None = None
    size = 0
    handle: BinaryIO = await asyncio.to_thread(path.open, "wb")
    try:
        async for chunk in response.content.iter_chunked(READ_CHUNK):
            size += len(chunk)
            if stored_type is None:
                head += chunk[:HEAD_BYTES - len(head)]
                if len(head) == HEAD_BYTES:  # the bytes' own type sets the limit from now on
                    stored_type = checked_content_type(head, declared, source=source)
                    limit = _checked_limit(limits, stored_type, stated, source, details)
            if size > limit.max_bytes:
                raise _too_large(limit, stored_type or declared, source, details)
            await asyncio.to_thread(_append, handle, digest, chunk)
    finally:
        await asyncio.to_thread(handle.close)
    if not size:
        raise BadInput(f"{source} is empty.", details={**details, "reason": "empty"})
    if stored_type is None:  # shorter than HEAD_BYTES
        stored_type = checked_content_type(head, declared, source=source)
        _checked_limit(limits, stored_type, size, source, details)
    return FetchedMedia(path=path, content_type=stored_type, size=size,
                        sha256=digest.hexdigest(), head=head)


def _append(handle: BinaryIO, digest: Any, chunk: bytes) -> None:
    digest.update(chunk)
    handle.write(chunk)


def _checked_limit(limits: FetchSizeLimits, content_type: str, size: int | None, source: str,
                   details: dict[str, Any]) -> SizeLimit:
    """The limit for ``content_type``; BadInput when no such medium is taken or when ``size``
    (a stated length, or the bytes read) is over it."""
    limit = limits.for_type(content_type)
    if limit is None:
        kind = MEDIA_KINDS.get(content_type)
        what = f"{kind.value}s" if kind else "media"
        raise BadInput(f"{source} is {content_type}, and the post's networks take no {what}.",
                       details={**details, "content_type": content_type,
                                "reason": "kind_not_taken"})
    if size is not None and size > limit.max_bytes:
        raise _too_large(limit, content_type, source, details)
    return limit


def _too_large(limit: SizeLimit, content_type: str, source: str,
               details: dict[str, Any]) -> BadInput:
    kind = MEDIA_KINDS.get(content_type)
    what = f"{kind.value}s" if kind else "media"
    return BadInput(f"{source} is larger than the {limit.max_bytes} bytes allowed for {what} "
                    f"({limit.set_by}).",
                    details={**details, "limit_bytes": limit.max_bytes,
                             "limit_set_by": limit.set_by, "reason": "too_large"})
